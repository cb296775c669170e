/// Which side of the DTLS handshake an endpoint plays (RFC 6347 §4.2; in WebRTC the
/// SDP `a=setup` attribute decides, RFC 8842 §5: `active` is the client).
public enum DTLSRole: Hashable, Sendable {
    /// Sends the ClientHello.
    case client
    /// Answers it.
    case server
}
