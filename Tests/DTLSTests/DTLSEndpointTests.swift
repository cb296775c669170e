import Testing
@testable import DTLS
import SansIO
import COpenSSL

@Suite struct DTLSEndpointTests {
    @Test func handshakeDerivesTheSameKeysWithSwappedRoles() throws {
        let pair = try EndpointPair()
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        let clientKeys = try #require(clientLog.connected)
        let serverKeys = try #require(serverLog.connected)
        #expect(clientLog.failures.isEmpty && serverLog.failures.isEmpty)
        #expect(pair.client.state == .connected && pair.server.state == .connected)

        #expect(clientKeys.profile == .aeadAES128GCM)
        #expect(serverKeys.profile == .aeadAES128GCM)
        #expect(clientKeys.localRole == .client && serverKeys.localRole == .server)
        #expect(clientKeys.clientWriteKey == serverKeys.clientWriteKey)
        #expect(clientKeys.serverWriteKey == serverKeys.serverWriteKey)
        #expect(clientKeys.clientWriteSalt == serverKeys.clientWriteSalt)
        #expect(clientKeys.serverWriteSalt == serverKeys.serverWriteSalt)
        #expect(clientKeys.localMasterKey == serverKeys.remoteMasterKey)
        #expect(clientKeys.localMasterSalt == serverKeys.remoteMasterSalt)
        #expect(clientKeys.remoteMasterKey == serverKeys.localMasterKey)
        #expect(clientKeys.remoteMasterSalt == serverKeys.localMasterSalt)
        #expect(clientKeys.clientWriteKey.count == 16 && clientKeys.clientWriteSalt.count == 12)
        #expect(clientKeys.clientWriteKey != clientKeys.serverWriteKey)
        #expect(clientKeys.description == "SRTPKeyingMaterial(SRTP_AEAD_AES_128_GCM, local role client)")

        #expect(pair.client.peerCertificateFingerprint == pair.serverCertificate.fingerprint)
        #expect(pair.server.peerCertificateFingerprint == pair.clientCertificate.fingerprint)
        #expect(pair.client.nextDeadline == nil && pair.server.nextDeadline == nil)
        // Every datagram is a DTLS record by RFC 7983's first byte (20...63) and fits the MTU.
        for datagram in clientLog.sentDatagrams + serverLog.sentDatagrams {
            #expect(datagram.count <= 1200)
            #expect((20...63).contains(datagram[0]))
        }
    }

    @Test func keysDifferBetweenHandshakes() throws {
        let first = try EndpointPair(), second = try EndpointPair()
        let a = try #require(runHandshake(client: first.client, server: first.server).client.connected)
        let b = try #require(runHandshake(client: second.client, server: second.server).client.connected)
        #expect(a.clientWriteKey != b.clientWriteKey)
    }

    @Test func smallMTUFragmentsFlights() throws {
        let pair = try EndpointPair(mtu: 256)
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        #expect(clientLog.connected != nil && serverLog.connected != nil)
        #expect((clientLog.sentDatagrams + serverLog.sentDatagrams).allSatisfy { $0.count <= 256 })
        // The server's certificate flight did not fit one datagram.
        #expect(serverLog.sentDatagrams.count > 2)
    }

    @Test(arguments: [
        ([SRTPProtectionProfile.aeadAES128GCM, .aes128CMHMACSHA1_80], [SRTPProtectionProfile.aes128CMHMACSHA1_80], SRTPProtectionProfile.aes128CMHMACSHA1_80),
        ([.aes128CMHMACSHA1_80], [.aeadAES128GCM, .aes128CMHMACSHA1_80], .aes128CMHMACSHA1_80),
        // OpenSSL's server chooses by its own order of preference (RFC 5764 §4.1.1 lets it).
        ([.aes128CMHMACSHA1_80, .aeadAES128GCM], [.aeadAES128GCM, .aes128CMHMACSHA1_80], .aeadAES128GCM),
        ([.aeadAES128GCM], [.aeadAES128GCM], .aeadAES128GCM),
    ])
    func negotiatesTheProfile(
        clientOffers: [SRTPProtectionProfile], serverAccepts: [SRTPProtectionProfile], expected: SRTPProtectionProfile
    ) throws {
        let pair = try EndpointPair(clientProfiles: clientOffers, serverProfiles: serverAccepts)
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        let clientKeys = try #require(clientLog.connected)
        let serverKeys = try #require(serverLog.connected)
        #expect(clientKeys.profile == expected && serverKeys.profile == expected)
        #expect(clientKeys.clientWriteSalt.count == expected.saltLength)
        #expect(clientKeys.serverWriteKey == serverKeys.serverWriteKey)
    }

    @Test func noCommonProfileFails() throws {
        let pair = try EndpointPair(clientProfiles: [.aes128CMHMACSHA1_80], serverProfiles: [.aeadAES128GCM])
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        #expect(clientLog.connected == nil && serverLog.connected == nil)
        #expect(clientLog.failures == [.noSRTPProfile] || serverLog.failures == [.noSRTPProfile])
        #expect(pair.client.keyingMaterial == nil && pair.server.keyingMaterial == nil)
    }

    @Test func clientRejectsServerWithWrongFingerprint() throws {
        let stranger = try DTLSCertificate.generate(unixTime: certificateTime)
        let pair = try EndpointPair(clientExpects: .some(stranger.fingerprint))
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        #expect(clientLog.failures == [.fingerprintMismatch])
        #expect(clientLog.connected == nil)
        #expect(pair.client.keyingMaterial == nil && pair.client.state == .failed)
        // The server finished first, then got the client's close_notify.
        #expect(serverLog.closed)
        #expect(pair.server.state == .closed)
    }

    @Test func serverRejectsClientWithWrongFingerprint() throws {
        let stranger = try DTLSCertificate.generate(unixTime: certificateTime)
        let pair = try EndpointPair(serverExpects: .some(stranger.fingerprint))
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        #expect(serverLog.failures == [.fingerprintMismatch])
        #expect(serverLog.connected == nil && pair.server.keyingMaterial == nil)
        #expect(clientLog.closed)
    }

    @Test func fingerprintMayArriveAfterTheHandshake() throws {
        let pair = try EndpointPair(clientExpects: .some(nil), serverExpects: .some(nil))
        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        #expect(clientLog.connected == nil && serverLog.connected == nil)
        #expect(pair.client.state == .awaitingFingerprint && pair.server.state == .awaitingFingerprint)

        let clientOutputs = pair.client.setRemoteFingerprint(pair.serverCertificate.fingerprint, now: .milliseconds(50))
        #expect(clientOutputs.contains { if case .connected = $0 { true } else { false } })
        let stranger = try DTLSCertificate.generate(unixTime: certificateTime)
        let serverOutputs = pair.server.setRemoteFingerprint(stranger.fingerprint, now: .milliseconds(50))
        #expect(serverOutputs.contains(.failed(.fingerprintMismatch)))
        #expect(pair.server.keyingMaterial == nil)
    }

    @Test func applicationDataFlowsBothWays() throws {
        let pair = try EndpointPair()
        var (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        let hello = Array("hello over DTLS".utf8)
        let toServer = try pair.client.send(applicationData: hello, now: .milliseconds(100))
        let toClient = try pair.server.send(applicationData: Array(hello.reversed()), now: .milliseconds(100))
        exchange(client: pair.client, server: pair.server,
                 toServer: toServer.compactMap { if case .send(let d) = $0 { d } else { nil } },
                 toClient: toClient.compactMap { if case .send(let d) = $0 { d } else { nil } },
                 clientLog: &clientLog, serverLog: &serverLog, start: .milliseconds(100))
        #expect(serverLog.applicationData == [hello])
        #expect(clientLog.applicationData == [Array(hello.reversed())])

        #expect(throws: DTLSError.self) {
            try pair.client.send(applicationData: [UInt8](repeating: 1, count: 5000), now: .milliseconds(200))
        }
    }

    @Test func sendingBeforeConnectedIsAnError() throws {
        let pair = try EndpointPair()
        #expect(throws: DTLSError.notConnected) { try pair.client.send(applicationData: [1], now: .zero) }
    }

    @Test func garbageIsDroppedBeforeAndAfterTheHandshake() throws {
        let pair = try EndpointPair()
        let garbage: [[UInt8]] = [
            [0x00],
            [0x16],                                       // a handshake content type and nothing else
            [0x16, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0],   // a record header cut short
            [0x17, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4],  // epoch-1 app data, shorter than any cipher allows
            [0x15, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x00],        // length beyond the datagram
            Array(repeating: 0xFF, count: 1500),
        ]
        // A client that has not started ignores everything.
        for datagram in garbage { #expect(pair.client.handle(datagram: datagram, now: .zero).isEmpty) }
        #expect(pair.client.state == .idle)
        // OpenSSL drops records that do not parse (RFC 6347 §4.1.2.7): no answer, no failure. The
        // encrypted application-data record (epoch 1, 4 bytes: shorter than any cipher's overhead)
        // is dropped before OpenSSL sees it: OpenSSL 3.0.19 fails the connection on it.
        for datagram in garbage { #expect(pair.server.handle(datagram: datagram, now: .zero).isEmpty) }
        #expect(pair.server.state == .handshaking)
        #expect(pair.server.droppedRecords == 1)

        let (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server, start: .milliseconds(10))
        #expect(clientLog.connected != nil && serverLog.connected != nil)

        for datagram in garbage + [[]] {
            let outputs = pair.server.handle(datagram: datagram, now: .milliseconds(500))
            #expect(!outputs.contains { if case .applicationData = $0 { true } else { false } })
            _ = pair.client.handle(datagram: datagram, now: .milliseconds(500))
        }
        #expect(pair.server.state == .connected && pair.client.state == .connected)
        #expect(pair.server.droppedRecords == 2)   // the short epoch-1 record, before and after
    }

    @Test func recordsThatCannotBeValidAreCutOutOfADatagramByTheirHeaders() {
        let handshake: [UInt8] = [22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0xAA, 0xBB]
        let appData: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 2, 0, 16] + Array(repeating: 7, count: 16)
        let short: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 3, 0, 15] + Array(repeating: 7, count: 15)
        let shortHandshake: [UInt8] = [22, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 4, 0, 3, 1, 2, 3]
        // While handshaking: no application data at all, and no encrypted record under 16 bytes.
        var split = DTLSEndpoint.removingImpossibleRecords(handshake + appData + handshake + short, handshaking: true)
        #expect(split.kept == handshake + handshake && split.dropped == 2)
        // Connected: application data of a possible size stays; short encrypted records of any
        // type go; epoch 0 records are left to OpenSSL whatever their size.
        split = DTLSEndpoint.removingImpossibleRecords(appData + short + shortHandshake + handshake, handshaking: false)
        #expect(split.kept == appData + handshake && split.dropped == 2)
        // Records that do not parse (a header cut short, a length past the end) stay for OpenSSL.
        for bad in [handshake + [23, 0xFE], Array(appData.dropLast(1)), handshake + Array(short.dropLast(1))] {
            split = DTLSEndpoint.removingImpossibleRecords(bad, handshaking: true)
            #expect(split.kept == bad && split.dropped == 0)
        }
    }

    @Test func anEncryptedRecordShorterThanTheSuiteAllowsLeavesTheConnectionUp() throws {
        let pair = try EndpointPair()
        _ = runHandshake(client: pair.client, server: pair.server, start: .milliseconds(10))
        // AES-GCM (what OpenSSL negotiates here): nonce + tag are 24 bytes. Shorter records are
        // dropped before OpenSSL (3.0.19 would fail the connection on 16…23 bytes); a 24-byte one
        // is OpenSSL's to reject, silently.
        for (length, dropped) in [(16, 1), (23, 2), (24, 2), (40, 2)] {
            let record: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, UInt8(length), 0, UInt8(length)]
                + Array(repeating: 0x5A, count: length)
            #expect(pair.server.handle(datagram: record, now: .milliseconds(500)).isEmpty)
            #expect(pair.server.state == .connected && pair.server.droppedRecords == dropped)
        }
    }

    @Test func eachSuitesShortestRecord() {
        #expect(DTLSEndpoint.minimumEncryptedRecord(aead: true, cipherNID: NID_aes_128_gcm, digestNID: 0) == 24)
        #expect(DTLSEndpoint.minimumEncryptedRecord(aead: true, cipherNID: NID_chacha20_poly1305, digestNID: 0) == 16)
        #expect(DTLSEndpoint.minimumEncryptedRecord(aead: true, cipherNID: NID_aes_128_ccm, digestNID: 0) == 16)
        // CBC: IV 16 + (MAC + 1 padding byte, in 16-byte blocks)
        #expect(DTLSEndpoint.minimumEncryptedRecord(aead: false, cipherNID: NID_aes_128_cbc, digestNID: NID_sha1) == 48)
        #expect(DTLSEndpoint.minimumEncryptedRecord(aead: false, cipherNID: NID_aes_256_cbc, digestNID: NID_sha384) == 80)
    }

    @Test func garbageThatFailsTheHandshakeLeavesADeadEndpoint() throws {
        let pair = try EndpointPair()
        _ = pair.client.start(now: .zero)
        // A well-formed epoch-0 handshake record carrying a ServerHello-typed message of nonsense.
        let bogus: [UInt8] = [0x16, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13,
                              2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF]
        let outputs = pair.client.handle(datagram: bogus, now: .milliseconds(1))
        #expect(pair.client.state == .failed)
        // A fatal alert (content type 21) goes out, then the failure with OpenSSL's reason.
        #expect(outputs.first.map { if case .send(let alert) = $0 { alert.first == 0x15 } else { false } } == true)
        guard case .failed(.handshakeFailed(let reason)) = outputs.last else {
            Issue.record("expected a handshake failure, got \(outputs)")
            return
        }
        #expect(reason.contains("length mismatch"))
        #expect(pair.client.nextDeadline == nil)
        #expect(pair.client.handle(datagram: bogus, now: .milliseconds(2)).isEmpty)
        #expect(pair.client.handleTimeout(now: .seconds(5)).isEmpty)
        #expect(pair.client.close(now: .seconds(5)).isEmpty)
    }

    @Test func closeNotifyClosesBothSides() throws {
        let pair = try EndpointPair()
        var (clientLog, serverLog) = runHandshake(client: pair.client, server: pair.server)
        let outputs = pair.client.close(now: .milliseconds(100))
        #expect(outputs.last == .closed)
        let alerts = outputs.compactMap { if case .send(let d) = $0 { d } else { nil } }
        #expect(alerts.count == 1 && alerts.first?.first == 0x15)  // an alert record
        exchange(client: pair.client, server: pair.server, toServer: alerts,
                 clientLog: &clientLog, serverLog: &serverLog, start: .milliseconds(100))
        #expect(serverLog.closed)
        #expect(pair.server.state == .closed && pair.client.state == .closed)
        #expect(pair.client.close(now: .milliseconds(200)).isEmpty)
        #expect(pair.server.handle(datagram: alerts[0], now: .milliseconds(200)).isEmpty)
    }

    @Test func retransmissionTimerIsReported() throws {
        let pair = try EndpointPair()
        let start = Instant.seconds(10)
        let hello = pair.client.start(now: start)
        #expect(hello.count == 1)
        let deadline = try #require(pair.client.nextDeadline)
        // OpenSSL's initial DTLS timer is one second (RFC 6347 §4.2.4.1).
        #expect(deadline > start + .milliseconds(900) && deadline <= start + .milliseconds(1001))
        // Early: nothing to retransmit.
        #expect(pair.client.handleTimeout(now: start + .milliseconds(1)).isEmpty)
        #expect(pair.server.nextDeadline == nil)
    }

    /// A replayed copy of the client's final flight (same record sequence numbers) reaches the
    /// connected server: DTLS replay protection drops it and the server does not connect twice.
    /// (A real retransmission carries new record numbers and needs OpenSSL's wall-clock timer.)
    @Test func replayedFlightIsIgnored() throws {
        let pair = try EndpointPair()
        var clientLog = EndpointLog(), serverLog = EndpointLog()
        let hello = record(pair.client.start(now: .zero), into: &clientLog)
        var toClient: [[UInt8]] = []
        for d in hello { toClient += record(pair.server.handle(datagram: d, now: .milliseconds(1)), into: &serverLog) }
        var finalFlight: [[UInt8]] = []
        for d in toClient { finalFlight += record(pair.client.handle(datagram: d, now: .milliseconds(2)), into: &clientLog) }
        var serverFinished: [[UInt8]] = []
        for d in finalFlight { serverFinished += record(pair.server.handle(datagram: d, now: .milliseconds(3)), into: &serverLog) }
        #expect(serverLog.connected != nil)
        for d in finalFlight + hello { _ = record(pair.server.handle(datagram: d, now: .milliseconds(4)), into: &serverLog) }
        #expect(serverLog.events.filter { if case .connected = $0 { true } else { false } }.count == 1)
        #expect(pair.server.state == .connected)
        for d in serverFinished + serverFinished { _ = record(pair.client.handle(datagram: d, now: .milliseconds(5)), into: &clientLog) }
        #expect(clientLog.events.filter { if case .connected = $0 { true } else { false } }.count == 1)
        #expect(pair.client.state == .connected)
    }

    @Test func invalidParametersAreRejected() throws {
        let certificate = try DTLSCertificate.generate(unixTime: certificateTime)
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprint: nil, srtpProfiles: [])
        }
        #expect(throws: DTLSError.self) {
            try DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprint: nil, mtu: 100)
        }
    }
}
