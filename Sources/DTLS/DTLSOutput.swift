/// What a `DTLSEndpoint` asks its driver to do or tells it.
public enum DTLSOutput: Hashable, Sendable {
    /// Send this datagram to the peer (a flight or part of one, at most the MTU).
    case send([UInt8])
    /// The handshake finished, the peer's certificate matched its fingerprint and these
    /// SRTP keys were exported (RFC 5764 §4.2).
    case connected(SRTPKeyingMaterial)
    /// Decrypted application data from the peer (e.g. SCTP for data channels).
    case applicationData([UInt8])
    /// The association closed: a close_notify went out or came in (RFC 5246 §7.2.1).
    case closed
    /// The association failed and is dead; later input is dropped.
    case failed(DTLSError)
}

/// Where a `DTLSEndpoint` is in its life.
public enum DTLSState: Hashable, Sendable {
    /// Created; the client has not sent its ClientHello, the server has seen none.
    case idle
    /// Flights are being exchanged.
    case handshaking
    /// The handshake finished but no remote fingerprint was set yet to check the peer against.
    case awaitingFingerprint
    /// Verified and keyed.
    case connected
    case closed
    case failed
}
