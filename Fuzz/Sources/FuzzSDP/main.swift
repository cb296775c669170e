import FuzzDriver
import SDP

// SDP offers as any HTTP client may POST them: parse, serialize what parsed, parse that again.
runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let description = try? SessionDescription.parse(text) else { return }
    let again = try? SessionDescription.parse(description.serialize())
    precondition(again != nil, "a description that parsed did not re-parse after serializing")
    _ = try? SessionDescription.parseFragment(text)
}
