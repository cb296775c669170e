/// Why the node dropped a datagram or packet. Each reason is a label of
/// `loupe_dropped_packets_total` in `/metrics`.
public enum DropReason: String, CaseIterable, Sendable {
    /// Not STUN, DTLS or RTP/RTCP by its first byte (RFC 7983).
    case unclassifiable
    /// STUN that does not parse.
    case stunMalformed = "stun_malformed"
    /// STUN whose USERNAME names no session of ours.
    case stunUnknownUsername = "stun_unknown_username"
    /// STUN rejected by the session's ICE agent (integrity, fingerprint, role).
    case stunRejected = "stun_rejected"
    /// DTLS or SRTP from an address no session has validated through ICE.
    case unknownAddress = "unknown_address"
    /// DTLS datagrams the session's DTLS endpoint refused: a fatal error, or records that cannot be
    /// valid (shorter than the cipher suite allows; application data during the handshake).
    case dtlsRejected = "dtls_rejected"
    /// SRTP/SRTCP before the DTLS handshake produced keys.
    case srtpBeforeKeys = "srtp_before_keys"
    /// SRTP/SRTCP failing authentication or replay checks.
    case srtpUnprotectFailed = "srtp_unprotect_failed"
    /// RTP that does not parse after decryption.
    case rtpMalformed = "rtp_malformed"
    /// RTCP that does not parse after decryption.
    case rtcpMalformed = "rtcp_malformed"
    /// RTP whose SSRC, MID and payload type match no negotiated track.
    case rtpUnknownSSRC = "rtp_unknown_ssrc"
    /// RTP from a subscriber (subscribers only receive).
    case rtpFromSubscriber = "rtp_from_subscriber"
}

/// Cumulative counters of the whole node. Plain integers, bumped on the node's own executor;
/// the server turns them into Prometheus metrics.
public struct NodeCounters: Sendable, Equatable {
    public var datagramsIn = 0
    public var bytesIn = 0
    public var datagramsOut = 0
    public var bytesOut = 0
    public var rtpPacketsIn = 0
    public var rtpPacketsOut = 0
    public var rtcpPacketsIn = 0
    public var rtcpPacketsOut = 0
    public var nacksReceived = 0
    public var nacksSent = 0
    public var retransmissionsSent = 0
    public var retransmissionsReceived = 0
    public var plisReceived = 0
    public var plisSent = 0
    public var firsReceived = 0
    public var sessionsCreated = 0
    public var sessionsEnded = 0
    public var consentExpired = 0
    /// Restored rendition: frames assembled and handed to processing, frames the assembler
    /// dropped (incomplete, missing reference, malformed), frames dropped because the
    /// processing command queue was full, frames sent back and keyframes asked of the encoder.
    public var processingFramesIn = 0
    public var processingFramesDroppedByAssembler = 0
    public var processingFramesDroppedByQueue = 0
    public var processingFramesOut = 0
    public var processingKeyframeRequests = 0
    public var dropped: [DropReason: Int] = [:]

    public init() {}

    mutating func drop(_ reason: DropReason) { dropped[reason, default: 0] += 1 }
}
