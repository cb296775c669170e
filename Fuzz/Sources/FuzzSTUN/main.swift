import FuzzDriver
import ICE
import SansIO

// STUN as any peer may send it to the shared port: parse, verify, decode, and feed an ICE-lite
// agent whose credentials match the RFC 5769 sample so that authenticated paths are reached too.
nonisolated(unsafe) var agent = ICELiteAgent(localUfrag: "evtj", localPassword: "VOkJxbRl1RmTxUk/WvJxBt",
                                             remoteUfrag: nil, remotePassword: nil, now: .zero)
let from = TransportAddress(ip: .v4(192, 0, 2, 1), port: 32853)

runFuzzer { bytes in
    _ = ICELiteAgent.localUfrag(ofRequest: bytes)
    if let message = try? STUNMessage.parse(bytes) {
        _ = message.verifyIntegrity(key: Array("VOkJxbRl1RmTxUk/WvJxBt".utf8))
        _ = message.verifyFingerprint()
        _ = (message.xorMappedAddress, message.mappedAddress, message.errorCode, message.username,
             message.priority, message.iceControlling, message.iceControlled, message.unknownComprehensionRequired)
    }
    for output in agent.handle(datagram: bytes, from: from, now: .zero) {
        if case let .send(response, _) = output {
            precondition((try? STUNMessage.parse(response)) != nil, "the agent sent a malformed response")
        }
    }
}
