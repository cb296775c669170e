import CSRTP

/// One direction of SRTP/SRTCP protection with one master key (RFC 3711, RFC 7714),
/// wrapping a libsrtp `srtp_t`.
///
/// A session is created for either direction: an outbound session protects every SSRC
/// this endpoint sends (`ssrc_any_outbound`), an inbound one unprotects every SSRC the
/// peer sends (`ssrc_any_inbound`). libsrtp derives the session keys (RFC 3711 §4.3)
/// and creates the per-SSRC stream state (rollover counter, replay window) from the
/// template on the first packet of each SSRC; on the inbound side only after that
/// packet authenticated, so forged packets cannot create streams.
///
/// Retransmission: `allowRepeatTransmission` is off by default. Loupe retransmits video
/// with RTX (RFC 4588), which has its own SSRC and sequence numbers, so the sender never
/// protects the same (SSRC, sequence number) twice and libsrtp's sender-side replay check
/// stays a guard against keystream reuse. Turn it on only for a stream retransmitted in
/// place (NACK without RTX): repeated packets must then be byte-identical.
///
/// Not thread-safe: use a session from one thread (the node's event loop).
public final class SRTPSession {
    /// Which way the packets go through this session.
    public enum Direction: Hashable, Sendable {
        /// Packets this endpoint sends: `protectRTP` / `protectRTCP`.
        case outbound
        /// Packets this endpoint receives: `unprotectRTP` / `unprotectRTCP`.
        case inbound
    }

    public let profile: SRTPProfile
    public let direction: Direction
    private let context: srtp_t

    /// Creates a session from a master key and salt (RFC 3711 §8.2; for DTLS-SRTP the
    /// halves of the exported keying material, RFC 5764 §4.2).
    ///
    /// - Parameters:
    ///   - replayWindowSize: packets in the replay window (RFC 3711 §3.3.2); libsrtp accepts 64 ..< 32768.
    ///   - allowRepeatTransmission: let an outbound session protect the same sequence number again.
    public init(
        profile: SRTPProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction,
        replayWindowSize: Int = 1024, allowRepeatTransmission: Bool = false
    ) throws(SRTPError) {
        try SRTPLibrary.ensureInitialised()
        guard masterKey.count == profile.masterKeyLength, masterSalt.count == profile.masterSaltLength else {
            throw .badKeyLength(expectedKey: profile.masterKeyLength, expectedSalt: profile.masterSaltLength)
        }
        guard replayWindowSize >= 64, replayWindowSize < 0x8000 else {
            throw .badReplayWindow(replayWindowSize)
        }
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CMHMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = direction == .outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.ssrc.value = 0
        policy.window_size = UInt(replayWindowSize)
        policy.allow_repeat_tx = allowRepeatTransmission ? 1 : 0
        policy.next = nil
        var keyAndSalt = masterKey + masterSalt
        var created: srtp_t?
        let status = keyAndSalt.withUnsafeMutableBufferPointer { key -> srtp_err_status_t in
            policy.key = key.baseAddress
            return srtp_create(&created, &policy)
        }
        // Scrub our copy of the key; libsrtp keeps its own.
        for i in keyAndSalt.indices { keyAndSalt[i] = 0 }
        guard status == srtp_err_status_ok, let created else {
            throw .other(code: Int32(bitPattern: status.rawValue))
        }
        self.profile = profile
        self.direction = direction
        self.context = created
    }

    deinit {
        srtp_dealloc(context)
    }

    /// Encrypts and authenticates an RTP packet (RFC 3711 §3.3, RFC 7714 §9.1).
    /// Returns the SRTP packet: the header, the encrypted payload and the tag.
    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        guard direction == .outbound else { throw .wrongDirection }
        _ = try PacketLayout.rtpHeaderLength(packet)
        return try run(packet, room: SRTPLibrary.rtpTrailerRoom) { srtp_protect($0, $1, $2) }
    }

    /// Authenticates, replay-checks and decrypts an SRTP packet (RFC 3711 §3.3, RFC 7714 §9.2).
    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        guard direction == .inbound else { throw .wrongDirection }
        let header = try PacketLayout.rtpHeaderLength(packet)
        guard packet.count >= header + profile.rtpTagLength else { throw .badLength }
        return try run(packet, room: 0) { srtp_unprotect($0, $1, $2) }
    }

    /// Encrypts and authenticates an RTCP (compound) packet into SRTCP (RFC 3711 §3.4, RFC 7714 §9.3).
    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        guard direction == .outbound else { throw .wrongDirection }
        try PacketLayout.checkRTCPHeader(packet)
        return try run(packet, room: SRTPLibrary.rtcpTrailerRoom) { srtp_protect_rtcp($0, $1, $2) }
    }

    /// Authenticates, replay-checks and decrypts an SRTCP packet (RFC 3711 §3.4, RFC 7714 §9.3).
    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        guard direction == .inbound else { throw .wrongDirection }
        try PacketLayout.checkRTCPHeader(packet)
        guard packet.count >= 8 + profile.rtcpTrailerLength else { throw .badLength }
        return try run(packet, room: 0) { srtp_unprotect_rtcp($0, $1, $2) }
    }

    /// Forgets the stream state (rollover counter, replay window) of one SSRC, e.g. when a
    /// peer's track ends; a later packet of that SSRC starts a new stream from the template.
    public func removeStream(ssrc: UInt32) {
        _ = srtp_remove_stream(context, ssrc.bigEndian)
    }

    /// Copies `packet` into a buffer with `room` spare bytes, runs the libsrtp transform
    /// in place and trims the buffer to the length libsrtp reports.
    private func run(
        _ packet: [UInt8], room: Int,
        _ transform: (srtp_t, UnsafeMutableRawPointer, UnsafeMutablePointer<Int32>) -> srtp_err_status_t
    ) throws(SRTPError) -> [UInt8] {
        var buffer = packet
        buffer.append(contentsOf: repeatElement(0, count: room))
        var length = Int32(packet.count)
        let context = self.context
        let status = buffer.withUnsafeMutableBytes { raw -> srtp_err_status_t in
            guard let base = raw.baseAddress else { return srtp_err_status_bad_param }
            return transform(context, base, &length)
        }
        guard status == srtp_err_status_ok else { throw SRTPError(status: Int32(bitPattern: status.rawValue)) }
        guard length >= 0, Int(length) <= buffer.count else { throw .badLength }
        buffer.removeLast(buffer.count - Int(length))
        return buffer
    }
}
