// TEMPORARY: replaced by PeerTransport (ICE+DTLS+SRTP) and OfferAnswer (SDP) once those modules land.
import SansIO

struct TransportIdentity {
    var fingerprint: String
    static func generate() throws -> TransportIdentity { TransportIdentity(fingerprint: "") }
}

struct STUNResult { var accepted: Bool; var responses: [[UInt8]]; var selectedAddress: TransportAddress? }
struct DTLSResult { var rejected: Bool; var responses: [[UInt8]]; var connected: Bool }
struct TimerResult { var responses: [[UInt8]]; var consentLost: Bool; var failed: Bool; var connected: Bool }

final class PeerTransport {
    let remoteUfrag: String
    init(identity: TransportIdentity, localUfrag: String, localPwd: String, remoteUfrag: String, remotePwd: String,
         dtlsClient: Bool, remoteFingerprint: String, consentTimeout: Duration, now: Instant) throws {
        self.remoteUfrag = remoteUfrag
    }
    static func localUfrag(ofSTUN bytes: [UInt8]) -> String? { nil }
    func handleSTUN(_ bytes: [UInt8], from: TransportAddress, now: Instant) -> STUNResult { .init(accepted: false, responses: [], selectedAddress: nil) }
    func startDTLS(now: Instant) -> [[UInt8]] { [] }
    func handleDTLS(_ bytes: [UInt8], now: Instant) -> DTLSResult { .init(rejected: true, responses: [], connected: false) }
    func handleTimeout(now: Instant) -> TimerResult { .init(responses: [], consentLost: false, failed: false, connected: false) }
    var nextDeadline: Instant? { nil }
    var hasKeys: Bool { false }
    func unprotectRTP(_ b: [UInt8]) -> [UInt8]? { nil }
    func unprotectRTCP(_ b: [UInt8]) -> [UInt8]? { nil }
    func protectRTP(_ b: [UInt8]) -> [UInt8]? { nil }
    func protectRTCP(_ b: [UInt8]) -> [UInt8]? { nil }
    func noteAuthenticatedTraffic(now: Instant) {}
    func close(now: Instant) -> [[UInt8]] { [] }
}

struct RemoteOffer {
    var sections: [NegotiatedMediaSection]
    var iceUfrag: String
    var icePwd: String
    var fingerprint: String
    var weAreDTLSClient: Bool
}

enum OfferAnswer {
    static func negotiate(offer: String, role: SessionRole, videoCodecs: [VideoCodec]) throws(SignalingError) -> RemoteOffer {
        throw .unavailable("not wired")
    }
    static func answer(to remote: RemoteOffer, role: SessionRole, ufrag: String, pwd: String, fingerprint: String,
                       candidates: [TransportAddress], outgoing: [(UInt32, UInt32)], room: String, session: String) -> String { "" }
    static func iceRestartRequested(fragment: String, currentUfrag: String) throws(SignalingError) -> Bool { false }
}
