import FuzzDriver
import RTP

// RTCP compound packets: every packet that parses must serialize to something that parses again.
// Both padding rules: the node accepts padding on any packet (libwebrtc pads transport-cc).
runFuzzer { bytes in
    _ = try? RTCPPacket.parseCompound(bytes)
    guard let packets = try? RTCPPacket.parseCompound(bytes, paddingRule: .anyPacket) else { return }
    for packet in packets {
        if case let .genericNACK(nack) = packet { _ = nack.sequenceNumbers }
        if case let .transportFeedback(feedback) = packet { _ = feedback.packets.count }
    }
    let again = try? RTCPPacket.parseCompound(RTCPPacket.serializeCompound(packets))
    precondition(again?.count == packets.count, "serialize/parse changed the compound")
}
