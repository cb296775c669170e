import Testing
import SansIO
@testable import ICE

/// Binding requests as a full, controlling ICE agent (a browser) sends them (RFC 8445 §7.1.2).
struct ControllingPeer {
    var localUfrag = "peer"
    var remoteUfrag = "lite"
    var remotePassword = "lite-password-0123456789"
    var next: UInt8 = 0

    mutating func request(useCandidate: Bool = false, priority: UInt32 = 1_853_817_087,
                          controlled: Bool = false, password: String? = nil, username: String? = nil) -> (bytes: [UInt8], id: [UInt8]) {
        next &+= 1
        let id = [UInt8](repeating: next, count: 12)
        var attrs = [STUNMessage.usernameAttribute(username ?? "\(remoteUfrag):\(localUfrag)"),
                     STUNMessage.priorityAttribute(priority),
                     controlled ? STUNMessage.iceControlledAttribute(7) : STUNMessage.iceControllingAttribute(7)]
        if useCandidate { attrs.append(STUNMessage.useCandidateAttribute) }
        let m = STUNMessage(messageClass: .request, transactionID: id, attributes: attrs)
        return (m.serialize(integrityKey: Array((password ?? remotePassword).utf8)), id)
    }
}

@Suite struct ICELiteAgentTests {
    let a = TransportAddress(ipv4: "192.0.2.10", port: 5000)!
    let b = TransportAddress(ipv4: "198.51.100.7", port: 6000)!

    func agent() -> ICELiteAgent {
        ICELiteAgent(localUfrag: "lite", localPassword: "lite-password-0123456789", remoteUfrag: "peer",
                     remotePassword: "peer-password", consentTimeout: .seconds(30), now: .zero)
    }

    func response(_ outputs: [ICELiteOutput]) throws -> STUNMessage {
        for case let .send(bytes, _) in outputs { return try STUNMessage.parse(bytes) }
        throw STUNParseError.truncated(needed: 1, available: 0)
    }

    @Test func answersAValidCheckWithItsAddressAndSelectsIt() throws {
        var agent = agent()
        var peer = ControllingPeer()
        let (req, id) = peer.request()
        let out = agent.handle(datagram: req, from: a, now: .milliseconds(5))
        let res = try response(out)
        #expect(res.messageClass == .successResponse && res.transactionID == id)
        #expect(res.xorMappedAddress == a)
        #expect(res.verifyIntegrity(key: Array("lite-password-0123456789".utf8)) && res.verifyFingerprint())
        #expect(out.contains(.selectedAddressChanged(a)))
        #expect(!out.contains(.connected))
        let nominate = agent.handle(datagram: peer.request(useCandidate: true).bytes, from: a, now: .milliseconds(10))
        #expect(nominate.contains(.connected))
        #expect(agent.selectedAddress == a && agent.nominated)
    }

    @Test func handWrittenRFC5769RequestIsRoutedByItsUsername() {
        #expect(ICELiteAgent.localUfrag(ofRequest: RFC5769.request) == "evtj")
        #expect(ICELiteAgent.localUfrag(ofRequest: [0, 1, 2]) == nil)
    }

    @Test func wrongUsernameGets401() throws {
        var agent = agent()
        var peer = ControllingPeer()
        let out = agent.handle(datagram: peer.request(username: "someoneelse:peer").bytes, from: a, now: .zero)
        #expect(try response(out).errorCode?.code == 401)
        #expect(out.contains(.rejected(.unknownUsername)))
        #expect(agent.selectedAddress == nil)
    }

    @Test func wrongPasswordGets401() throws {
        var agent = agent()
        var peer = ControllingPeer()
        let out = agent.handle(datagram: peer.request(password: "guess").bytes, from: a, now: .zero)
        #expect(try response(out).errorCode?.code == 401)
        #expect(agent.counters.rejected[.badIntegrity] == 1)
    }

    @Test func bothControlledIsARoleConflict() throws {
        var agent = agent()
        var peer = ControllingPeer()
        let out = agent.handle(datagram: peer.request(controlled: true).bytes, from: a, now: .zero)
        #expect(try response(out).errorCode?.code == 487)
    }

    @Test func badFingerprintIsDroppedSilently() {
        var agent = agent()
        var peer = ControllingPeer()
        var req = peer.request().bytes
        req[req.count - 1] ^= 0xFF
        let out = agent.handle(datagram: req, from: a, now: .zero)
        #expect(out == [.rejected(.badFingerprint)])
    }

    @Test func laterNominationFromANewAddressSwitches() {
        var agent = agent()
        var peer = ControllingPeer()
        _ = agent.handle(datagram: peer.request(useCandidate: true, priority: 100).bytes, from: a, now: .zero)
        // A lower-priority nomination from elsewhere while `a` is alive does not switch…
        let stay = agent.handle(datagram: peer.request(useCandidate: true, priority: 50).bytes, from: b, now: .seconds(1))
        #expect(!stay.contains(.selectedAddressChanged(b)))
        // …but once `a` has been quiet for more than 3 s (NAT rebinding), it does.
        let move = agent.handle(datagram: peer.request(useCandidate: true, priority: 50).bytes, from: b, now: .seconds(5))
        #expect(move.contains(.selectedAddressChanged(b)))
        #expect(agent.selectedAddress == b)
    }

    @Test func consentExpiresAfterThirtySecondsOfSilence() {
        var agent = agent()
        var peer = ControllingPeer()
        _ = agent.handle(datagram: peer.request(useCandidate: true).bytes, from: a, now: .zero)
        #expect(!agent.consentExpired(now: .seconds(29)))
        #expect(agent.nextDeadline == .seconds(30))
        #expect(agent.consentExpired(now: .seconds(30)))
    }

    @Test func authenticatedTrafficPostponesConsentExpiry() {
        var agent = agent()
        var peer = ControllingPeer()
        _ = agent.handle(datagram: peer.request(useCandidate: true).bytes, from: a, now: .zero)
        agent.noteTraffic(now: .seconds(20))
        #expect(!agent.consentExpired(now: .seconds(49)))
        #expect(agent.consentExpired(now: .seconds(50)))
    }

    @Test func responsesAndIndicationsAreNotAnswered() {
        var agent = agent()
        let out = agent.handle(datagram: RFC5769.ipv4Response, from: a, now: .zero)
        #expect(out == [.rejected(.notABindingRequest)])
    }
}
