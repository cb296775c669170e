import Testing
@testable import SDP

@Test func minimalDescriptionParses() throws {
    let text = "v=0\no=- 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\na=group:BUNDLE 0\nm=audio 9 UDP/TLS/RTP/SAVPF 111\nc=IN IP4 0.0.0.0\na=mid:0\na=rtpmap:111 opus/48000/2\na=x-unknown:keep me\n"
    let sdp = try SessionDescription.parse(text)
    #expect(sdp.media.count == 1)
    #expect(sdp.media.first?.mid == "0")
    #expect(try sdp.bundleMids() == ["0"])
    #expect(try sdp.media.first?.rtpMaps() == [RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2)])
    #expect(sdp.serialize() == text.replacingOccurrences(of: "\n", with: "\r\n"))
}
