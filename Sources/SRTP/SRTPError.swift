/// Why an SRTP or SRTCP packet could not be protected or unprotected, or a session not created.
public enum SRTPError: Error, Hashable, Sendable {
    /// The authentication tag did not verify (RFC 3711 §3.3 step 5, RFC 7714 §9.2).
    case authFail
    /// The packet index was already seen in the replay window (RFC 3711 §3.3.2).
    case replayFail
    /// The packet index is older than the replay window (RFC 3711 §3.3.2).
    case replayOld
    /// The packet is shorter than its header and trailer, or its header lengths do not fit.
    case badLength
    /// The RTP/RTCP version is not 2.
    case badVersion
    /// Master key or salt of the wrong length for the profile.
    case badKeyLength(expectedKey: Int, expectedSalt: Int)
    /// A replay window outside what libsrtp accepts (64 ..< 32768).
    case badReplayWindow(Int)
    /// `protect` on an inbound session or `unprotect` on an outbound one.
    case wrongDirection
    /// `srtp_init()` failed with this libsrtp status.
    case libraryInitFailed(code: Int32)
    /// Any other libsrtp status (`srtp_err_status_t`).
    case other(code: Int32)

    /// Maps a libsrtp status that is not `srtp_err_status_ok`.
    init(status: Int32) {
        switch status {
        case 7: self = .authFail        // srtp_err_status_auth_fail
        case 9: self = .replayFail      // srtp_err_status_replay_fail
        case 10: self = .replayOld      // srtp_err_status_replay_old
        default: self = .other(code: status)
        }
    }
}
