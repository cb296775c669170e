import FuzzDriver
import Node
import SDP
import SansIO

// SDP offers as any HTTP client may POST them to /whip or /whep: parse, serialize what parsed and
// parse it again, then run the node's own offer/answer on it and check the answer it writes parses.
let candidate = TransportAddress(ip: .v4(127, 0, 0, 1), port: 50000)

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? SessionDescription.parseFragment(text)
    _ = try? OfferAnswer.iceRestartRequested(fragment: text, currentUfrag: "abcd")
    guard let description = try? SessionDescription.parse(text) else { return }
    precondition((try? SessionDescription.parse(description.serialize())) != nil,
                 "a description that parsed did not re-parse after serializing")
    for role in [SessionRole.publisher, .subscriber] {
        guard let remote = try? OfferAnswer.negotiate(offer: text, role: role, videoCodecs: [.vp8, .vp9]) else { continue }
        let answer = OfferAnswer.answer(
            to: remote, role: role, ufrag: "abcd", pwd: "0123456789abcdefghijklmn",
            fingerprint: "sha-256 " + Array(repeating: "AB", count: 32).joined(separator: ":"),
            candidates: [candidate], outgoing: remote.sections.map { _ in (1, 2) }, room: "r", session: "s")
        precondition((try? SessionDescription.parse(answer)) != nil, "the node wrote an answer that does not parse")
    }
}
