import DTLS
import ICE
import RTP
import SRTP
import SansIO
@testable import Node

/// A minimal WebRTC peer for driving `Node` in memory: a full controlling ICE agent's checks,
/// a DTLS client, SRTP. Offers are written by hand in the shape browsers send.
final class TestPeer {
    let address: TransportAddress
    let certificate: DTLSCertificate
    let ufrag: String
    let password = "peerpassword0123456789ab"
    var dtls: DTLSEndpoint?
    var srtpOut: SRTPSession?
    var srtpIn: SRTPSession?
    var answer = ""
    var node: (ufrag: String, pwd: String, fingerprint: DTLSFingerprint, candidate: TransportAddress)?
    var received: [[UInt8]] = []   // decrypted RTP
    var receivedRTCP: [[RTCPPacket]] = []
    var nextTransaction: UInt8 = 0

    init(address: TransportAddress, name: String) throws {
        self.address = address
        self.ufrag = name
        certificate = try DTLSCertificate.generate(commonName: name, unixTime: 1_800_000_000)
    }

    /// A browser-style offer: Opus + VP8/RTX (and VP9 if asked), BUNDLE, rtcp-mux, transport-cc.
    func offer(sending: Bool, videoSSRC: UInt32 = 2222, rtxSSRC: UInt32 = 3333, audioSSRC: UInt32 = 1111) -> String {
        let dir = sending ? "sendonly" : "recvonly"
        var lines = ["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
                     "a=group:BUNDLE 0 1", "a=msid-semantic: WMS",
                     "m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                     "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(password)", "a=ice-options:trickle",
                     "a=fingerprint:\(certificate.fingerprint.sdpAttributeValue)", "a=setup:actpass", "a=mid:0",
                     "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
                     "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                     "a=\(dir)", "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc",
                     "a=fmtp:111 minptime=10;useinbandfec=1"]
        if sending { lines += ["a=msid:s a", "a=ssrc:\(audioSSRC) cname:peer"] }
        lines += ["m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
                  "a=ice-ufrag:\(ufrag)", "a=ice-pwd:\(password)", "a=ice-options:trickle",
                  "a=fingerprint:\(certificate.fingerprint.sdpAttributeValue)", "a=setup:actpass", "a=mid:1",
                  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
                  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                  "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                  "a=\(dir)", "a=rtcp-mux", "a=rtcp-rsize",
                  "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 goog-remb", "a=rtcp-fb:96 transport-cc",
                  "a=rtcp-fb:96 ccm fir", "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli",
                  "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96"]
        if sending { lines += ["a=msid:s v", "a=ssrc-group:FID \(videoSSRC) \(rtxSSRC)",
                               "a=ssrc:\(videoSSRC) cname:peer", "a=ssrc:\(rtxSSRC) cname:peer"] }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Reads what the peer needs from the node's answer.
    func apply(answer text: String) throws {
        answer = text
        func value(_ key: String) -> String? {
            text.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=\(key):") }
                .map { String($0.dropFirst(key.count + 3)) }
        }
        guard let ufrag = value("ice-ufrag"), let pwd = value("ice-pwd"), let fp = value("fingerprint"),
              let candidate = value("candidate") else { throw TestPeerError.badAnswer(text) }
        let parts = candidate.split(separator: " ")
        guard parts.count >= 6, let port = UInt16(parts[5]), let ip = TransportAddress(ipv4: String(parts[4]), port: port) else {
            throw TestPeerError.badAnswer(candidate)
        }
        node = (ufrag, pwd, try DTLSFingerprint(sdpAttributeValue: fp), ip)
    }

    /// SSRCs the node announced in its answer (a=ssrc lines), in order.
    var answeredSSRCs: [UInt32] {
        answer.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("a=ssrc:") }
            .compactMap { UInt32($0.dropFirst(7).prefix { $0 != " " }) }
    }

    /// A nominating Binding request (RFC 8445 §7.1.2, aggressive nomination).
    func bindingRequest() -> Transmit? {
        guard let node else { return nil }
        nextTransaction &+= 1
        let m = STUNMessage(messageClass: .request, transactionID: [UInt8](repeating: nextTransaction, count: 12), attributes: [
            STUNMessage.usernameAttribute("\(node.ufrag):\(ufrag)"), STUNMessage.priorityAttribute(1_853_817_087),
            STUNMessage.iceControllingAttribute(42), STUNMessage.useCandidateAttribute])
        return Transmit(bytes: m.serialize(integrityKey: Array(node.pwd.utf8)), to: node.candidate)
    }

    /// Handles a datagram from the node; returns what to send back.
    func receive(_ bytes: [UInt8], now: Instant) throws -> [Transmit] {
        guard let node else { return [] }
        switch DatagramClass.classify(bytes) {
        case .stun:
            let m = try STUNMessage.parse(bytes)
            guard m.messageClass == .successResponse, m.verifyIntegrity(key: Array(node.pwd.utf8)) else { return [] }
            if dtls == nil {
                let endpoint = try DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprint: node.fingerprint)
                dtls = endpoint
                return try handleDTLS(endpoint.start(now: now))
            }
            return []
        case .dtls:
            guard let dtls else { return [] }
            return try handleDTLS(dtls.handle(datagram: bytes, now: now))
        case .rtp:
            if let plain = try srtpIn?.unprotectRTP(bytes) { received.append(plain) }
            return []
        case .rtcp:
            if let plain = try srtpIn?.unprotectRTCP(bytes) {
                receivedRTCP.append(try RTCPPacket.parseCompound(plain, paddingRule: .anyPacket))
            }
            return []
        default:
            return []
        }
    }

    private func handleDTLS(_ outputs: [DTLSOutput]) throws -> [Transmit] {
        guard let node else { return [] }
        var out: [Transmit] = []
        for output in outputs {
            switch output {
            case let .send(bytes): out.append(Transmit(bytes: bytes, to: node.candidate))
            case let .connected(keys):
                let profile = SRTPProfile(rawValue: keys.profile.rawValue) ?? .aes128CMHMACSHA1_80
                srtpOut = try SRTPSession(profile: profile, masterKey: keys.localMasterKey, masterSalt: keys.localMasterSalt,
                                          direction: .outbound)
                srtpIn = try SRTPSession(profile: profile, masterKey: keys.remoteMasterKey, masterSalt: keys.remoteMasterSalt,
                                         direction: .inbound)
            case let .failed(error): throw TestPeerError.dtls("\(error)")
            default: break
            }
        }
        return out
    }

    var connected: Bool { srtpOut != nil }

    func rtp(_ packet: RTPPacket) throws -> Transmit? {
        guard let node, let srtpOut else { return nil }
        return Transmit(bytes: try srtpOut.protectRTP(packet.serialize()), to: node.candidate)
    }

    func rtcp(_ packets: [RTCPPacket]) throws -> Transmit? {
        guard let node, let srtpOut else { return nil }
        return Transmit(bytes: try srtpOut.protectRTCP(RTCPPacket.serializeCompound(packets)), to: node.candidate)
    }
}

enum TestPeerError: Error { case badAnswer(String), dtls(String) }

/// Carries datagrams between a node and test peers until nothing is left to send.
struct Wire {
    let node: Node
    var peers: [TransportAddress: TestPeer] = [:]
    var now: Instant = .zero
    /// Every datagram the node emitted through this wire.
    var datagramsFromNode = 0

    mutating func add(_ peer: TestPeer) { peers[peer.address] = peer }

    /// Delivers `from`'s datagram to the node and everything that follows, in order.
    mutating func deliver(_ transmits: [Transmit], from: TransportAddress) throws {
        var queue = transmits.map { (datagram: $0, from: from) }
        var rounds = 0
        while !queue.isEmpty && rounds < 10_000 {
            rounds += 1
            let (t, sender) = queue.removeFirst()
            if let peer = peers[t.to] {
                queue += try peer.receive(t.bytes, now: now).map { ($0, peer.address) }
            } else {
                let out = node.handle(.datagram(t.bytes, from: sender), now: now)
                datagramsFromNode += out.count
                queue += out.map { ($0, TransportAddress(ipv4: "0.0.0.0", port: 0)!) }
            }
        }
    }

    /// Advances the clock, firing the node's timers on the way.
    mutating func advance(to time: Instant) throws {
        while let deadline = node.nextDeadline, deadline <= time {
            now = max(now, deadline)
            let out = node.handle(.timeout, now: now)
            datagramsFromNode += out.count
            try deliverFromNode(out)
        }
        now = time
    }

    mutating func deliverFromNode(_ transmits: [Transmit]) throws {
        for t in transmits {
            guard let peer = peers[t.to] else { continue }
            try deliver(try peer.receive(t.bytes, now: now), from: peer.address)
        }
    }
}
