/// Length checks on RTP/RTCP headers before their bytes reach libsrtp, so that a short
/// or inconsistent packet from a peer becomes a typed error and never a C-level over-read.
enum PacketLayout {
    /// Largest packet accepted (a UDP payload cannot be longer).
    static let maximumLength = 65_535

    /// The RTP header length (fixed header, CSRCs, extension) per RFC 3550 §5.1, §5.3.1.
    static func rtpHeaderLength(_ packet: [UInt8]) throws(SRTPError) -> Int {
        guard packet.count >= 12, packet.count <= maximumLength else { throw .badLength }
        guard packet[0] >> 6 == 2 else { throw .badVersion }
        let csrcCount = Int(packet[0] & 0x0F)
        var length = 12 + 4 * csrcCount
        if packet[0] & 0x10 != 0 {
            guard packet.count >= length + 4 else { throw .badLength }
            let words = Int(packet[length + 2]) << 8 | Int(packet[length + 3])
            length += 4 + 4 * words
        }
        guard packet.count >= length else { throw .badLength }
        return length
    }

    /// Checks an RTCP packet's first header (RFC 3550 §6.4): version 2, at least 8 bytes.
    static func checkRTCPHeader(_ packet: [UInt8]) throws(SRTPError) {
        guard packet.count >= 8, packet.count <= maximumLength else { throw .badLength }
        guard packet[0] >> 6 == 2 else { throw .badVersion }
    }
}
