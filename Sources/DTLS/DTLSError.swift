import COpenSSL

/// Why a DTLS operation failed. OpenSSL failures carry OpenSSL's error strings.
public enum DTLSError: Error, Hashable, Sendable {
    /// Setting up OpenSSL objects failed (`operation` names the call).
    case openSSL(operation: String, reason: String)
    /// The handshake failed: a fatal alert, an unexpected message, too many retransmissions.
    case handshakeFailed(reason: String)
    /// A fatal error after the handshake (e.g. a fatal alert from the peer).
    case protocolError(reason: String)
    /// The peer's certificate does not hash to the fingerprint from its SDP (RFC 8122 §5, RFC 8842 §5).
    case fingerprintMismatch
    /// The peer sent no certificate.
    case noPeerCertificate
    /// The peer did not agree on any offered SRTP protection profile (RFC 5764 §4.1.1).
    case noSRTPProfile
    /// Exporting the DTLS-SRTP keying material failed (RFC 5764 §4.2).
    case keyExportFailed(reason: String)
    /// Application data can only be sent once connected.
    case notConnected
    /// Application data larger than one record fits into the MTU.
    case messageTooLong(maximum: Int)
    /// A PEM text that does not hold a certificate and its matching private key.
    case invalidPEM(reason: String)
    /// A parameter out of range (e.g. an MTU too small for DTLS).
    case invalidParameter(String)
}

/// Drains OpenSSL's per-thread error queue into one string ("" if it was empty).
func drainOpenSSLErrors() -> String {
    var reasons: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        reasons.append(String(decoding: bytes, as: UTF8.self))
    }
    return reasons.joined(separator: "; ")
}
