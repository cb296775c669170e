/// An RTP data packet (RFC 3550 §5.1): header, payload and optional padding.
public struct RTPPacket: Sendable, Hashable {
    public var header: RTPHeader
    public var payload: [UInt8]
    /// Padding bytes appended after the payload, including the final count byte. 0 means no
    /// padding (P bit clear); values above 255 are written as 255.
    public var paddingLength: Int

    public init(header: RTPHeader, payload: [UInt8], paddingLength: Int = 0) {
        self.header = header
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// Parses a whole RTP packet. Never traps; malformed input throws a specific `RTPParseError`.
    public static func parse(_ bytes: [UInt8]) throws(RTPParseError) -> RTPPacket {
        let view = try RTPPacketView.parse(bytes)
        return RTPPacket(header: view.header, payload: Array(bytes[view.payloadRange]),
                         paddingLength: view.paddingLength)
    }

    private var writtenPadding: Int { max(0, min(paddingLength, 255)) }

    /// The serialized size in bytes.
    public var size: Int { header.size + payload.count + writtenPadding }

    /// The packet as bytes; padding is zeros ending in the count byte (RFC 3550 §5.1, P).
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        let padding = writtenPadding
        header.write(to: &out, padding: padding > 0)
        out.append(contentsOf: payload)
        if padding > 0 {
            out.append(contentsOf: repeatElement(0, count: padding - 1))
            out.append(UInt8(padding))
        }
        return out
    }

    /// Rewrites fields of a serialized RTP packet in place, for forwarding without re-parsing.
    ///
    /// Only the fixed header is touched (bytes 1–11); a nil argument leaves that field as it is.
    /// Returns false (and changes nothing) when `bytes` is shorter than 12 bytes or not version 2.
    @discardableResult
    public static func rewrite(_ bytes: inout [UInt8], ssrc: UInt32? = nil,
                               sequenceNumber: UInt16? = nil, timestamp: UInt32? = nil,
                               payloadType: UInt8? = nil, marker: Bool? = nil) -> Bool {
        guard bytes.count >= 12, bytes[0] >> 6 == 2 else { return false }
        if let payloadType { bytes[1] = (bytes[1] & 0x80) | (payloadType & 0x7F) }
        if let marker { bytes[1] = (bytes[1] & 0x7F) | (marker ? 0x80 : 0) }
        if let sequenceNumber {
            bytes[2] = UInt8(truncatingIfNeeded: sequenceNumber >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: sequenceNumber)
        }
        if let timestamp { store(timestamp, at: 4, in: &bytes) }
        if let ssrc { store(ssrc, at: 8, in: &bytes) }
        return true
    }

    private static func store(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}
