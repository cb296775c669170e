import Foundation
import Testing
@testable import SDP

let header = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

struct BadInput: Sendable, CustomStringConvertible {
    var description: String
    var text: String
    var line: Int
    var reason: SDPParseError.Reason
}

let badInputs: [BadInput] = [
    .init(description: "empty", text: "", line: 0, reason: .empty),
    .init(description: "only blank lines", text: "\r\n\r\n", line: 0, reason: .empty),
    .init(description: "line before v=", text: "o=- 1 2 IN IP4 127.0.0.1\r\nv=0\r\n", line: 1, reason: .lineBeforeVersion),
    .init(description: "wrong version", text: "v=1\r\no=- 1 2 IN IP4 127.0.0.1\r\n", line: 1, reason: .unsupportedVersion("1")),
    .init(description: "missing equals", text: header + "a\r\n", line: 5, reason: .missingEquals),
    .init(description: "truncated line", text: header + "m\r\n", line: 5, reason: .missingEquals),
    .init(description: "two-letter type", text: header + "ab=c\r\n", line: 5, reason: .missingEquals),
    .init(description: "upper-case type", text: header + "A=x\r\n", line: 5, reason: .missingEquals),
    .init(description: "unknown type", text: header + "x=1\r\n", line: 5, reason: .unexpectedLine("x")),
    .init(description: "t= in media", text: header + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", line: 6, reason: .unexpectedLine("t")),
    .init(description: "second v=", text: header + "v=0\r\n", line: 5, reason: .duplicateLine("v")),
    .init(description: "second o=", text: header + "o=- 1 2 IN IP4 127.0.0.1\r\n", line: 5, reason: .duplicateLine("o")),
    .init(description: "missing o=", text: "v=0\r\ns=-\r\nt=0 0\r\n", line: 1, reason: .missingLine("o")),
    .init(description: "short o=", text: "v=0\r\no=- 1 2 IN IP4\r\n", line: 2, reason: .malformedOrigin),
    .init(description: "bad c=", text: header + "c=IN IP4\r\n", line: 5, reason: .malformedConnection),
    .init(description: "bad b=", text: header + "b=AS\r\n", line: 5, reason: .malformedBandwidth),
    .init(description: "non-numeric b=", text: header + "b=AS:lots\r\n", line: 5, reason: .malformedBandwidth),
    .init(description: "bad t=", text: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nt=0\r\n", line: 3, reason: .malformedTiming),
    .init(description: "r= before t=", text: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\nr=1\r\n", line: 3, reason: .unexpectedLine("r")),
    .init(description: "m= with no formats", text: header + "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", line: 5, reason: .malformedMedia),
    .init(description: "empty m=", text: header + "m=\r\n", line: 5, reason: .malformedMedia),
    .init(description: "non-numeric port", text: header + "m=audio nine UDP/TLS/RTP/SAVPF 111\r\n", line: 5, reason: .invalidPort("nine")),
    .init(description: "port over 65535", text: header + "m=audio 65536 UDP/TLS/RTP/SAVPF 111\r\n", line: 5, reason: .invalidPort("65536")),
    .init(description: "negative port", text: header + "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", line: 5, reason: .invalidPort("-1")),
    .init(description: "bad port count", text: header + "m=audio 9/x UDP/TLS/RTP/SAVPF 111\r\n", line: 5, reason: .invalidPort("9/x")),
    .init(description: "non-numeric payload type", text: header + "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", line: 5, reason: .invalidPayloadType("opus")),
    .init(description: "payload type over 127", text: header + "m=video 9 UDP/TLS/RTP/SAVPF 96 200\r\n", line: 5, reason: .invalidPayloadType("200")),
    .init(description: "huge payload type", text: header + "m=video 9 UDP/TLS/RTP/SAVPF 99999999999999999999999\r\n", line: 5,
          reason: .invalidPayloadType("99999999999999999999999")),
    .init(description: "second c= in a section", text: header + "m=audio 9 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n", line: 7, reason: .duplicateLine("c")),
    .init(description: "lone CR inside a line", text: header + "a=mid:0\rx\r\n", line: 5, reason: .invalidCharacter),
    .init(description: "NUL byte", text: header + "a=mid:\u{0}\r\n", line: 5, reason: .invalidCharacter),
]

@Test(arguments: badInputs)
func badInputThrowsItsReason(_ input: BadInput) {
    #expect(throws: SDPParseError(line: input.line, reason: input.reason)) {
        try SessionDescription.parse(input.text)
    }
}

@Test func errorDescriptionIsOneLineWithTheLineNumber() {
    let error = SDPParseError(line: 7, reason: .invalidPort("nine"))
    #expect(error.description == "line 7: bad port \"nine\"")
    let long = SDPParseError(line: 2, reason: .unsupportedVersion(String(repeating: "x", count: 500) + "\n\u{1}"))
    #expect(!long.description.contains("\n"))
    #expect(long.description.count < 80)
}

@Test func applicationSectionsMayUseNonNumericFormats() throws {
    let sdp = try SessionDescription.parse(header + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:2\r\n")
    #expect(sdp.media.first?.formats == ["webrtc-datachannel"])
    #expect(sdp.media.first?.isRTP == false)
}

/// Runs every typed reader, so that checking an attribute also never traps.
func readEverything(_ sdp: SessionDescription) {
    _ = try? sdp.bundleMids()
    _ = try? sdp.fingerprints()
    _ = try? sdp.setup()
    _ = try? sdp.candidates()
    _ = sdp.serialize()
    for m in sdp.media {
        _ = try? m.rtpMaps()
        _ = try? m.formatParameters()
        _ = try? m.rtcpFeedback()
        _ = try? m.extMaps()
        _ = try? m.msid()
        _ = try? m.ssrcAttributes()
        _ = try? m.ssrcGroups()
        _ = try? m.rids()
        _ = try? m.simulcast()
        _ = try? m.candidates()
        _ = try? m.fingerprints()
        _ = try? m.setup()
        _ = (m.direction, m.mid, m.iceUfrag, m.icePwd, m.iceOptions, m.payloadTypes)
    }
}

@Test(arguments: Fixture.all)
func everyPrefixParsesOrThrows(_ name: String) throws {
    let bytes = Array(try Fixture.text(name).utf8)
    var parsed = 0
    // Every prefix that ends within 3 bytes of a line break (the interesting cuts: inside the
    // type letter, at `=`, the last field, CR without LF), plus every 8th byte elsewhere.
    // (All 50 000 prefixes take minutes in a debug build.)
    var ends: Set<Int> = [0, bytes.count]
    for (i, b) in bytes.enumerated() where b == 0x0A {
        for d in -3...3 where i + d >= 0 && i + d <= bytes.count { ends.insert(i + d) }
    }
    for end in stride(from: 0, through: bytes.count, by: 8) { ends.insert(end) }
    for end in ends.sorted() {
        let text = String(decoding: bytes[..<end], as: UTF8.self)
        do {
            readEverything(try SessionDescription.parse(text))
            parsed += 1
        } catch {
            #expect(!error.description.isEmpty)
        }
    }
    #expect(parsed > 0)
}

@Test(arguments: Fixture.all)
func everyTruncatedLineParsesOrThrows(_ name: String) throws {
    let lines = try Fixture.text(name).components(separatedBy: "\r\n")
    for (i, line) in lines.enumerated() {
        for cut in [1, 2, line.count / 2, max(line.count - 1, 0)] {
            var mutated = lines
            mutated[i] = String(line.prefix(cut))
            if let sdp = try? SessionDescription.parse(mutated.joined(separator: "\r\n")) { readEverything(sdp) }
        }
    }
}
