/// One FIR FCI entry (RFC 5104 §4.3.1.1): the source asked for a decoder refresh and the
/// request's command sequence number.
public struct FIREntry: Sendable, Hashable {
    public var ssrc: UInt32
    /// Incremented by one for each new request to this source (modulo 256).
    public var sequenceNumber: UInt8

    public init(ssrc: UInt32, sequenceNumber: UInt8) {
        self.ssrc = ssrc
        self.sequenceNumber = sequenceNumber
    }
}

/// Full intra request, PSFB (PT 206) FMT 4 (RFC 5104 §4.3.1). The header's media SSRC is 0;
/// the targets are in the FCI entries (SSRC, seq nr, 24 reserved bits).
public struct FullIntraRequest: Sendable, Hashable {
    /// The feedback message's format number.
    public static let format: UInt8 = 4

    public var senderSSRC: UInt32
    /// The header's media source field; RFC 5104 says it is 0 for FIR.
    public var mediaSSRC: UInt32
    public var entries: [FIREntry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [FIREntry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// Parses exactly one FIR packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> FullIntraRequest {
        try FullIntraRequest(RTCPFrame.single(bytes, packetType: RTCPPacketType.payloadFeedback, format: format))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let feedback = try frame.feedbackHeader()
        senderSSRC = feedback.sender
        mediaSSRC = feedback.media
        var reader = feedback.fci
        let fciLength = reader.remaining
        guard fciLength >= 8, fciLength % 8 == 0 else {
            throw .invalidFCILength(packetType: RTCPPacketType.payloadFeedback, format: Self.format,
                                    length: fciLength)
        }
        var entries: [FIREntry] = []
        while reader.remaining >= 8 {
            let ssrc = reader.u32()
            let sequenceNumber = reader.u8()
            reader.skip(3)
            entries.append(FIREntry(ssrc: ssrc, sequenceNumber: sequenceNumber))
        }
        self.entries = entries
    }

    /// The serialized size in bytes.
    public var size: Int { 12 + 8 * entries.count }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: Self.format, packetType: RTCPPacketType.payloadFeedback, bodySize: size - 4)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        for entry in entries {
            out.appendU32(entry.ssrc)
            out.append(entry.sequenceNumber)
            out.append(contentsOf: [0, 0, 0])
        }
    }
}
