public import SansIO

/// The sans-IO media node: rooms of WHIP publishers and WHEP subscribers on one UDP port.
///
/// Not thread-safe: one executor owns it (the server's UDP event loop; the emulator's scheduler).
/// Signaling calls, datagrams and timeouts all carry the `Instant` they happen at.
public final class Node {
    public let configuration: NodeConfiguration
    public private(set) var counters = NodeCounters()

    public init(configuration: NodeConfiguration) throws {
        self.configuration = configuration
    }

    /// Creates a WHIP (publisher) or WHEP (subscriber) session from an SDP offer.
    public func createSession(role: SessionRole, room: String, variant: Variant, offer: String,
                              now: Instant) throws(SignalingError) -> CreatedSession {
        throw .unavailable("the node's media path is not wired yet")
    }

    /// Ends a session (HTTP DELETE on its resource).
    public func endSession(id: String, role: SessionRole, room: String, now: Instant) throws(SignalingError) -> [Transmit] {
        throw .notFound("no session \(id) in room \(room)")
    }

    /// Applies a trickle-ICE fragment (HTTP PATCH); returns the new entity tag.
    public func patchSession(id: String, role: SessionRole, room: String, fragment: String, ifMatch: String?,
                             now: Instant) throws(SignalingError) -> String {
        throw .notFound("no session \(id) in room \(room)")
    }

    /// A datagram or a timer.
    public func handle(_ input: NodeInput, now: Instant) -> [Transmit] { [] }

    /// When `handle(.timeout, now:)` must next be called, if ever.
    public var nextDeadline: Instant? { nil }

    /// Every room with at least one session.
    public func rooms(now: Instant) -> [RoomSnapshot] { [] }

    /// Ends every session; returns the goodbyes to send.
    public func shutdown(now: Instant) -> [Transmit] { [] }
}
