import Testing
import DTLS
import SRTP
import SansIO

/// DTLS-SRTP end to end (RFC 5764): a DTLS handshake in memory, SRTP sessions keyed from its
/// exporter output on both sides, and media plus feedback protected one way and recovered the other.
@Suite struct DTLSSRTPIntegrationTests {
    /// One side of the leg: its DTLS endpoint and, once connected, its SRTP sessions.
    struct Side {
        let endpoint: DTLSEndpoint
        var outbound: SRTPSession?
        var inbound: SRTPSession?

        /// Keys both directions the way RFC 5764 §4.2 assigns them: send with our write key.
        mutating func key(with material: SRTPKeyingMaterial) throws {
            let profile = try #require(SRTPProfile(rawValue: material.profile.rawValue))
            outbound = try SRTPSession(profile: profile, masterKey: material.localMasterKey,
                                       masterSalt: material.localMasterSalt, direction: .outbound)
            inbound = try SRTPSession(profile: profile, masterKey: material.remoteMasterKey,
                                      masterSalt: material.remoteMasterSalt, direction: .inbound)
        }
    }

    /// Runs the handshake, passing datagrams 1 ms apart, and keys both sides' SRTP.
    static func connect(offering clientProfiles: [SRTPProtectionProfile]) throws -> (client: Side, server: Side, profile: SRTPProtectionProfile) {
        let clientCertificate = try DTLSCertificate.generate(unixTime: 1_800_000_000)
        let serverCertificate = try DTLSCertificate.generate(unixTime: 1_800_000_000)
        var client = Side(endpoint: try DTLSEndpoint(
            role: .client, certificate: clientCertificate, remoteFingerprint: serverCertificate.fingerprint,
            srtpProfiles: clientProfiles))
        var server = Side(endpoint: try DTLSEndpoint(
            role: .server, certificate: serverCertificate, remoteFingerprint: clientCertificate.fingerprint))

        var now = Instant.zero
        var clientKeys: SRTPKeyingMaterial?, serverKeys: SRTPKeyingMaterial?
        func split(_ outputs: [DTLSOutput], keys: inout SRTPKeyingMaterial?) -> [[UInt8]] {
            var datagrams: [[UInt8]] = []
            for output in outputs {
                switch output {
                case .send(let datagram): datagrams.append(datagram)
                case .connected(let material): keys = material
                case .failed(let error): Issue.record("DTLS failed: \(error)")
                case .applicationData, .closed: Issue.record("unexpected \(output)")
                }
            }
            return datagrams
        }
        var toServer = split(client.endpoint.start(now: now), keys: &clientKeys)
        var rounds = 0
        while !toServer.isEmpty, rounds < 20 {
            rounds += 1
            now = now + .milliseconds(1)
            var toClient: [[UInt8]] = []
            for datagram in toServer { toClient += split(server.endpoint.handle(datagram: datagram, now: now), keys: &serverKeys) }
            now = now + .milliseconds(1)
            toServer = []
            for datagram in toClient { toServer += split(client.endpoint.handle(datagram: datagram, now: now), keys: &clientKeys) }
        }
        let c = try #require(clientKeys), s = try #require(serverKeys)
        #expect(c.profile == s.profile)
        try client.key(with: c)
        try server.key(with: s)
        return (client, server, c.profile)
    }

    /// An RFC 3550 §5.1 packet: V=2, X=0, CC=1 (one CSRC), M=1, PT 111, then a payload.
    static func rtp(sequenceNumber: UInt16, ssrc: UInt32, payload: [UInt8]) -> [UInt8] {
        [0x81, 0xEF, UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF),
         0x00, 0x00, 0x03, 0xC0,                                   // timestamp 960
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF),
         0x0C, 0x0D, 0x0E, 0x0F] + payload                          // CSRC 0x0C0D0E0F
    }

    /// A compound RTCP packet: an RFC 3550 §6.4.2 receiver report with one report block about
    /// `mediaSSRC`, then an RFC 4585 §6.3.1 picture loss indication for it.
    static func receiverReportAndPLI(sender: UInt32, mediaSSRC: UInt32) -> [UInt8] {
        func word(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let receiverReport = [0x81, 201, 0x00, 0x07] + word(sender)
            + word(mediaSSRC) + [0x02, 0x00, 0x00, 0x05]   // fraction lost 2/256, 5 packets lost
            + word(0x0001_2345)                             // extended highest sequence number
            + word(17)                                      // interarrival jitter
            + word(0xAABB_CCDD) + word(0x0000_8000)         // LSR, DLSR
        let pli = [0x81, 206, 0x00, 0x02] + word(sender) + word(mediaSSRC)
        return receiverReport + pli
    }

    @Test(arguments: [
        [SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80],
        [SRTPProtectionProfile.aes128CMHMACSHA1_80],
    ])
    func mediaAndFeedbackFlowBothWays(clientProfiles: [SRTPProtectionProfile]) throws {
        let (client, server, profile) = try Self.connect(offering: clientProfiles)
        #expect(profile == clientProfiles[0])
        let clientOut = try #require(client.outbound), clientIn = try #require(client.inbound)
        let serverOut = try #require(server.outbound), serverIn = try #require(server.inbound)

        // Media client → server across a sequence-number wrap, and server → client.
        for (index, seq) in [UInt16(0xFFFD), 0xFFFE, 0xFFFF, 0, 1].enumerated() {
            let payload = (0..<(60 + index)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            let up = Self.rtp(sequenceNumber: seq, ssrc: 0x1111_1111, payload: payload)
            let protectedUp = try clientOut.protectRTP(up)
            #expect(protectedUp != up)
            #expect(try serverIn.unprotectRTP(protectedUp) == up)

            let down = Self.rtp(sequenceNumber: seq &+ 100, ssrc: 0x2222_2222, payload: payload.reversed())
            let protectedDown = try serverOut.protectRTP(down)
            #expect(try clientIn.unprotectRTP(protectedDown) == down)
            // Keys are per direction: a side cannot read its own protected packets back.
            #expect(throws: SRTPError.authFail) { try clientIn.unprotectRTP(protectedUp) }
        }

        // Feedback both ways.
        let rtcpUp = Self.receiverReportAndPLI(sender: 0x1111_1111, mediaSSRC: 0x2222_2222)
        let protectedRTCPUp = try clientOut.protectRTCP(rtcpUp)
        #expect(protectedRTCPUp.count == rtcpUp.count + (profile == .aeadAES128GCM ? 20 : 14))
        #expect(try serverIn.unprotectRTCP(protectedRTCPUp) == rtcpUp)
        let rtcpDown = Self.receiverReportAndPLI(sender: 0x2222_2222, mediaSSRC: 0x1111_1111)
        #expect(try clientIn.unprotectRTCP(serverOut.protectRTCP(rtcpDown)) == rtcpDown)
        #expect(throws: SRTPError.replayFail) { try serverIn.unprotectRTCP(protectedRTCPUp) }
    }

    /// Data-channel-style application data shares the DTLS association with SRTP keys.
    @Test func applicationDataAfterKeying() throws {
        let (client, server, _) = try Self.connect(offering: [.aeadAES128GCM])
        let sent = try client.endpoint.send(applicationData: Array("sctp".utf8), now: .seconds(1))
        var received: [[UInt8]] = []
        for case .send(let datagram) in sent {
            for case .applicationData(let data) in server.endpoint.handle(datagram: datagram, now: .seconds(1)) {
                received.append(data)
            }
        }
        #expect(received == [Array("sctp".utf8)])
    }
}
