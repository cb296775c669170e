/// RTCP BYE, PT 203 (RFC 3550 §6.6): sources leaving, with an optional reason.
public struct Goodbye: Sendable, Hashable {
    /// The SSRCs/CSRCs leaving; at most 31 are written.
    public var sources: [UInt32]
    /// Reason for leaving; at most 255 UTF-8 bytes are written.
    public var reason: String?

    public init(sources: [UInt32], reason: String? = nil) {
        self.sources = sources
        self.reason = reason
    }

    /// Parses exactly one BYE packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> Goodbye {
        try Goodbye(RTCPFrame.single(bytes, packetType: RTCPPacketType.goodbye))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        var reader = ByteReader(frame.body)
        let count = Int(frame.header.count)
        guard reader.remaining >= 4 * count else {
            throw .countMismatch(packetType: RTCPPacketType.goodbye, count: count)
        }
        var sources: [UInt32] = []
        for _ in 0..<count { sources.append(reader.u32()) }
        self.sources = sources
        self.reason = nil
        if reader.remaining > 0 {
            let length = Int(reader.u8())
            guard reader.remaining >= length else { throw .truncatedByeReason }
            reason = String(decoding: reader.take(length), as: UTF8.self)
            // Up to 3 bytes of zero padding to the 32-bit boundary may follow.
            guard reader.remaining < 4 else {
                throw .unexpectedBytes(packetType: RTCPPacketType.goodbye, count: reader.remaining)
            }
        }
    }

    private var writtenSources: ArraySlice<UInt32> { sources.prefix(31) }
    private var reasonBytes: ArraySlice<UInt8>? { reason.map { Array($0.utf8).prefix(255) } }

    /// The serialized size in bytes.
    public var size: Int {
        let reasonSize = reasonBytes.map { ($0.count + 1 + 3) / 4 * 4 } ?? 0
        return 4 + 4 * writtenSources.count + reasonSize
    }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: UInt8(writtenSources.count), packetType: RTCPPacketType.goodbye,
                             bodySize: size - 4)
        for source in writtenSources { out.appendU32(source) }
        if let reasonBytes {
            out.append(UInt8(reasonBytes.count))
            out.append(contentsOf: reasonBytes)
            out.padToWord()
        }
    }
}
