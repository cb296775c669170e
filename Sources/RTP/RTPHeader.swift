/// The fixed RTP header, its CSRC list and its header extension (RFC 3550 §5.1, §5.3.1).
///
/// The version is always 2; padding belongs to the packet (`RTPPacket.paddingLength`).
public struct RTPHeader: Sendable, Hashable {
    /// The marker bit (M).
    public var marker: Bool
    /// The 7-bit payload type (PT).
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    /// The synchronization source.
    public var ssrc: UInt32
    /// Contributing sources; at most 15 are written.
    public var csrcs: [UInt32]
    /// The header extension block, if the X bit is set.
    public var headerExtension: RTPHeaderExtension?

    public init(marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32,
                ssrc: UInt32, csrcs: [UInt32] = [], headerExtension: RTPHeaderExtension? = nil) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
    }

    /// The serialized size of the header in bytes: 12 + 4·CC + extension.
    public var size: Int {
        12 + 4 * min(csrcs.count, 15) + (headerExtension?.size ?? 0)
    }

    /// The data of the RFC 8285 element with this ID, or nil when absent or the block is malformed.
    public func extensionElement(id: UInt8) -> [UInt8]? {
        headerExtension?.element(id: id)
    }

    /// Appends the serialized header; `padding` sets the P bit.
    func write(to out: inout [UInt8], padding: Bool) {
        let csrcCount = min(csrcs.count, 15)
        var first: UInt8 = 0x80 | UInt8(csrcCount)
        if padding { first |= 0x20 }
        if headerExtension != nil { first |= 0x10 }
        out.append(first)
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.appendU16(sequenceNumber)
        out.appendU32(timestamp)
        out.appendU32(ssrc)
        for csrc in csrcs.prefix(csrcCount) { out.appendU32(csrc) }
        headerExtension?.write(to: &out)
    }
}

/// An RTP packet's header and where its payload and padding lie in the buffer, read without
/// copying the payload: the forwarding path's cheap look at a packet (RFC 3550 §5.1).
public struct RTPPacketView: Sendable, Hashable {
    public var header: RTPHeader
    /// The payload's byte range within the parsed buffer.
    public var payloadRange: Range<Int>
    /// Padding bytes at the end of the packet including the count byte; 0 when the P bit is clear.
    public var paddingLength: Int

    /// Parses the header of a whole RTP packet and locates its payload and padding.
    ///
    /// Validates version 2, the CSRC list and extension lengths against the bytes, and the
    /// padding count (1 up to the bytes after the header).
    public static func parse(_ bytes: [UInt8]) throws(RTPParseError) -> RTPPacketView {
        try parse(bytes[...])
    }

    /// As `parse(_:)` for a slice; `payloadRange` uses the slice's indices.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(RTPParseError) -> RTPPacketView {
        var reader = ByteReader(bytes)
        guard reader.remaining >= 12 else { throw .truncatedHeader(length: bytes.count) }
        let first = reader.u8()
        let version = first >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let hasPadding = first & 0x20 != 0
        let hasExtension = first & 0x10 != 0
        let csrcCount = Int(first & 0x0F)
        let second = reader.u8()
        let sequenceNumber = reader.u16()
        let timestamp = reader.u32()
        let ssrc = reader.u32()
        guard reader.remaining >= 4 * csrcCount else {
            throw .truncatedCSRCList(csrcCount: csrcCount, available: reader.remaining)
        }
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(csrcCount)
        for _ in 0..<csrcCount { csrcs.append(reader.u32()) }
        var headerExtension: RTPHeaderExtension?
        if hasExtension {
            guard reader.remaining >= 4 else {
                throw .truncatedExtension(declared: 4, available: reader.remaining)
            }
            let profile = reader.u16()
            let length = 4 * Int(reader.u16())
            guard reader.remaining >= length else {
                throw .truncatedExtension(declared: length, available: reader.remaining)
            }
            headerExtension = RTPHeaderExtension(profile: profile, data: Array(reader.take(length)))
        }
        let afterHeader = reader.remaining
        var paddingLength = 0
        if hasPadding {
            let count = afterHeader > 0 ? Int(bytes[bytes.endIndex - 1]) : 0
            guard count >= 1, count <= afterHeader else {
                throw .invalidPadding(paddingLength: count, available: afterHeader)
            }
            paddingLength = count
        }
        let payloadStart = reader.index
        let header = RTPHeader(
            marker: second & 0x80 != 0, payloadType: second & 0x7F, sequenceNumber: sequenceNumber,
            timestamp: timestamp, ssrc: ssrc, csrcs: csrcs, headerExtension: headerExtension)
        return RTPPacketView(
            header: header, payloadRange: payloadStart..<(bytes.endIndex - paddingLength),
            paddingLength: paddingLength)
    }
}
