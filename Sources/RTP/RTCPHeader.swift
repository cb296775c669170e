/// The common RTCP header (RFC 3550 §6.4.1): V=2, P, a 5-bit count or feedback format,
/// packet type, and length in 32-bit words minus one.
public struct RTCPHeader: Sendable, Hashable {
    /// The P bit.
    public var padding: Bool
    /// The 5-bit count (RC, SC) or feedback message type (FMT, RFC 4585 §6.1).
    public var count: UInt8
    public var packetType: UInt8
    /// The length field: the packet's size in 32-bit words minus one.
    public var length: UInt16

    /// The packet's total size in bytes, header and padding included.
    public var packetSize: Int { (Int(length) + 1) * 4 }
}

/// RTCP packet type numbers.
public enum RTCPPacketType {
    /// Sender report (RFC 3550 §6.4.1).
    public static let senderReport: UInt8 = 200
    /// Receiver report (RFC 3550 §6.4.2).
    public static let receiverReport: UInt8 = 201
    /// Source description (RFC 3550 §6.5).
    public static let sourceDescription: UInt8 = 202
    /// Goodbye (RFC 3550 §6.6).
    public static let goodbye: UInt8 = 203
    /// Application-defined (RFC 3550 §6.7).
    public static let application: UInt8 = 204
    /// Transport-layer feedback (RFC 4585 §6.2).
    public static let transportFeedback: UInt8 = 205
    /// Payload-specific feedback (RFC 4585 §6.3).
    public static let payloadFeedback: UInt8 = 206
    /// Extended report (RFC 3611).
    public static let extendedReport: UInt8 = 207
}

/// One packet of a compound, located in the buffer: its header and its payload without the
/// 4-byte header and without padding.
struct RTCPFrame {
    var header: RTCPHeader
    var body: ArraySlice<UInt8>
}

extension RTCPFrame {
    /// The part every feedback message starts with (RFC 4585 §6.1): the packet sender's and the
    /// media source's SSRCs, and a reader positioned at the FCI that follows.
    func feedbackHeader() throws(RTCPParseError) -> (sender: UInt32, media: UInt32, fci: ByteReader) {
        var reader = ByteReader(body)
        guard reader.remaining >= 8 else { throw .truncatedBody(packetType: header.packetType, length: body.count) }
        let sender = reader.u32()
        let media = reader.u32()
        return (sender, media, reader)
    }

    /// Splits a compound packet into frames, validating every common header.
    static func split(_ bytes: ArraySlice<UInt8>, paddingRule: RTCPPaddingRule)
        throws(RTCPParseError) -> [RTCPFrame]
    {
        guard !bytes.isEmpty else { throw .empty }
        var frames: [RTCPFrame] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let offset = index - bytes.startIndex
            let available = bytes.endIndex - index
            guard available >= 4 else { throw .truncatedHeader(offset: offset) }
            let first = bytes[index]
            let version = first >> 6
            guard version == 2 else { throw .unsupportedVersion(version) }
            let header = RTCPHeader(
                padding: first & 0x20 != 0, count: first & 0x1F, packetType: bytes[index + 1],
                length: UInt16(bytes[index + 2]) << 8 | UInt16(bytes[index + 3]))
            let size = header.packetSize
            guard size <= available else { throw .lengthExceedsData(declared: size, available: available) }
            let end = index + size
            var bodyEnd = end
            if header.padding {
                if paddingRule == .lastPacketOnly, end != bytes.endIndex {
                    throw .paddingNotInLastPacket(offset: offset)
                }
                let count = Int(bytes[end - 1])
                guard count >= 1, count <= size - 4 else {
                    throw .invalidPadding(paddingLength: count, available: size - 4)
                }
                bodyEnd = end - count
            }
            frames.append(RTCPFrame(header: header, body: bytes[(index + 4)..<bodyEnd]))
            index = end
        }
        return frames
    }

    /// Splits bytes that must hold exactly one packet of this type (and format, when given).
    static func single(_ bytes: [UInt8], packetType: UInt8, format: UInt8? = nil)
        throws(RTCPParseError) -> RTCPFrame
    {
        guard bytes.count >= 4 else { throw bytes.isEmpty ? .empty : .truncatedHeader(offset: 0) }
        let declared = ((Int(bytes[2]) << 8) + Int(bytes[3]) + 1) * 4
        if bytes[0] >> 6 == 2, declared < bytes.count {
            throw .trailingBytes(count: bytes.count - declared)
        }
        let frames = try split(bytes[...], paddingRule: .anyPacket)
        guard let frame = frames.first else { throw .empty }
        guard frame.header.packetType == packetType, format == nil || format == frame.header.count else {
            throw .unexpectedPacketType(packetType: frame.header.packetType, format: frame.header.count)
        }
        return frame
    }
}

/// Where the P bit may appear in a compound packet.
public enum RTCPPaddingRule: Sendable, Hashable {
    /// RFC 3550 §6.4.1 and A.2: only the last packet of a compound may be padded.
    case lastPacketOnly
    /// Any packet may carry its own padding (libwebrtc pads every transport-cc feedback packet
    /// with the P bit and may put several in one compound).
    case anyPacket
}

extension Array where Element == UInt8 {
    /// Appends a common header; `length` is computed from `bodySize` (bytes after the header,
    /// which the caller keeps a multiple of four).
    mutating func appendRTCPHeader(count: UInt8, packetType: UInt8, bodySize: Int, padding: Bool = false) {
        append(0x80 | (padding ? 0x20 : 0) | (count & 0x1F))
        append(packetType)
        appendU16(UInt16(truncatingIfNeeded: bodySize / 4))
    }
}
