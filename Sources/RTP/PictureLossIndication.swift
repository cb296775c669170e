/// Picture loss indication, PSFB (PT 206) FMT 1 (RFC 4585 §6.3.1). It has no FCI.
public struct PictureLossIndication: Sendable, Hashable {
    /// The feedback message's format number.
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    /// Parses exactly one PLI packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> PictureLossIndication {
        try PictureLossIndication(RTCPFrame.single(bytes, packetType: RTCPPacketType.payloadFeedback, format: format))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let feedback = try frame.feedbackHeader()
        senderSSRC = feedback.sender
        mediaSSRC = feedback.media
        let reader = feedback.fci
        guard reader.remaining == 0 else {
            throw .invalidFCILength(packetType: RTCPPacketType.payloadFeedback, format: Self.format,
                                    length: reader.remaining)
        }
    }

    /// The serialized size in bytes.
    public var size: Int { 12 }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: Self.format, packetType: RTCPPacketType.payloadFeedback, bodySize: 8)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
    }
}
