public import DTLS
public import Media
import SDP
public import SansIO

/// A WHIP/WHEP offer as the node negotiated it: what it accepted, and what it needs to answer.
public struct RemoteOffer: Sendable {
    /// The accepted m-sections, in offer order.
    public var sections: [NegotiatedMediaSection]
    /// The offerer's ICE credentials (RFC 8839 §5.4).
    public var iceUfrag: String
    public var icePwd: String
    /// The offerer's certificate fingerprint (RFC 8122 §5).
    public var fingerprint: DTLSFingerprint
    /// Whether the node takes the DTLS client role (the offer said `setup:passive`; RFC 8842 §5).
    public var weAreDTLSClient: Bool
    /// Every offered m-section, in order, so the answer keeps them all (RFC 8829 §5.3.1).
    var offered: [OfferedSection]
}

/// One offered m-section: the index of its `NegotiatedMediaSection` if accepted, and the offer's text.
struct OfferedSection: Sendable {
    var media: MediaDescription
    var accepted: Int?
}

/// The node's side of SDP offer/answer (RFC 3264, JSEP RFC 8829) for WHIP (RFC 9725) and WHEP.
///
/// The node is ICE-lite, requires BUNDLE (RFC 9143) and rtcp-mux (RFC 5761), and forwards Opus
/// audio and VP8/VP9 video with RTX (RFC 4588).
public enum OfferAnswer {
    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    static let absSendTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    static let transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    /// Checks an offer and picks what the node accepts.
    ///
    /// - Throws: `400` for SDP that does not parse (with the line and reason), `422` for an offer
    ///   the node cannot serve (no BUNDLE, no rtcp-mux, no sha-256 fingerprint, no ICE
    ///   credentials, wrong direction for the role, no supported codec).
    public static func negotiate(offer: String, role: SessionRole, videoCodecs: [VideoCodec]) throws(SignalingError) -> RemoteOffer {
        do {
            return try negotiate(SessionDescription.parse(offer), role: role, videoCodecs: videoCodecs)
        } catch let error as SDPParseError {
            throw .badRequest("malformed SDP offer: \(error)")
        } catch let error as SignalingError {
            throw error
        } catch {
            throw .badRequest("malformed SDP offer")
        }
    }

    private static func negotiate(_ offer: SessionDescription, role: SessionRole,
                                  videoCodecs: [VideoCodec]) throws -> RemoteOffer {
        guard let bundle = try offer.bundleMids(), !bundle.isEmpty else {
            throw SignalingError.unprocessable("the offer has no a=group:BUNDLE; BUNDLE is required")
        }
        var sections: [NegotiatedMediaSection] = []
        var offered: [OfferedSection] = []
        for (index, media) in offer.media.enumerated() {
            var accepted: Int?
            if let section = try negotiateSection(media, index: index, bundle: bundle, role: role, videoCodecs: videoCodecs) {
                accepted = sections.count
                sections.append(section)
            }
            offered.append(OfferedSection(media: media, accepted: accepted))
        }
        guard !sections.isEmpty else {
            throw SignalingError.unprocessable("no supported codec: the node takes Opus audio and VP8 or VP9 video")
        }
        // Transport attributes: the first accepted (BUNDLE-tagged) section's, else the session's (RFC 9143 §7.1).
        let transport = offered.first { $0.accepted != nil }?.media
        func attribute(_ name: String) -> String? { transport?.value(of: name) ?? offer.value(of: name) }
        guard let ufrag = attribute("ice-ufrag") else { throw SignalingError.unprocessable("the offer has no a=ice-ufrag") }
        guard let pwd = attribute("ice-pwd") else { throw SignalingError.unprocessable("the offer has no a=ice-pwd") }
        guard isICEString(ufrag, lengths: 4...256) else { throw SignalingError.badRequest("malformed a=ice-ufrag") }
        guard isICEString(pwd, lengths: 22...256) else { throw SignalingError.badRequest("malformed a=ice-pwd") }

        let fingerprints = try (transport?.fingerprints() ?? []) + offer.fingerprints()
        guard let sha256 = fingerprints.first(where: { $0.hashFunction == DTLSFingerprint.hashFunction }) else {
            throw SignalingError.unprocessable("the offer has no a=fingerprint:sha-256")
        }
        let fingerprint: DTLSFingerprint
        do {
            fingerprint = try DTLSFingerprint(sdpAttributeValue: "\(sha256.hashFunction) \(sha256.value)")
        } catch {
            throw SignalingError.badRequest("malformed a=fingerprint:sha-256 (\(error))")
        }
        let setup = try transport?.setup() ?? offer.setup()
        let weAreClient: Bool
        switch setup {
        case .actpass, .active, nil: weAreClient = false
        case .passive: weAreClient = true
        case .holdconn: throw SignalingError.unprocessable("a=setup:holdconn: the offer does not want a connection")
        }
        return RemoteOffer(sections: sections, iceUfrag: ufrag, icePwd: pwd, fingerprint: fingerprint,
                           weAreDTLSClient: weAreClient, offered: offered)
    }

    /// The accepted section, or `nil` if the node rejects it (nothing it supports, not bundled, port 0).
    private static func negotiateSection(_ media: MediaDescription, index: Int, bundle: [String], role: SessionRole,
                                         videoCodecs: [VideoCodec]) throws -> NegotiatedMediaSection? {
        guard media.proto.hasSuffix("RTP/SAVPF") || media.proto.hasSuffix("RTP/SAVP") else { return nil }
        guard media.port != 0 || media.has("bundle-only") else { return nil }
        guard let mid = media.mid, bundle.contains(mid) else { return nil }
        let kind: NegotiatedMediaSection.Kind
        switch media.media {
        case "audio": kind = .audio
        case "video": kind = .video
        default: return nil
        }
        let maps = try media.rtpMaps().filter { media.payloadTypes.contains($0.payloadType) }
        let fmtps = try media.formatParameters()
        func parameters(_ pt: UInt8) -> FormatParameters? { fmtps.first { $0.payloadType == pt } }
        func rtx(for pt: UInt8) -> UInt8? {
            maps.first { map in
                map.encodingName.lowercased() == "rtx" && parameters(map.payloadType)?["apt"] == String(pt)
            }?.payloadType
        }
        var codecs: [NegotiatedCodec] = []
        switch kind {
        case .audio:
            if let opus = maps.first(where: { $0.encodingName.lowercased() == "opus" && $0.clockRate == 48000 && ($0.channels ?? 1) == 2 }) {
                codecs.append(NegotiatedCodec(name: .opus, payloadType: opus.payloadType, clockRate: 48000))
            }
        case .video:
            for codec in videoCodecs {
                let match = maps.first { map in
                    guard map.clockRate == 90000 else { return false }
                    switch codec {
                    case .vp8: return map.encodingName.uppercased() == "VP8"
                    case .vp9:
                        let profile = parameters(map.payloadType)?["profile-id"]
                        return map.encodingName.uppercased() == "VP9" && (profile == nil || profile == "0")
                    }
                }
                if let match {
                    codecs.append(NegotiatedCodec(name: codec == .vp8 ? .vp8 : .vp9, payloadType: match.payloadType,
                                                  clockRate: 90000, rtxPayloadType: rtx(for: match.payloadType)))
                }
            }
        }
        // The offerer's preference (its m= line order) decides among the codecs the node allows:
        // a publisher that prefers VP9 publishes VP9 (RFC 8829 §5.3.1: the answer keeps the offer's order).
        let offerOrder = media.formats.compactMap { UInt8($0) }
        codecs.sort { a, b in
            (offerOrder.firstIndex(of: a.payloadType) ?? .max) < (offerOrder.firstIndex(of: b.payloadType) ?? .max)
        }
        guard let primary = codecs.first else { return nil }
        let direction = media.direction
        switch role {
        case .publisher where direction != .sendonly && direction != .sendrecv:
            throw SignalingError.unprocessable("a WHIP offer must be sendonly or sendrecv (mid \(mid) is \(direction.rawValue))")
        case .subscriber where direction != .recvonly && direction != .sendrecv:
            throw SignalingError.unprocessable("a WHEP offer must be recvonly or sendrecv (mid \(mid) is \(direction.rawValue))")
        default: break
        }
        guard media.rtcpMux else { throw SignalingError.unprocessable("mid \(mid) has no a=rtcp-mux; rtcp-mux is required") }

        var extensions = NegotiatedExtensions()
        for ext in try media.extMaps() where (1...14).contains(ext.id) {
            let id = UInt8(ext.id)
            switch ext.uri {
            case midURI: extensions.mid = id
            case absSendTimeURI: extensions.absSendTime = id
            case transportCCURI: extensions.transportCC = id
            default: break
            }
        }
        let feedback = try media.rtcpFeedback().filter { $0.applies(to: primary.payloadType) }
        var remoteSSRC: UInt32?
        var remoteRTXSSRC: UInt32?
        if let fid = try media.ssrcGroups().first(where: { $0.semantics == "FID" && $0.ssrcs.count == 2 }) {
            remoteSSRC = fid.ssrcs.first
            remoteRTXSSRC = fid.ssrcs.last
        } else {
            remoteSSRC = try media.ssrcAttributes().first?.ssrc
        }
        return NegotiatedMediaSection(
            mid: mid, kind: kind, codecs: codecs, extensions: extensions,
            remoteSSRC: remoteSSRC, remoteRTXSSRC: remoteRTXSSRC,
            nack: feedback.contains { $0.type == "nack" && $0.parameter == nil },
            pli: feedback.contains { $0.type == "nack" && $0.parameter == "pli" },
            transportCC: feedback.contains { $0.type == "transport-cc" })
    }

    /// `ice-char` (RFC 8839 §5.4): ALPHA / DIGIT / "+" / "/".
    private static func isICEString(_ text: String, lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(text.utf8.count) && text.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2B || c == 0x2F
        }
    }

    /// The answer to a negotiated offer: every offered m-section in order, accepted ones with the
    /// chosen codecs, rejected ones with port 0 (RFC 8829 §5.3.1, RFC 3264 §6).
    ///
    /// - Parameters:
    ///   - fingerprint: the node's `a=fingerprint` value, `sha-256 AB:CD:…` (or the bare hex).
    ///   - candidates: the node's host candidates (ICE-lite, RFC 8445 §2.5).
    ///   - outgoing: for subscribers, the (media SSRC, RTX SSRC) of each accepted section, in order.
    public static func answer(to remote: RemoteOffer, role: SessionRole, ufrag: String, pwd: String, fingerprint: String,
                              candidates: [TransportAddress], outgoing: [(UInt32, UInt32)], room: String,
                              session: String) -> String {
        var sessionID: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in session.utf8 { sessionID = (sessionID ^ UInt64(byte)) &* 0x100_0000_01B3 }
        let fingerprintValue = fingerprint.hasPrefix("sha-256 ") ? fingerprint : "sha-256 \(fingerprint)"
        let connection = candidates.first.map { c in
            SDPConnection(addressType: c.ip.isV6 ? "IP6" : "IP4", address: c.ipString)
        } ?? SDPConnection(address: "0.0.0.0")
        let acceptedMids = remote.offered.compactMap { o in o.accepted.map { remote.sections[$0].mid } }
        var description = SessionDescription(
            origin: SDPOrigin(sessionID: String(sessionID >> 2)),
            attributes: [SDPAttribute("ice-lite"), SDPAttribute("group", (["BUNDLE"] + acceptedMids).joined(separator: " ")),
                         SDPAttribute("msid-semantic", " WMS")])
        for offered in remote.offered {
            let offer = offered.media
            guard let index = offered.accepted, index < remote.sections.count else {
                var rejected = MediaDescription(media: offer.media, port: 0, proto: offer.proto,
                                                formats: Array(offer.formats.prefix(1)), connection: SDPConnection(address: "0.0.0.0"))
                if let mid = offer.mid { rejected.attributes.append(SDPAttribute("mid", mid)) }
                rejected.attributes.append(SDPAttribute("inactive"))
                description.media.append(rejected)
                continue
            }
            let section = remote.sections[index]
            var payloadTypes: [UInt8] = []
            for codec in section.codecs {
                payloadTypes.append(codec.payloadType)
                if let rtx = codec.rtxPayloadType { payloadTypes.append(rtx) }
            }
            var media = MediaDescription(media: offer.media, port: candidates.first?.port ?? 9, proto: offer.proto,
                                         formats: payloadTypes.map(String.init), connection: connection)
            var a: [SDPAttribute] = [
                SDPAttribute("mid", section.mid),
                SDPAttribute("ice-ufrag", ufrag), SDPAttribute("ice-pwd", pwd),
                SDPAttribute("fingerprint", fingerprintValue),
                SDPAttribute("setup", remote.weAreDTLSClient ? "active" : "passive"),
            ]
            let offeredExtensions = (try? offer.extMaps()) ?? []
            for ext in offeredExtensions where [midURI, absSendTimeURI, transportCCURI].contains(ext.uri) {
                let id = UInt8(truncatingIfNeeded: ext.id)
                if id == section.extensions.mid || id == section.extensions.absSendTime || id == section.extensions.transportCC, ext.id <= 14 {
                    a.append(ExtMap(id: ext.id, uri: ext.uri).attribute)
                }
            }
            a.append(SDPAttribute(role == .publisher ? "recvonly" : "sendonly"))
            let streamID = "loupe-\(room)"
            let trackID = "\(session)-\(section.mid)"
            if role == .subscriber { a.append(MediaStreamID(streamID: streamID, trackID: trackID).attribute) }
            a.append(SDPAttribute("rtcp-mux"))
            if offer.rtcpReducedSize { a.append(SDPAttribute("rtcp-rsize")) }
            let feedback = (try? offer.rtcpFeedback()) ?? []
            let fmtps = (try? offer.formatParameters()) ?? []
            let supported: [(String, String?)] = [("nack", nil), ("nack", "pli"), ("ccm", "fir"), ("goog-remb", nil), ("transport-cc", nil)]
            for codec in section.codecs {
                let name = codec.name == .opus ? "opus/48000/2" : "\(codec.name.rawValue)/90000"
                a.append(SDPAttribute("rtpmap", "\(codec.payloadType) \(name)"))
                for (type, parameter) in supported where feedback.contains(where: {
                    $0.applies(to: codec.payloadType) && $0.type == type && $0.parameter == parameter
                }) {
                    a.append(RTCPFeedback(payloadType: codec.payloadType, type: type, parameter: parameter).attribute)
                }
                if codec.name == .vp9 {
                    a.append(FormatParameters(payloadType: codec.payloadType, parameters: [.init(key: "profile-id", value: "0")]).attribute)
                } else if let fmtp = fmtps.first(where: { $0.payloadType == codec.payloadType }) {
                    a.append(fmtp.attribute)
                }
                if let rtx = codec.rtxPayloadType {
                    a.append(SDPAttribute("rtpmap", "\(rtx) rtx/90000"))
                    a.append(SDPAttribute("fmtp", "\(rtx) apt=\(codec.payloadType)"))
                }
            }
            if role == .subscriber, index < outgoing.count {
                let (ssrc, rtxSSRC) = outgoing[index]
                let hasRTX = section.kind == .video && section.codecs.contains { $0.rtxPayloadType != nil }
                var ssrcs = [ssrc]
                if hasRTX {
                    ssrcs.append(rtxSSRC)
                    a.append(SSRCGroup(semantics: "FID", ssrcs: ssrcs).attribute)
                }
                for s in ssrcs {
                    a.append(SSRCAttribute(ssrc: s, name: "cname", value: streamID).attribute)
                    a.append(SSRCAttribute(ssrc: s, name: "msid", value: "\(streamID) \(trackID)").attribute)
                }
            }
            for (i, candidate) in candidates.enumerated() {
                a.append(ICECandidate(foundation: String(i + 1), component: 1, transport: "udp",
                                      priority: 2_130_706_431 - UInt32(min(i, 1000)), address: candidate.ipString,
                                      port: candidate.port, type: "host").attribute)
            }
            a.append(SDPAttribute("end-of-candidates"))
            media.attributes = a
            description.media.append(media)
        }
        return description.serialize()
    }

    /// Whether a trickle-ICE PATCH body (RFC 8840 §9 `application/trickle-ice-sdpfrag`) asks for
    /// an ICE restart: an `a=ice-ufrag` other than the session's current one (RFC 9725 §4.3.2).
    ///
    /// - Throws: `400` if the fragment does not parse.
    public static func iceRestartRequested(fragment: String, currentUfrag: String) throws(SignalingError) -> Bool {
        let parsed: SessionDescription
        do {
            parsed = try SessionDescription.parseFragment(fragment)
        } catch {
            throw .badRequest("malformed SDP fragment: \(error)")
        }
        guard !parsed.attributes.isEmpty || !parsed.media.isEmpty else { throw .badRequest("empty SDP fragment") }
        let ufrags = ([parsed.iceUfrag] + parsed.media.map(\.iceUfrag)).compactMap { $0 }
        return ufrags.contains { $0 != currentUfrag }
    }
}

extension TransportAddress.IP {
    var isV6: Bool {
        if case .v6 = self { return true }
        return false
    }
}
