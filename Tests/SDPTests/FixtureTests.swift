import Foundation
import Testing
@testable import SDP

/// Real offers (captured by Tests/interop/capture_offers.py) and two hand-written ones.
enum Fixture {
    static func text(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "sdp", subdirectory: "Fixtures"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    static let all = [
        "chromium-whip-sendonly", "chromium-whep-recvonly", "chromium-whip-vp9-preferred",
        "aiortc-whip-sendonly", "aiortc-whep-recvonly",
        "handwritten-obs-libdatachannel-whip", "handwritten-gstreamer-webrtcbin-whip",
    ]
}

struct FixtureExpectation: Sendable, CustomStringConvertible {
    var name: String
    var mids: [String]
    var kinds: [String]
    var direction: MediaDirection
    /// Encoding names of the video section's first formats, in offer order.
    var firstVideoCodecs: [String]
    /// Header-extension URIs the video section offers (a subset).
    var videoExtensions: [String]
    var fingerprintAtSessionLevel: Bool
    var description: String { name }
}

let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
let absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
let twccURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

let expectations: [FixtureExpectation] = [
    .init(name: "chromium-whip-sendonly", mids: ["0", "1"], kinds: ["audio", "video"], direction: .sendonly,
          firstVideoCodecs: ["VP8", "rtx"], videoExtensions: [midURI, absSendTimeURI, twccURI], fingerprintAtSessionLevel: false),
    .init(name: "chromium-whep-recvonly", mids: ["0", "1"], kinds: ["audio", "video"], direction: .recvonly,
          firstVideoCodecs: ["VP8", "rtx"], videoExtensions: [midURI, absSendTimeURI, twccURI], fingerprintAtSessionLevel: false),
    .init(name: "chromium-whip-vp9-preferred", mids: ["0", "1"], kinds: ["audio", "video"], direction: .sendonly,
          firstVideoCodecs: ["VP9", "rtx"], videoExtensions: [midURI, absSendTimeURI, twccURI], fingerprintAtSessionLevel: false),
    .init(name: "aiortc-whip-sendonly", mids: ["0", "1"], kinds: ["audio", "video"], direction: .sendonly,
          firstVideoCodecs: ["VP8", "rtx"], videoExtensions: [midURI, absSendTimeURI], fingerprintAtSessionLevel: false),
    .init(name: "aiortc-whep-recvonly", mids: ["0", "1"], kinds: ["audio", "video"], direction: .recvonly,
          firstVideoCodecs: ["VP8", "rtx"], videoExtensions: [midURI, absSendTimeURI], fingerprintAtSessionLevel: false),
    .init(name: "handwritten-obs-libdatachannel-whip", mids: ["0", "1"], kinds: ["audio", "video"], direction: .sendonly,
          firstVideoCodecs: ["H264"], videoExtensions: [], fingerprintAtSessionLevel: true),
    .init(name: "handwritten-gstreamer-webrtcbin-whip", mids: ["video0", "audio1"], kinds: ["video", "audio"],
          direction: .sendonly, firstVideoCodecs: ["VP8", "rtx"], videoExtensions: [twccURI], fingerprintAtSessionLevel: false),
]

@Test(arguments: expectations)
func fixtureParses(_ e: FixtureExpectation) throws {
    let sdp = try SessionDescription.parse(Fixture.text(e.name))
    #expect(sdp.media.map(\.mid) == e.mids)
    #expect(sdp.media.map(\.media) == e.kinds)
    #expect(sdp.media.allSatisfy { $0.direction == e.direction })
    #expect(sdp.media.allSatisfy { $0.rtcpMux })
    #expect(try sdp.bundleMids() == e.mids)
    let video = try #require(sdp.media.first { $0.media == "video" })
    let maps = try video.rtpMaps()
    let byPT = Dictionary(maps.map { ($0.payloadType, $0.encodingName) }, uniquingKeysWith: { a, _ in a })
    #expect(video.payloadTypes.prefix(e.firstVideoCodecs.count).map { byPT[$0] } == e.firstVideoCodecs)
    #expect(Set(e.videoExtensions).isSubset(of: Set(try video.extMaps().map(\.uri))))
    let audio = try #require(sdp.media.first { $0.media == "audio" })
    #expect(try audio.rtpMaps().contains { $0.encodingName.lowercased() == "opus" && $0.clockRate == 48000 && $0.channels == 2 })
    // The sha-256 fingerprint, at session level or in every section.
    let fingerprints = e.fingerprintAtSessionLevel ? try sdp.fingerprints() : try video.fingerprints()
    let sha256 = try #require(fingerprints.first { $0.hashFunction == "sha-256" })
    #expect(sha256.value.split(separator: ":").count == 32)
    #expect(try sdp.media.allSatisfy { try $0.setup() == .actpass })
    #expect((sdp.iceUfrag ?? video.iceUfrag) != nil)
    #expect((sdp.icePwd ?? video.icePwd) != nil)
}

@Test(arguments: Fixture.all)
func fixtureRoundTripsExactly(_ name: String) throws {
    let text = try Fixture.text(name)
    let parsed = try SessionDescription.parse(text)
    #expect(parsed.serialize() == text)
    #expect(try SessionDescription.parse(parsed.serialize()) == parsed)
}

@Test(arguments: Fixture.all)
func fixtureWithLFOnlyParsesTheSame(_ name: String) throws {
    let text = try Fixture.text(name)
    let lf = text.replacingOccurrences(of: "\r\n", with: "\n")
    #expect(try SessionDescription.parse(lf) == SessionDescription.parse(text))
}

@Test func chromiumVideoDetails() throws {
    let sdp = try SessionDescription.parse(Fixture.text("chromium-whip-sendonly"))
    let video = try #require(sdp.media.last)
    let vp8 = try #require(try video.rtpMaps().first { $0.encodingName == "VP8" })
    let fb = try video.rtcpFeedback().filter { $0.applies(to: vp8.payloadType) }
    #expect(fb.contains(RTCPFeedback(payloadType: vp8.payloadType, type: "nack", parameter: "pli")))
    #expect(fb.contains(RTCPFeedback(payloadType: vp8.payloadType, type: "transport-cc")))
    let rtx = try #require(try video.formatParameters().first { $0["apt"] == String(vp8.payloadType) })
    #expect(try video.rtpMaps().first { $0.payloadType == rtx.payloadType }?.encodingName == "rtx")
    let fid = try #require(try video.ssrcGroups().first)
    #expect(fid.semantics == "FID" && fid.ssrcs.count == 2)
    #expect(try video.ssrcAttributes().contains { $0.ssrc == fid.ssrcs[0] && $0.name == "cname" })
    #expect(try video.msid()?.trackID != nil)
    #expect(try video.candidates().contains { $0.type == "host" && $0.transport == "udp" })
    #expect(sdp.iceOptions == [])
    #expect(video.iceOptions == ["trickle"])
    #expect(video.rtcpReducedSize)
    #expect(sdp.attribute(named: "msid-semantic")?.value?.hasPrefix(" WMS") == true)
}

@Test func vp9PreferredOfferListsProfileZeroFirst() throws {
    let video = try #require(try SessionDescription.parse(Fixture.text("chromium-whip-vp9-preferred")).media.last)
    let first = try #require(video.payloadTypes.first)
    #expect(try video.formatParameters().first { $0.payloadType == first }?["profile-id"] == "0")
}
