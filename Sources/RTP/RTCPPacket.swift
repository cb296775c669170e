/// One packet of an RTCP compound packet (RFC 3550 §6.1), decoded by type.
///
/// Packet types and feedback formats this module does not model (APP, XR, other RTPFB/PSFB
/// formats, application-layer feedback other than REMB) are kept as `.unknown` so one of
/// them never fails the compound.
public enum RTCPPacket: Sendable, Hashable {
    case senderReport(SenderReport)
    case receiverReport(ReceiverReport)
    case sourceDescription(SourceDescription)
    case goodbye(Goodbye)
    case genericNACK(GenericNACK)
    case pictureLossIndication(PictureLossIndication)
    case fullIntraRequest(FullIntraRequest)
    case receiverEstimatedMaxBitrate(ReceiverEstimatedMaxBitrate)
    case transportFeedback(TransportFeedback)
    /// Any other packet: its type, 5-bit count/format field and payload after the 4-byte
    /// header, without padding.
    case unknown(packetType: UInt8, format: UInt8, body: [UInt8])

    /// Parses a compound packet into its packets, in order.
    ///
    /// Validates each common header (version 2, length within the bytes, padding count) and
    /// each known packet's body. By default only the last packet may set the P bit
    /// (RFC 3550 §6.4.1, A.2); pass `.anyPacket` to accept libwebrtc's padded transport-cc
    /// packets in the middle of a compound. Never traps.
    public static func parseCompound(_ bytes: [UInt8], paddingRule: RTCPPaddingRule = .lastPacketOnly)
        throws(RTCPParseError) -> [RTCPPacket]
    {
        let frames = try RTCPFrame.split(bytes[...], paddingRule: paddingRule)
        var packets: [RTCPPacket] = []
        packets.reserveCapacity(frames.count)
        for frame in frames { packets.append(try RTCPPacket(frame)) }
        return packets
    }

    /// Parses bytes holding exactly one RTCP packet.
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> RTCPPacket {
        guard bytes.count >= 4 else { throw bytes.isEmpty ? .empty : .truncatedHeader(offset: 0) }
        let frame = try RTCPFrame.single(bytes, packetType: bytes[1])
        return try RTCPPacket(frame)
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let header = frame.header
        switch (header.packetType, header.count) {
        case (RTCPPacketType.senderReport, _): self = .senderReport(try SenderReport(frame))
        case (RTCPPacketType.receiverReport, _): self = .receiverReport(try ReceiverReport(frame))
        case (RTCPPacketType.sourceDescription, _): self = .sourceDescription(try SourceDescription(frame))
        case (RTCPPacketType.goodbye, _): self = .goodbye(try Goodbye(frame))
        case (RTCPPacketType.transportFeedback, GenericNACK.format): self = .genericNACK(try GenericNACK(frame))
        case (RTCPPacketType.transportFeedback, TransportFeedback.format):
            self = .transportFeedback(try TransportFeedback(frame))
        case (RTCPPacketType.payloadFeedback, PictureLossIndication.format):
            self = .pictureLossIndication(try PictureLossIndication(frame))
        case (RTCPPacketType.payloadFeedback, FullIntraRequest.format):
            self = .fullIntraRequest(try FullIntraRequest(frame))
        case (RTCPPacketType.payloadFeedback, ReceiverEstimatedMaxBitrate.format)
            where ReceiverEstimatedMaxBitrate.isREMB(frame.body):
            self = .receiverEstimatedMaxBitrate(try ReceiverEstimatedMaxBitrate(frame))
        default:
            self = .unknown(packetType: header.packetType, format: header.count, body: Array(frame.body))
        }
    }

    /// Concatenates the packets into one compound packet. Nothing is padded with the P bit, so
    /// the result satisfies `.lastPacketOnly`.
    public static func serializeCompound(_ packets: [RTCPPacket]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(packets.reduce(0) { $0 + $1.size })
        for packet in packets { packet.write(to: &out) }
        return out
    }

    /// This packet's bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    /// The serialized size in bytes.
    public var size: Int {
        switch self {
        case .senderReport(let packet): packet.size
        case .receiverReport(let packet): packet.size
        case .sourceDescription(let packet): packet.size
        case .goodbye(let packet): packet.size
        case .genericNACK(let packet): packet.size
        case .pictureLossIndication(let packet): packet.size
        case .fullIntraRequest(let packet): packet.size
        case .receiverEstimatedMaxBitrate(let packet): packet.size
        case .transportFeedback(let packet): packet.size
        case .unknown(_, _, let body): 4 + (min(body.count, 0x3FFFC) + 3) / 4 * 4
        }
    }

    func write(to out: inout [UInt8]) {
        switch self {
        case .senderReport(let packet): packet.write(to: &out)
        case .receiverReport(let packet): packet.write(to: &out)
        case .sourceDescription(let packet): packet.write(to: &out)
        case .goodbye(let packet): packet.write(to: &out)
        case .genericNACK(let packet): packet.write(to: &out)
        case .pictureLossIndication(let packet): packet.write(to: &out)
        case .fullIntraRequest(let packet): packet.write(to: &out)
        case .receiverEstimatedMaxBitrate(let packet): packet.write(to: &out)
        case .transportFeedback(let packet): packet.write(to: &out)
        case .unknown(let packetType, let format, let body):
            let written = body.prefix(0x3FFFC)
            out.appendRTCPHeader(count: format, packetType: packetType, bodySize: (written.count + 3) / 4 * 4)
            out.append(contentsOf: written)
            out.append(contentsOf: repeatElement(0, count: (4 - written.count % 4) % 4))
        }
    }
}
