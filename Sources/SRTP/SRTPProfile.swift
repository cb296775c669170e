/// An SRTP protection profile, numbered as DTLS-SRTP numbers them (RFC 5764 §4.1.2,
/// RFC 7714 §14.2). The raw values equal `DTLS.SRTPProtectionProfile`'s, so the node
/// maps a negotiated DTLS profile to this one with `SRTPProfile(rawValue:)`.
public enum SRTPProfile: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// AES-128 counter mode with an 80-bit HMAC-SHA1 tag (RFC 3711 §4, RFC 5764 §4.1.2).
    case aes128CMHMACSHA1_80 = 0x0001
    /// AES-128 in GCM with a 16-octet tag (RFC 7714 §14.2).
    case aeadAES128GCM = 0x0007

    /// Master key length in bytes (both profiles: 16).
    public var masterKeyLength: Int { 16 }

    /// Master salt length in bytes: 14 for AES-CM (RFC 3711 §8.2), 12 for GCM (RFC 7714 §14.2).
    public var masterSaltLength: Int {
        switch self {
        case .aes128CMHMACSHA1_80: return 14
        case .aeadAES128GCM: return 12
        }
    }

    /// Bytes SRTP appends to an RTP packet: the 10-byte HMAC tag or the 16-byte GCM tag.
    public var rtpTagLength: Int {
        switch self {
        case .aes128CMHMACSHA1_80: return 10
        case .aeadAES128GCM: return 16
        }
    }

    /// Bytes SRTCP appends to an RTCP packet: the tag plus the 4-byte E||SRTCP index (RFC 3711 §3.4).
    public var rtcpTrailerLength: Int { rtpTagLength + 4 }

    public var description: String {
        switch self {
        case .aes128CMHMACSHA1_80: return "AES_CM_128_HMAC_SHA1_80"
        case .aeadAES128GCM: return "AEAD_AES_128_GCM"
        }
    }
}
