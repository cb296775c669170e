// TEMPORARY, removed when the ICE and SDP modules land: the shapes PeerTransport and Node call.
import DTLS
import SansIO

enum ICELiteOutput { case send([UInt8], TransportAddress), selectedAddressChanged(TransportAddress), rejected, connected }

struct ICELiteAgent {
    init(localUfrag: String, localPassword: String, remoteUfrag: String, remotePassword: String,
         consentTimeout: Duration, now: Instant) {}
    static func localUfrag(ofRequest bytes: [UInt8]) -> String? { nil }
    mutating func handle(datagram: [UInt8], from: TransportAddress, now: Instant) -> [ICELiteOutput] { [.rejected] }
    func consentExpired(now: Instant) -> Bool { false }
    var nextDeadline: Instant? { nil }
    mutating func noteTraffic(now: Instant) {}
}
