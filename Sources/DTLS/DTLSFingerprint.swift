import COpenSSL

/// Why an SDP certificate fingerprint could not be parsed.
public enum DTLSFingerprintParseError: Error, Hashable, Sendable {
    /// The attribute value has no fingerprint after the hash function name.
    case missingFingerprint
    /// A hash function other than sha-256 (the only one Loupe accepts).
    case unsupportedHashFunction(String)
    /// A group that is not exactly two hexadecimal digits.
    case malformedHex(String)
    /// A SHA-256 fingerprint has 32 bytes.
    case wrongByteCount(Int)
}

/// The SHA-256 fingerprint of a DER certificate, as SDP carries it in
/// `a=fingerprint:sha-256 AB:CD:…` (RFC 8122 §5; WebRTC: RFC 8827 §6.5).
public struct DTLSFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The hash function name used in SDP.
    public static let hashFunction = "sha-256"

    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// A fingerprint from its 32 digest bytes.
    public init(sha256 bytes: [UInt8]) throws(DTLSFingerprintParseError) {
        guard bytes.count == 32 else { throw .wrongByteCount(bytes.count) }
        self.bytes = bytes
    }

    /// Parses the hexadecimal form `AB:CD:…` (RFC 8122 §5 `fingerprint`; lower-case digits accepted).
    public init(hex text: some StringProtocol) throws(DTLSFingerprintParseError) {
        var bytes: [UInt8] = []
        for group in text.split(separator: ":", omittingEmptySubsequences: false) {
            let digits = Array(group.utf8)
            guard digits.count == 2, let high = Self.nibble(digits[0]), let low = Self.nibble(digits[1]) else {
                throw .malformedHex(String(group))
            }
            bytes.append(high << 4 | low)
        }
        try self.init(sha256: bytes)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    /// Parses an SDP `a=fingerprint` attribute value: `sha-256 AB:CD:…` (RFC 8122 §5).
    /// The hash function name is matched case-insensitively.
    public init(sdpAttributeValue text: some StringProtocol) throws(DTLSFingerprintParseError) {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let function = fields.first else { throw .missingFingerprint }
        guard function.lowercased() == Self.hashFunction else { throw .unsupportedHashFunction(String(function)) }
        guard fields.count >= 2 else { throw .missingFingerprint }
        guard fields.count == 2 else { throw .malformedHex(fields.dropFirst(2).joined(separator: " ")) }
        try self.init(hex: fields[1])
    }

    /// The SHA-256 of a DER-encoded certificate.
    public init(derCertificate: [UInt8]) {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(derCertificate, derCertificate.count, &digest, &length, EVP_sha256(), nil)
        self.bytes = digest
    }

    /// Upper-case, colon-separated hex: `AB:CD:…`.
    public var hex: String {
        let digits = Array("0123456789ABCDEF")
        return bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]]) }.joined(separator: ":")
    }

    /// The SDP attribute value: `sha-256 AB:CD:…`.
    public var sdpAttributeValue: String { "\(Self.hashFunction) \(hex)" }

    public var description: String { sdpAttributeValue }
}
