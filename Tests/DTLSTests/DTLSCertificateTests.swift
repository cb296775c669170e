import Testing
import DTLS

/// 2027-01-15T08:00:00Z: certificates take the wall-clock time from their caller.
let certificateTime: Int64 = 1_800_000_000

@Suite struct DTLSCertificateTests {
    @Test func generatesDistinctCertificatesWithMatchingFingerprints() throws {
        let a = try DTLSCertificate.generate(unixTime: certificateTime)
        let b = try DTLSCertificate.generate(unixTime: certificateTime)
        #expect(a.fingerprint != b.fingerprint)
        #expect(a.fingerprint == DTLSFingerprint(derCertificate: a.derBytes))
        // An ECDSA P-256 self-signed certificate is a few hundred DER bytes, starting with a SEQUENCE.
        #expect(a.derBytes.first == 0x30)
        #expect((250...600).contains(a.derBytes.count))
    }

    /// The subject CN is in the DER (as a UTF8String) — the certificate carries what was asked.
    @Test func carriesTheCommonName() throws {
        let certificate = try DTLSCertificate.generate(commonName: "loupe-test-node", unixTime: certificateTime)
        let name = Array("loupe-test-node".utf8)
        let found = (0...(certificate.derBytes.count - name.count)).contains {
            Array(certificate.derBytes[$0..<($0 + name.count)]) == name
        }
        #expect(found)
    }

    @Test func pemRoundTripKeepsCertificateAndKey() throws {
        let original = try DTLSCertificate.generate(unixTime: certificateTime)
        let pem = try original.pemEncoded()
        #expect(pem.contains("-----BEGIN CERTIFICATE-----"))
        #expect(pem.contains("-----BEGIN PRIVATE KEY-----"))
        let loaded = try DTLSCertificate(pem: pem)
        #expect(loaded.derBytes == original.derBytes)
        #expect(loaded.fingerprint == original.fingerprint)

        // The loaded key works: a handshake with it verifies against the original fingerprint.
        let other = try DTLSCertificate.generate(unixTime: certificateTime)
        let client = try DTLSEndpoint(role: .client, certificate: loaded, remoteFingerprint: other.fingerprint)
        let server = try DTLSEndpoint(role: .server, certificate: other, remoteFingerprint: original.fingerprint)
        let result = runHandshake(client: client, server: server)
        #expect(result.client.connected != nil)
        #expect(result.server.connected != nil)
    }

    @Test func rejectsBadPEM() throws {
        #expect(throws: DTLSError.self) { try DTLSCertificate(pem: "") }
        #expect(throws: DTLSError.self) { try DTLSCertificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }

        let a = try DTLSCertificate.generate(unixTime: certificateTime).pemEncoded()
        let b = try DTLSCertificate.generate(unixTime: certificateTime).pemEncoded()
        guard let aKeyStart = a.firstRange(of: "-----BEGIN PRIVATE KEY-----"),
              let bKeyStart = b.firstRange(of: "-----BEGIN PRIVATE KEY-----")
        else { Issue.record("no key block"); return }
        let certificateOnly = String(a[..<aKeyStart.lowerBound])
        do {
            _ = try DTLSCertificate(pem: certificateOnly)
            Issue.record("accepted a PEM without a key")
        } catch DTLSError.invalidPEM {
        } catch {
            Issue.record("unexpected \(error)")
        }
        let mismatched = certificateOnly + String(b[bKeyStart.lowerBound...])
        do {
            _ = try DTLSCertificate(pem: mismatched)
            Issue.record("accepted a key that does not match the certificate")
        } catch DTLSError.invalidPEM(let reason) {
            #expect(reason.contains("does not match"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
