/// A DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §14.2). Raw values are the
/// registered profile numbers, equal to `SRTP.SRTPProfile`'s.
public enum SRTPProtectionProfile: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// SRTP_AES128_CM_HMAC_SHA1_80 = {0x00, 0x01}.
    case aes128CMHMACSHA1_80 = 0x0001
    /// SRTP_AEAD_AES_128_GCM = {0x00, 0x07}.
    case aeadAES128GCM = 0x0007

    /// Master key length in bytes.
    public var keyLength: Int { 16 }

    /// Master salt length in bytes: 14 (RFC 5764 §4.1.2) or 12 (RFC 7714 §14.2).
    public var saltLength: Int {
        switch self {
        case .aes128CMHMACSHA1_80: return 14
        case .aeadAES128GCM: return 12
        }
    }

    /// The name OpenSSL's `SSL_CTX_set_tlsext_use_srtp` takes.
    var openSSLName: String {
        switch self {
        case .aes128CMHMACSHA1_80: return "SRTP_AES128_CM_SHA1_80"
        case .aeadAES128GCM: return "SRTP_AEAD_AES_128_GCM"
        }
    }

    public var description: String {
        switch self {
        case .aes128CMHMACSHA1_80: return "SRTP_AES128_CM_HMAC_SHA1_80"
        case .aeadAES128GCM: return "SRTP_AEAD_AES_128_GCM"
        }
    }
}

/// SRTP master keys and salts exported from a finished DTLS handshake (RFC 5764 §4.2):
/// the exporter output with label "EXTRACTOR-dtls_srtp" split as
/// client_write_key | server_write_key | client_write_salt | server_write_salt.
///
/// The client protects what it sends with the client keys, the server with the server keys;
/// `local…` / `remote…` pick them for this endpoint's role. `description` never shows keys.
public struct SRTPKeyingMaterial: Hashable, Sendable, CustomStringConvertible {
    public let profile: SRTPProtectionProfile
    /// This endpoint's role in the handshake.
    public let localRole: DTLSRole
    public let clientWriteKey: [UInt8]
    public let serverWriteKey: [UInt8]
    public let clientWriteSalt: [UInt8]
    public let serverWriteSalt: [UInt8]

    /// Splits `exported`, which must be 2 · (key + salt) bytes long for `profile`.
    init?(profile: SRTPProtectionProfile, localRole: DTLSRole, exported: [UInt8]) {
        let k = profile.keyLength, s = profile.saltLength
        guard exported.count == 2 * (k + s) else { return nil }
        self.profile = profile
        self.localRole = localRole
        clientWriteKey = Array(exported[0..<k])
        serverWriteKey = Array(exported[k..<(2 * k)])
        clientWriteSalt = Array(exported[(2 * k)..<(2 * k + s)])
        serverWriteSalt = Array(exported[(2 * k + s)..<(2 * k + 2 * s)])
    }

    /// The master key for packets this endpoint sends.
    public var localMasterKey: [UInt8] { localRole == .client ? clientWriteKey : serverWriteKey }
    /// The master salt for packets this endpoint sends.
    public var localMasterSalt: [UInt8] { localRole == .client ? clientWriteSalt : serverWriteSalt }
    /// The master key for packets the peer sends.
    public var remoteMasterKey: [UInt8] { localRole == .client ? serverWriteKey : clientWriteKey }
    /// The master salt for packets the peer sends.
    public var remoteMasterSalt: [UInt8] { localRole == .client ? serverWriteSalt : clientWriteSalt }

    public var description: String { "SRTPKeyingMaterial(\(profile), local role \(localRole))" }
}
