// TEMPORARY, removed when the SDP module lands: the shapes Node calls.
import DTLS
import SansIO

struct RemoteOffer {
    var sections: [NegotiatedMediaSection]
    var iceUfrag: String
    var icePwd: String
    var fingerprint: DTLSFingerprint
    var weAreDTLSClient: Bool
}

enum OfferAnswer {
    static func negotiate(offer: String, role: SessionRole, videoCodecs: [VideoCodec]) throws(SignalingError) -> RemoteOffer {
        throw .unavailable("SDP negotiation is not wired yet")
    }
    static func answer(to remote: RemoteOffer, role: SessionRole, ufrag: String, pwd: String, fingerprint: String,
                       candidates: [TransportAddress], outgoing: [(UInt32, UInt32)], room: String, session: String) -> String { "" }
    static func iceRestartRequested(fragment: String, currentUfrag: String) throws(SignalingError) -> Bool { false }
}
