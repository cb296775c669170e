/// Receiver estimated maximum bitrate, PSFB (PT 206) FMT 15 with the 'REMB' identifier
/// (draft-alvestrand-rmcat-remb-03 §2.2): a bitrate cap as 6-bit exponent and 18-bit mantissa,
/// and the SSRCs it applies to.
public struct ReceiverEstimatedMaxBitrate: Sendable, Hashable {
    /// The feedback message's format number (application layer feedback, RFC 4585 §6.4).
    public static let format: UInt8 = 15
    /// The unique identifier 'R' 'E' 'M' 'B'.
    public static let identifier: [UInt8] = [0x52, 0x45, 0x4D, 0x42]
    /// The largest mantissa: 18 bits.
    public static let maxMantissa: UInt64 = 0x3_FFFF

    public var senderSSRC: UInt32
    /// The header's media source field; the draft says 0.
    public var mediaSSRC: UInt32
    /// The estimated maximum bitrate in bits per second. On the wire it becomes
    /// mantissa · 2^exponent with the smallest exponent that fits, which rounds down.
    public var bitrate: UInt64
    /// The SSRCs the estimate applies to; at most 255 are written.
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// The exponent and mantissa this bitrate is written as: the smallest exponent whose
    /// mantissa (bitrate >> exponent) fits in 18 bits.
    public static func encode(bitrate: UInt64) -> (exponent: UInt8, mantissa: UInt32) {
        var mantissa = bitrate
        var exponent: UInt8 = 0
        while mantissa > maxMantissa {
            mantissa >>= 1
            exponent += 1
        }
        return (exponent, UInt32(truncatingIfNeeded: mantissa))
    }

    /// Parses exactly one REMB packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> ReceiverEstimatedMaxBitrate {
        try ReceiverEstimatedMaxBitrate(
            RTCPFrame.single(bytes, packetType: RTCPPacketType.payloadFeedback, format: format))
    }

    /// Whether an application-layer feedback body carries the REMB identifier.
    static func isREMB(_ body: ArraySlice<UInt8>) -> Bool {
        body.count >= 12 && body.dropFirst(8).prefix(4).elementsEqual(identifier)
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let type = RTCPPacketType.payloadFeedback
        let feedback = try frame.feedbackHeader()
        senderSSRC = feedback.sender
        mediaSSRC = feedback.media
        var reader = feedback.fci
        guard Self.isREMB(frame.body) else { throw .missingREMBIdentifier }
        reader.skip(4)
        guard reader.remaining >= 4 else { throw .truncatedBody(packetType: type, length: frame.body.count) }
        let count = Int(reader.u8())
        let field = reader.u24()
        let exponent = UInt8(truncatingIfNeeded: field >> 18)
        let mantissa = field & 0x3_FFFF
        let value = UInt64(mantissa) << exponent
        guard value >> exponent == UInt64(mantissa) else {
            throw .rembBitrateOverflow(exponent: exponent, mantissa: mantissa)
        }
        bitrate = value
        guard reader.remaining >= 4 * count else { throw .countMismatch(packetType: type, count: count) }
        var ssrcs: [UInt32] = []
        for _ in 0..<count { ssrcs.append(reader.u32()) }
        guard reader.remaining == 0 else { throw .unexpectedBytes(packetType: type, count: reader.remaining) }
        self.ssrcs = ssrcs
    }

    private var writtenSSRCs: ArraySlice<UInt32> { ssrcs.prefix(255) }

    /// The serialized size in bytes.
    public var size: Int { 20 + 4 * writtenSSRCs.count }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: Self.format, packetType: RTCPPacketType.payloadFeedback, bodySize: size - 4)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        out.append(contentsOf: Self.identifier)
        out.append(UInt8(writtenSSRCs.count))
        let (exponent, mantissa) = Self.encode(bitrate: bitrate)
        out.appendU24(UInt32(exponent) << 18 | mantissa)
        for ssrc in writtenSSRCs { out.appendU32(ssrc) }
    }
}
