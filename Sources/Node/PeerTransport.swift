import DTLS
import ICE
import SRTP
import SansIO

/// One peer's transport stack: ICE-lite (RFC 8445 §2.5) with consent freshness (RFC 7675),
/// DTLS 1.2 with DTLS-SRTP key export (RFC 5764), and the SRTP sessions keyed from it.
final class PeerTransport {
    struct STUNResult {
        var accepted: Bool
        var responses: [[UInt8]]
        /// Set when ICE selected (or switched to) a remote address.
        var selectedAddress: TransportAddress?
    }

    struct DTLSResult {
        var rejected = false
        var responses: [[UInt8]] = []
        /// The handshake completed with this datagram and SRTP is keyed.
        var connected = false
    }

    struct TimerResult {
        var responses: [[UInt8]] = []
        var consentLost = false
        var failed = false
        var connected = false
    }

    let remoteUfrag: String
    private var ice: ICELiteAgent
    private let dtls: DTLSEndpoint
    private let dtlsClient: Bool
    private var dtlsStarted = false
    private var inbound: SRTPSession?
    private var outbound: SRTPSession?
    private(set) var failure: String?

    init(certificate: DTLSCertificate, localUfrag: String, localPwd: String, remoteUfrag: String, remotePwd: String,
         dtlsClient: Bool, remoteFingerprint: DTLSFingerprint, consentTimeout: Duration, now: Instant) throws(DTLSError) {
        self.remoteUfrag = remoteUfrag
        self.dtlsClient = dtlsClient
        ice = ICELiteAgent(localUfrag: localUfrag, localPassword: localPwd, remoteUfrag: remoteUfrag,
                           remotePassword: remotePwd, consentTimeout: consentTimeout, now: now)
        dtls = try DTLSEndpoint(role: dtlsClient ? .client : .server, certificate: certificate,
                                remoteFingerprint: remoteFingerprint)
    }

    /// The local ufrag a STUN request is addressed to: the part of USERNAME before the colon.
    static func localUfrag(ofSTUN bytes: [UInt8]) -> String? {
        ICELiteAgent.localUfrag(ofRequest: bytes)
    }

    func handleSTUN(_ bytes: [UInt8], from: TransportAddress, now: Instant) -> STUNResult {
        var result = STUNResult(accepted: true, responses: [], selectedAddress: nil)
        for output in ice.handle(datagram: bytes, from: from, now: now) {
            switch output {
            case let .send(response, _): result.responses.append(response)
            case let .selectedAddressChanged(address): result.selectedAddress = address
            case .rejected: result.accepted = false
            default: break
            }
        }
        return result
    }

    /// Starts the handshake when we are the DTLS client (the offer said `setup:passive`).
    func startDTLS(now: Instant) -> [[UInt8]] {
        guard dtlsClient, !dtlsStarted else { return [] }
        dtlsStarted = true
        return apply(dtls.start(now: now)).responses
    }

    func handleDTLS(_ bytes: [UInt8], now: Instant) -> DTLSResult {
        let droppedBefore = dtls.droppedRecords
        var result = apply(dtls.handle(datagram: bytes, now: now))
        // records that could not be valid, dropped before OpenSSL (the association lives on)
        if dtls.droppedRecords > droppedBefore { result.rejected = true }
        return result
    }

    func handleTimeout(now: Instant) -> TimerResult {
        var result = TimerResult()
        if let deadline = dtls.nextDeadline, now >= deadline {
            let r = apply(dtls.handleTimeout(now: now))
            result.responses = r.responses
            result.connected = r.connected
        }
        // A failed DTLS association is dead for good (fingerprint mismatch, fatal alert): its
        // session ends now, even though the peer's consent checks would keep ICE alive.
        result.failed = failure != nil
        if ice.consentExpired(now: now) { result.consentLost = true }
        return result
    }

    var hasKeys: Bool { inbound != nil && outbound != nil }

    func noteAuthenticatedTraffic(now: Instant) { ice.noteTraffic(now: now) }

    func unprotectRTP(_ bytes: [UInt8]) -> [UInt8]? { try? inbound?.unprotectRTP(bytes) }
    func unprotectRTCP(_ bytes: [UInt8]) -> [UInt8]? { try? inbound?.unprotectRTCP(bytes) }
    func protectRTP(_ bytes: [UInt8]) -> [UInt8]? { try? outbound?.protectRTP(bytes) }
    func protectRTCP(_ bytes: [UInt8]) -> [UInt8]? { try? outbound?.protectRTCP(bytes) }

    /// close_notify for the peer.
    func close(now: Instant) -> [[UInt8]] {
        apply(dtls.close(now: now)).responses
    }

    private func apply(_ outputs: [DTLSOutput]) -> DTLSResult {
        var result = DTLSResult()
        for output in outputs {
            switch output {
            case let .send(bytes):
                result.responses.append(bytes)
            case let .connected(keys):
                guard let profile = SRTPProfile(rawValue: keys.profile.rawValue) else {
                    failure = "negotiated SRTP profile \(keys.profile) is not supported"
                    continue
                }
                do {
                    inbound = try SRTPSession(profile: profile, masterKey: keys.remoteMasterKey,
                                              masterSalt: keys.remoteMasterSalt, direction: .inbound)
                    outbound = try SRTPSession(profile: profile, masterKey: keys.localMasterKey,
                                               masterSalt: keys.localMasterSalt, direction: .outbound)
                    result.connected = true
                } catch {
                    failure = "SRTP setup failed: \(error)"
                }
            case .applicationData:
                break  // no data channels (yet)
            case .closed:
                break
            case let .failed(error):
                failure = "\(error)"
                result.rejected = true
            }
        }
        return result
    }
}
