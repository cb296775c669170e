import Testing
import DTLS

@Suite struct DTLSFingerprintTests {
    static let sequentialBytes = (0..<32).map { UInt8($0) }
    static let sequentialHex =
        "00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F"

    @Test func formatsAsUpperCaseColonSeparatedHex() throws {
        let fingerprint = try DTLSFingerprint(sha256: Self.sequentialBytes)
        #expect(fingerprint.hex == Self.sequentialHex)
        #expect(fingerprint.sdpAttributeValue == "sha-256 " + Self.sequentialHex)
    }

    @Test func parsesTheSDPForm() throws {
        #expect(try DTLSFingerprint(sdpAttributeValue: "sha-256 " + Self.sequentialHex).bytes == Self.sequentialBytes)
        #expect(try DTLSFingerprint(sdpAttributeValue: "SHA-256 " + Self.sequentialHex.lowercased()).bytes == Self.sequentialBytes)
        #expect(try DTLSFingerprint(hex: Self.sequentialHex).bytes == Self.sequentialBytes)
    }

    /// SHA-256("abc") from FIPS 180-2 Appendix B.1: the fingerprint hashes the DER bytes given.
    @Test func hashesDERBytesWithSHA256() {
        let fingerprint = DTLSFingerprint(derCertificate: Array("abc".utf8))
        #expect(fingerprint.hex == "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD")
    }

    @Test(arguments: [
        ("truncated: 31 bytes", String(sequentialHex.dropLast(3)), DTLSFingerprintParseError.wrongByteCount(31)),
        ("over-long: 33 bytes", sequentialHex + ":20", .wrongByteCount(33)),
        ("odd digit group", sequentialHex.replacing(":1F", with: ":F"), .malformedHex("F")),
        ("three digit group", sequentialHex.replacing(":1F", with: ":1F0"), .malformedHex("1F0")),
        ("empty group", sequentialHex.replacing(":1F", with: "::1F"), .malformedHex("")),
        ("sign is not a digit", sequentialHex.replacing(":0A", with: ":+A"), .malformedHex("+A")),
        ("non-hex digit", sequentialHex.replacing(":0A", with: ":0G"), .malformedHex("0G")),
        ("empty", "", .malformedHex("")),
    ])
    func rejectsMalformedHex(name: String, text: String, error: DTLSFingerprintParseError) {
        #expect(throws: error, "\(name)") { try DTLSFingerprint(hex: text) }
    }

    @Test func rejectsMalformedSDPValues() {
        #expect(throws: DTLSFingerprintParseError.unsupportedHashFunction("sha-1")) {
            try DTLSFingerprint(sdpAttributeValue: "sha-1 AB:CD")
        }
        #expect(throws: DTLSFingerprintParseError.missingFingerprint) { try DTLSFingerprint(sdpAttributeValue: "sha-256") }
        #expect(throws: DTLSFingerprintParseError.missingFingerprint) { try DTLSFingerprint(sdpAttributeValue: "  ") }
        #expect(throws: DTLSFingerprintParseError.malformedHex("trailing")) {
            try DTLSFingerprint(sdpAttributeValue: "sha-256 \(Self.sequentialHex) trailing")
        }
        #expect(throws: DTLSFingerprintParseError.wrongByteCount(20)) { try DTLSFingerprint(sha256: [UInt8](repeating: 0, count: 20)) }
    }
}
