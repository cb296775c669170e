import Testing
@testable import SDP

/// A one-section description with `lines` under `m=video ... 96 97` (the first of them is line 6).
func media(_ lines: String...) throws -> MediaDescription {
    let text = header + "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n" + lines.map { $0 + "\r\n" }.joined()
    return try #require(try SessionDescription.parse(text).media.first)
}

/// Expects `body` to throw `malformedAttribute(name:)` for input line `line`.
func expectMalformed(_ name: String, line: Int = 6, _ body: () throws(SDPParseError) -> Void) {
    do {
        try body()
        Issue.record("expected a=\(name) to be rejected")
    } catch {
        #expect(error.line == line)
        guard case let .malformedAttribute(found, _) = error.reason else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(found == name)
    }
}

@Test func rtpmapWithAndWithoutChannels() throws {
    let m = try media("a=rtpmap:96 VP8/90000", "a=rtpmap:97 opus/48000/2")
    #expect(try m.rtpMaps() == [RTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000),
                                RTPMap(payloadType: 97, encodingName: "opus", clockRate: 48000, channels: 2)])
    #expect(try m.rtpMaps().map(\.attribute) == m.attributes)
}

@Test(arguments: ["a=rtpmap:96", "a=rtpmap:96 VP8", "a=rtpmap:x VP8/90000", "a=rtpmap:128 VP8/90000",
                  "a=rtpmap:96 VP8/fast", "a=rtpmap:96 opus/48000/two", "a=rtpmap:96 /90000",
                  "a=rtpmap:96 VP8/90000 extra", "a=rtpmap:96 VP8/99999999999"])
func malformedRTPMap(_ line: String) throws {
    let m = try media(line)
    expectMalformed("rtpmap") { () throws(SDPParseError) in _ = try m.rtpMaps() }
}

@Test func fmtpKeyValuesAndBareParameters() throws {
    let m = try media("a=fmtp:96 profile-id=0", "a=fmtp:97 apt=96;rtx-time=3000", "a=fmtp:101 0-15")
    let f = try m.formatParameters()
    #expect(f.map(\.payloadType) == [96, 97, 101])
    #expect(f[0]["profile-id"] == "0")
    #expect(f[1]["APT"] == "96")
    #expect(f[1]["rtx-time"] == "3000")
    #expect(f[2].parameters == [.init(key: "0-15", value: nil)])
    #expect(f.map(\.attribute) == m.attributes)
}

@Test(arguments: ["a=fmtp:96", "a=fmtp:x apt=1", "a=fmtp:300 apt=1", "a=fmtp"])
func malformedFMTP(_ line: String) throws {
    let m = try media(line)
    expectMalformed("fmtp") { () throws(SDPParseError) in _ = try m.formatParameters() }
}

@Test func rtcpFeedbackWildcardAndParameters() throws {
    let m = try media("a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:* ccm fir", "a=rtcp-fb:97 transport-cc")
    let fb = try m.rtcpFeedback()
    #expect(fb == [RTCPFeedback(payloadType: 96, type: "nack"), RTCPFeedback(payloadType: 96, type: "nack", parameter: "pli"),
                   RTCPFeedback(payloadType: nil, type: "ccm", parameter: "fir"), RTCPFeedback(payloadType: 97, type: "transport-cc")])
    #expect(fb.filter { $0.applies(to: 96) }.count == 3)
    #expect(fb.map(\.attribute) == m.attributes)
}

@Test(arguments: ["a=rtcp-fb:96", "a=rtcp-fb:abc nack", "a=rtcp-fb:"])
func malformedRTCPFeedback(_ line: String) throws {
    let m = try media(line)
    expectMalformed("rtcp-fb") { () throws(SDPParseError) in _ = try m.rtcpFeedback() }
}

@Test func extmapWithDirectionAndAttributes() throws {
    let m = try media("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid", "a=extmap:7/recvonly urn:x:y attr")
    #expect(try m.extMaps() == [ExtMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid"),
                                ExtMap(id: 7, direction: .recvonly, uri: "urn:x:y", extensionAttributes: "attr")])
    #expect(try m.extMaps().map(\.attribute) == m.attributes)
}

@Test(arguments: ["a=extmap:4", "a=extmap:0 urn:x", "a=extmap:4096 urn:x", "a=extmap:4/sideways urn:x",
                  "a=extmap:x urn:x", "a=extmap:4/sendonly/x urn:x"])
func malformedExtMap(_ line: String) throws {
    let m = try media(line)
    expectMalformed("extmap") { () throws(SDPParseError) in _ = try m.extMaps() }
}

@Test func ssrcAndGroups() throws {
    let m = try media("a=ssrc-group:FID 1 2", "a=ssrc:1 cname:abc", "a=ssrc:1 msid:s t", "a=ssrc:2 x-flag",
                      "a=msid:stream track")
    #expect(try m.ssrcGroups() == [SSRCGroup(semantics: "FID", ssrcs: [1, 2])])
    #expect(try m.ssrcAttributes() == [SSRCAttribute(ssrc: 1, name: "cname", value: "abc"),
                                       SSRCAttribute(ssrc: 1, name: "msid", value: "s t"), SSRCAttribute(ssrc: 2, name: "x-flag")])
    #expect(try m.msid() == MediaStreamID(streamID: "stream", trackID: "track"))
}

@Test(arguments: ["a=ssrc:1", "a=ssrc:4294967296 cname:x", "a=ssrc:x cname:y", "a=ssrc:1 "])
func malformedSSRC(_ line: String) throws {
    let m = try media(line)
    expectMalformed("ssrc") { () throws(SDPParseError) in _ = try m.ssrcAttributes() }
}

@Test(arguments: ["a=ssrc-group:FID", "a=ssrc-group:FID 1 x", "a=ssrc-group:"])
func malformedSSRCGroup(_ line: String) throws {
    let m = try media(line)
    expectMalformed("ssrc-group") { () throws(SDPParseError) in _ = try m.ssrcGroups() }
}

@Test func candidateWithRelatedAddressAndExtensions() throws {
    let m = try media("a=candidate:842163049 1 udp 1677729535 198.51.100.7 61665 typ srflx raddr 192.0.2.1 rport 61665 generation 0 network-cost 999")
    let c = try #require(try m.candidates().first)
    #expect(c.address == "198.51.100.7" && c.port == 61665 && c.type == "srflx" && c.priority == 1_677_729_535)
    #expect(c.relatedAddress == "192.0.2.1" && c.relatedPort == 61665)
    #expect(c.extensions == [.init(name: "generation", value: "0"), .init(name: "network-cost", value: "999")])
    #expect(c.attribute == m.attributes[0])
}

@Test(arguments: ["a=candidate:1 1 udp 1 1.2.3.4 5 host", "a=candidate:1 1 udp x 1.2.3.4 5 typ host",
                  "a=candidate:1 1 udp 1 1.2.3.4 70000 typ host", "a=candidate:1 1 udp 1 1.2.3.4 5 typ host generation",
                  "a=candidate:1 1 udp 1 1.2.3.4 5 typ srflx rport x"])
func malformedCandidate(_ line: String) throws {
    let m = try media(line)
    expectMalformed("candidate") { () throws(SDPParseError) in _ = try m.candidates() }
}

@Test func transportAttributes() throws {
    let m = try media("a=ice-ufrag:abcd", "a=ice-pwd:0123456789012345678901", "a=ice-options:trickle ice2",
                      "a=fingerprint:SHA-256 AB:CD", "a=setup:passive", "a=ice-lite", "a=end-of-candidates",
                      "a=rtcp-mux", "a=rtcp-rsize", "a=mid:v", "a=inactive")
    #expect(m.iceUfrag == "abcd" && m.icePwd == "0123456789012345678901")
    #expect(m.iceOptions == ["trickle", "ice2"])
    #expect(try m.fingerprints() == [SDPFingerprint(hashFunction: "sha-256", value: "AB:CD")])
    #expect(try m.setup() == .passive)
    #expect(m.iceLite && m.endOfCandidates && m.rtcpMux && m.rtcpReducedSize)
    #expect(m.mid == "v" && m.direction == .inactive)
    #expect(try media().direction == .sendrecv)
    let badSetup = try media("a=setup:sideways"), badFingerprint = try media("a=fingerprint:sha-256")
    expectMalformed("setup") { () throws(SDPParseError) in _ = try badSetup.setup() }
    expectMalformed("fingerprint") { () throws(SDPParseError) in _ = try badFingerprint.fingerprints() }
}

@Test func ridAndSimulcast() throws {
    let m = try media("a=rid:h send max-width=1280", "a=rid:l send", "a=simulcast:send h;~m,l recv r")
    #expect(try m.rids().map(\.id) == ["h", "l"])
    let s = try #require(try m.simulcast())
    #expect(s.send.map { $0.map(\.rid) } == [["h"], ["m", "l"]])
    #expect(s.send[1][0].paused && !s.send[1][1].paused)
    #expect(s.receive.map { $0.map(\.rid) } == [["r"]])
    let badRID = try media("a=rid:h sideways"), badSimulcast = try media("a=simulcast:both h")
    expectMalformed("rid") { () throws(SDPParseError) in _ = try badRID.rids() }
    expectMalformed("simulcast") { () throws(SDPParseError) in _ = try badSimulcast.simulcast() }
}

@Test func bundleGroup() throws {
    let sdp = try SessionDescription.parse(header + "a=group:LS 0 1\r\na=group:BUNDLE 0 1\r\n")
    #expect(try sdp.bundleMids() == ["0", "1"])
    #expect(try SessionDescription.parse(header).bundleMids() == nil)
}

@Test func unknownAttributesKeepTheirOrder() throws {
    let text = header + "a=x-first\r\na=group:BUNDLE 0\r\na=x-second:1 2 3\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=x-third\r\na=mid:0\r\na=x-fourth:\r\n"
    let sdp = try SessionDescription.parse(text)
    #expect(sdp.attributes.map(\.name) == ["x-first", "group", "x-second"])
    #expect(sdp.media[0].attributes.map(\.description) == ["x-third", "mid:0", "x-fourth:"])
    #expect(sdp.serialize() == text)
}

@Test func fragmentWithoutVersionLine() throws {
    let frag = try SessionDescription.parseFragment("a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n")
    #expect(frag.iceUfrag == "EsAw")
    #expect(frag.media.first?.mid == "0")
    #expect(try frag.media.first?.candidates().count == 1)
    #expect(throws: SDPParseError.self) { try SessionDescription.parseFragment("hello") }
}

@Test func writerOutputIsCRLFAndParsesBack() throws {
    var sdp = SessionDescription(origin: SDPOrigin(sessionID: "42"), attributes: [SDPAttribute("ice-lite")])
    sdp.media.append(MediaDescription(media: "audio", port: 5000, proto: "UDP/TLS/RTP/SAVPF", formats: ["111"],
                                      connection: SDPConnection(address: "192.0.2.1"),
                                      attributes: [SDPAttribute("mid", "0"), RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2).attribute]))
    let text = sdp.serialize()
    #expect(text == "v=0\r\no=- 42 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\nm=audio 5000 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 192.0.2.1\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n")
    #expect(try SessionDescription.parse(text) == sdp)
}
