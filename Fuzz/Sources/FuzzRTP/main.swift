import FuzzDriver
import RTP

// RTP packets as a peer may send them: parse, then touch what the node touches (extensions,
// in-place rewriting), and check that what parsed serializes and re-parses to the same packet.
runFuzzer { bytes in
    _ = DatagramClass.classify(bytes)
    guard let packet = try? RTPPacket.parse(bytes) else { return }
    if let ext = packet.header.headerExtension, let elements = try? ext.elements() {
        for element in elements {
            _ = try? MIDHeaderExtension(parsing: element.data)
            _ = try? AbsSendTime(parsing: element.data)
            _ = try? TransportSequenceNumber(parsing: element.data)
        }
    }
    let again = try? RTPPacket.parse(packet.serialize())
    precondition(again?.header.sequenceNumber == packet.header.sequenceNumber, "serialize/parse changed the packet")
    var copy = bytes
    _ = RTPPacket.rewrite(&copy, ssrc: 1, sequenceNumber: 2, timestamp: 3)
}
