/// What a datagram arriving on the shared media port is, by its first byte (RFC 7983 §7)
/// and, for RTP/RTCP, its second byte (RFC 5761 §4).
public enum DatagramClass: Sendable, Hashable {
    /// First byte 0–3.
    case stun
    /// First byte 16–19.
    case zrtp
    /// First byte 20–63.
    case dtls
    /// First byte 64–79.
    case turnChannel
    /// First byte 128–191 and second byte (M + PT) outside 192–223.
    case rtp
    /// First byte 128–191 and second byte 192–223 (RTCP packet types; PT 64–95 with the
    /// marker bit folded in).
    case rtcp
    /// Empty, any other first byte, or an RTP/RTCP first byte without a second byte.
    case unknown

    /// Classifies a datagram. Never traps.
    public static func classify(_ bytes: [UInt8]) -> DatagramClass {
        guard let first = bytes.first else { return .unknown }
        switch first {
        case 0...3: return .stun
        case 16...19: return .zrtp
        case 20...63: return .dtls
        case 64...79: return .turnChannel
        case 128...191:
            guard bytes.count >= 2 else { return .unknown }
            return isRTCP(secondByte: bytes[1]) ? .rtcp : .rtp
        default: return .unknown
        }
    }

    /// RFC 5761 §4: a second byte of 192–223 is an RTCP packet type.
    public static func isRTCP(secondByte: UInt8) -> Bool {
        (192...223).contains(secondByte)
    }
}
