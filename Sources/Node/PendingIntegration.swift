// STOPGAP until the SDP module lands (branch sdp2): a minimal line-based offer/answer, enough for
// Chromium and aiortc offers. Replaced by Sources/Node/OfferAnswer.swift on the SDP parser.
import DTLS
import SansIO

struct RemoteOffer {
    var sections: [NegotiatedMediaSection]
    var iceUfrag: String
    var icePwd: String
    var fingerprint: DTLSFingerprint
    var weAreDTLSClient: Bool
    var mids: [(mid: String, kind: String, accepted: Bool, proto: String, fmt: String)] = []
}

enum OfferAnswer {
    static func negotiate(offer: String, role: SessionRole, videoCodecs: [VideoCodec]) throws(SignalingError) -> RemoteOffer {
        let lines = offer.split(whereSeparator: \.isNewline).map(String.init)
        guard lines.first == "v=0" else { throw .badRequest("not SDP") }
        var session: [String] = []
        var media: [[String]] = []
        for l in lines { if l.hasPrefix("m=") { media.append([l]) } else if media.isEmpty { session.append(l) } else { media[media.count - 1].append(l) } }
        func attr(_ ls: [String], _ k: String) -> String? { ls.first { $0.hasPrefix("a=\(k):") }.map { String($0.dropFirst(k.count + 3)) } }
        func has(_ ls: [String], _ k: String) -> Bool { ls.contains("a=\(k)") }
        guard attr(session, "group")?.hasPrefix("BUNDLE") == true else { throw .unprocessable("no BUNDLE") }
        var sections: [NegotiatedMediaSection] = []
        var mids: [(String, String, Bool, String, String)] = []
        var ufrag = attr(session, "ice-ufrag"), pwd = attr(session, "ice-pwd"), fp = attr(session, "fingerprint"), setup = attr(session, "setup")
        for m in media {
            let parts = m[0].dropFirst(2).split(separator: " ")
            let kind = String(parts.first ?? ""), proto = parts.count > 2 ? String(parts[2]) : "", fmt = parts.count > 3 ? String(parts[3]) : "0"
            let mid = attr(m, "mid") ?? "\(mids.count)"
            ufrag = ufrag ?? attr(m, "ice-ufrag"); pwd = pwd ?? attr(m, "ice-pwd"); fp = fp ?? attr(m, "fingerprint"); setup = setup ?? attr(m, "setup")
            var rtpmap: [UInt8: (String, UInt32)] = [:]
            var apt: [UInt8: UInt8] = [:]
            for l in m {
                if l.hasPrefix("a=rtpmap:") { let p = l.dropFirst(9).split(separator: " "); if p.count == 2, let pt = UInt8(p[0]) { let n = p[1].split(separator: "/"); rtpmap[pt] = (n[0].lowercased(), UInt32(n[1]) ?? 90000) } }
                if l.hasPrefix("a=fmtp:"), let i = l.split(separator: " ").last?.split(separator: ";").first(where: { $0.hasPrefix("apt=") }) { let p = l.dropFirst(7).split(separator: " "); if let pt = UInt8(p[0]), let a = UInt8(i.dropFirst(4)) { apt[a] = pt } }
            }
            var codecs: [NegotiatedCodec] = []
            let order: [(String, NegotiatedCodec.Name)] = kind == "audio" ? [("opus", .opus)] : videoCodecs.map { $0 == .vp8 ? ("vp8", .vp8) : ("vp9", .vp9) }
            let fmts = parts.dropFirst(3).compactMap { UInt8($0) }
            for pt in fmts { if let c = rtpmap[pt], let n = order.first(where: { $0.0 == c.0 })?.1, !codecs.contains(where: { $0.name == n }) { codecs.append(NegotiatedCodec(name: n, payloadType: pt, clockRate: c.1, rtxPayloadType: apt[pt])) } }
            guard !codecs.isEmpty, kind == "audio" || kind == "video" else { mids.append((mid, kind, false, proto, fmt)); continue }
            var ext = NegotiatedExtensions()
            for l in m where l.hasPrefix("a=extmap:") { let p = l.dropFirst(9).split(separator: " "); guard p.count >= 2, let id = UInt8(p[0].split(separator: "/")[0]) else { continue }
                switch p[1] { case "urn:ietf:params:rtp-hdrext:sdes:mid": ext.mid = id; case "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time": ext.absSendTime = id; case "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01": ext.transportCC = id; default: break } }
            var ssrcs: [UInt32] = []
            if let g = attr(m, "ssrc-group"), g.hasPrefix("FID") { ssrcs = g.split(separator: " ").dropFirst().compactMap { UInt32($0) } }
            else if let s = attr(m, "ssrc") { ssrcs = [UInt32(s.prefix { $0.isNumber }) ?? 0] }
            sections.append(NegotiatedMediaSection(mid: mid, kind: kind == "audio" ? .audio : .video, codecs: codecs, extensions: ext,
                remoteSSRC: ssrcs.first, remoteRTXSSRC: ssrcs.count > 1 ? ssrcs[1] : nil, nack: true, pli: true,
                transportCC: m.contains { $0.hasSuffix(" transport-cc") }))
            mids.append((mid, kind, true, proto, fmt))
        }
        guard let ufrag, let pwd else { throw .unprocessable("no ICE credentials") }
        guard let fp, let fingerprint = try? DTLSFingerprint(sdpAttributeValue: fp) else { throw .unprocessable("no sha-256 fingerprint") }
        guard !sections.isEmpty else { throw .unprocessable("no supported codec") }
        var r = RemoteOffer(sections: sections, iceUfrag: ufrag, icePwd: pwd, fingerprint: fingerprint, weAreDTLSClient: setup == "passive")
        r.mids = mids
        return r
    }

    static func answer(to remote: RemoteOffer, role: SessionRole, ufrag: String, pwd: String, fingerprint: String,
                       candidates: [TransportAddress], outgoing: [(UInt32, UInt32)], room: String, session: String) -> String {
        let c = candidates.first ?? TransportAddress(ipv4: "127.0.0.1", port: 9)!
        var s = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=ice-lite",
                 "a=group:BUNDLE " + remote.mids.filter(\.accepted).map(\.mid).joined(separator: " "), "a=msid-semantic: WMS"]
        var i = 0
        for m in remote.mids {
            guard m.accepted, let sec = remote.sections.first(where: { $0.mid == m.mid }) else { s += ["m=\(m.kind) 0 \(m.proto) \(m.fmt)", "a=mid:\(m.mid)", "a=inactive"]; continue }
            let pts = sec.codecs.flatMap { [$0.payloadType] + ($0.rtxPayloadType.map { [$0] } ?? []) }
            s += ["m=\(m.kind) \(c.port) \(m.proto) " + pts.map(String.init).joined(separator: " "), "c=IN IP4 \(c.ipString)",
                  "a=mid:\(m.mid)", "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(pwd)", "a=fingerprint:\(fingerprint)",
                  "a=setup:\(remote.weAreDTLSClient ? "active" : "passive")", role == .publisher ? "a=recvonly" : "a=sendonly", "a=rtcp-mux", "a=rtcp-rsize"]
            if sec.extensions.mid != 0 { s.append("a=extmap:\(sec.extensions.mid) urn:ietf:params:rtp-hdrext:sdes:mid") }
            if sec.extensions.absSendTime != 0 { s.append("a=extmap:\(sec.extensions.absSendTime) http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time") }
            if sec.extensions.transportCC != 0 { s.append("a=extmap:\(sec.extensions.transportCC) http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01") }
            for codec in sec.codecs {
                s.append("a=rtpmap:\(codec.payloadType) \(codec.name.rawValue)/\(codec.clockRate)" + (codec.name == .opus ? "/2" : ""))
                if codec.name != .opus { s += ["nack", "nack pli", "ccm fir", "goog-remb"].map { "a=rtcp-fb:\(codec.payloadType) \($0)" } }
                if sec.transportCC { s.append("a=rtcp-fb:\(codec.payloadType) transport-cc") }
                if let rtx = codec.rtxPayloadType { s += ["a=rtpmap:\(rtx) rtx/\(codec.clockRate)", "a=fmtp:\(rtx) apt=\(codec.payloadType)"] }
            }
            if role == .subscriber, i < outgoing.count {
                let (media, rtx) = outgoing[i]
                s.append("a=msid:loupe-\(room) \(session)-\(m.mid)")
                if sec.kind == .video && sec.codecs.contains(where: { $0.rtxPayloadType != nil }) { s.append("a=ssrc-group:FID \(media) \(rtx)"); s += ["a=ssrc:\(media) cname:loupe-\(room)", "a=ssrc:\(rtx) cname:loupe-\(room)"] }
                else { s.append("a=ssrc:\(media) cname:loupe-\(room)") }
            }
            i += 1
            s += ["a=candidate:1 1 udp 2130706431 \(c.ipString) \(c.port) typ host", "a=end-of-candidates"]
        }
        return s.joined(separator: "\r\n") + "\r\n"
    }
    static func iceRestartRequested(fragment: String, currentUfrag: String) throws(SignalingError) -> Bool {
        for line in fragment.split(whereSeparator: \.isNewline) where line.hasPrefix("a=ice-ufrag:") {
            if line.dropFirst(12) != currentUfrag { return true }
        }
        return false
    }
}
