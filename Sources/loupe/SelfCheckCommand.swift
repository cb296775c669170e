import ArgumentParser
import DTLS
import Foundation
import RTP
import SRTP
import SansIO

/// Runs the protocol core end to end in memory, the way two WebRTC peers would: certificates,
/// a DTLS 1.2 handshake with fingerprint checks and DTLS-SRTP key export, then SRTP-protected RTP
/// and RTCP both ways. Prints each step; exits non-zero if any fails.
struct SelfCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selfcheck",
        abstract: "Exercise the protocol core in memory: DTLS handshake, SRTP key export, protected RTP/RTCP.")

    func run() throws {
        let unixTime = Int64(Date().timeIntervalSince1970)
        let clientCert = try DTLSCertificate.generate(commonName: "loupe-selfcheck-client", unixTime: unixTime)
        let serverCert = try DTLSCertificate.generate(commonName: "loupe-selfcheck-server", unixTime: unixTime)
        print("certificates   client \(clientCert.fingerprint)")
        print("               server \(serverCert.fingerprint)")

        let client = try DTLSEndpoint(role: .client, certificate: clientCert, remoteFingerprint: serverCert.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: serverCert, remoteFingerprint: clientCert.fingerprint)
        var now = Instant.zero
        var toServer: [[UInt8]] = []
        var toClient: [[UInt8]] = []
        var clientKeys: SRTPKeyingMaterial?
        var serverKeys: SRTPKeyingMaterial?
        func collect(_ outputs: [DTLSOutput], into queue: inout [[UInt8]], keys: inout SRTPKeyingMaterial?) throws {
            for output in outputs {
                switch output {
                case let .send(bytes): queue.append(bytes)
                case let .connected(k): keys = k
                case let .failed(error): throw ValidationError("DTLS failed: \(error)")
                default: break
                }
            }
        }
        try collect(client.start(now: now), into: &toServer, keys: &clientKeys)
        var flights = 0
        while (clientKeys == nil || serverKeys == nil) && flights < 20 {
            now = now + .milliseconds(1)
            for datagram in toServer { try collect(server.handle(datagram: datagram, now: now), into: &toClient, keys: &serverKeys) }
            toServer.removeAll()
            for datagram in toClient { try collect(client.handle(datagram: datagram, now: now), into: &toServer, keys: &clientKeys) }
            toClient.removeAll()
            flights += 1
        }
        guard let clientKeys, let serverKeys else { throw ValidationError("DTLS handshake did not complete") }
        print("dtls           handshake complete in \(flights) round trips, profile \(clientKeys.profile)")
        guard clientKeys.localMasterKey == serverKeys.remoteMasterKey, clientKeys.remoteMasterKey == serverKeys.localMasterKey else {
            throw ValidationError("the two sides exported different SRTP keys")
        }
        print("keys           both sides derived the same SRTP keys (RFC 5764 §4.2)")

        guard let profile = SRTPProfile(rawValue: clientKeys.profile.rawValue) else {
            throw ValidationError("no SRTP profile for \(clientKeys.profile)")
        }
        let clientOut = try SRTPSession(profile: profile, masterKey: clientKeys.localMasterKey,
                                        masterSalt: clientKeys.localMasterSalt, direction: .outbound)
        let serverIn = try SRTPSession(profile: profile, masterKey: serverKeys.remoteMasterKey,
                                       masterSalt: serverKeys.remoteMasterSalt, direction: .inbound)
        let serverOut = try SRTPSession(profile: profile, masterKey: serverKeys.localMasterKey,
                                        masterSalt: serverKeys.localMasterSalt, direction: .outbound)
        let clientIn = try SRTPSession(profile: profile, masterKey: clientKeys.remoteMasterKey,
                                       masterSalt: clientKeys.remoteMasterSalt, direction: .inbound)

        let rtp = RTPPacket(header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 4242, timestamp: 90_000,
                                              ssrc: 0x1234_5678),
                            payload: Array("a VP8 frame would be here".utf8)).serialize()
        let protectedRTP = try clientOut.protectRTP(rtp)
        guard try serverIn.unprotectRTP(protectedRTP) == rtp else { throw ValidationError("SRTP round trip changed the packet") }
        print("srtp           RTP client→server: \(rtp.count) bytes → \(protectedRTP.count) protected → identical")

        let rtcp = RTCPPacket.serializeCompound([
            .receiverReport(ReceiverReport(ssrc: 0x0BAD_CAFE)),
            .pictureLossIndication(PictureLossIndication(senderSSRC: 0x0BAD_CAFE, mediaSSRC: 0x1234_5678)),
        ])
        let protectedRTCP = try serverOut.protectRTCP(rtcp)
        guard try clientIn.unprotectRTCP(protectedRTCP) == rtcp else { throw ValidationError("SRTCP round trip changed the packet") }
        print("srtcp          RR+PLI server→client: \(rtcp.count) bytes → \(protectedRTCP.count) protected → identical")

        do {
            _ = try serverIn.unprotectRTP(protectedRTP)
            throw ValidationError("a replayed SRTP packet was accepted")
        } catch is SRTPError {
            print("replay         a replayed packet is rejected")
        }
        print("ok             the protocol core works end to end")
    }
}

struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "DTLS certificates.", subcommands: [Fingerprint.self])

    struct Fingerprint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a certificate (or read --pem FILE) and print its SDP fingerprint (sha-256 hex).")
        @Option(help: "A PEM file with the certificate and key.") var pem: String?

        func run() throws {
            let certificate: DTLSCertificate
            if let pem {
                certificate = try DTLSCertificate(pem: String(contentsOfFile: pem, encoding: .utf8))
            } else {
                certificate = try DTLSCertificate.generate(unixTime: Int64(Date().timeIntervalSince1970))
            }
            print(certificate.fingerprint.hex)
        }
    }
}
