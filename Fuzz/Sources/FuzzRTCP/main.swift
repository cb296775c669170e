import FuzzDriver
import RTP

// RTCP compound packets: every packet that parses must serialize to something that parses again.
runFuzzer { bytes in
    guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
    for packet in packets {
        if case let .genericNACK(nack) = packet { _ = nack.sequenceNumbers }
        if case let .transportFeedback(feedback) = packet { _ = feedback.packets.count }
    }
    let again = try? RTCPPacket.parseCompound(RTCPPacket.serializeCompound(packets))
    precondition(again?.count == packets.count, "serialize/parse changed the compound")
}
