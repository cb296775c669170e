import CSRTP

/// libsrtp's one-time global initialisation (`srtp_init()` registers the cipher and
/// auth types). Swift runs a global's initialiser exactly once, thread-safely.
enum SRTPLibrary {
    private static let initStatus: Int32 = Int32(bitPattern: srtp_init().rawValue)

    /// Initialises libsrtp on first use; throws if that failed.
    static func ensureInitialised() throws(SRTPError) {
        let status = initStatus
        guard status == 0 else { throw .libraryInitFailed(code: status) }
    }

    /// Room libsrtp may append to an RTP packet (`SRTP_MAX_TRAILER_LEN`).
    static let rtpTrailerRoom = Int(loupe_srtp_max_trailer_len())
    /// Room libsrtp may append to an RTCP packet (`SRTP_MAX_TRAILER_LEN + 4`).
    static let rtcpTrailerRoom = Int(loupe_srtcp_max_trailer_len())
}
