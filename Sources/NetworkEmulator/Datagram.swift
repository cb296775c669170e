public import SansIO

/// One UDP datagram in flight through the emulated network: its payload and the
/// transport addresses it was sent from and to.
///
/// The emulator never looks inside `bytes`; only `bytes.count` matters to the
/// links (serialization time, queue occupancy).
public struct Datagram: Hashable, Sendable {
    /// The UDP payload.
    public var bytes: [UInt8]
    /// The sender's address (what the receiver sees as the remote address).
    public var from: TransportAddress
    /// The destination address; the network routes on `from.ip` → `to.ip`.
    public var to: TransportAddress

    public init(bytes: [UInt8], from: TransportAddress, to: TransportAddress) {
        self.bytes = bytes
        self.from = from
        self.to = to
    }

    /// The payload size in bytes (the emulator ignores IP/UDP header overhead).
    public var size: Int { bytes.count }
}

/// Something attached to the emulated network: Loupe's sans-IO `Node`, a
/// simulated peer, or a test probe.
///
/// The network drives an endpoint with exactly two inputs, each carrying the
/// virtual time at which it happens (DESIGN.md §7, "one input shape"):
/// a datagram arriving, and its own deadline expiring. Whatever the endpoint
/// returns is sent into the network at that same instant. The network reads
/// `nextDeadline` after every call, so an endpoint may move its deadline
/// freely; a deadline in the past fires at the current time.
public protocol EmulatedEndpoint: AnyObject {
    /// A datagram addressed to this endpoint arrived at `now`.
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram]
    /// The next instant at which `handleTimeout(now:)` should be called, or
    /// `nil` when the endpoint has no timer pending.
    var nextDeadline: Instant? { get }
    /// The deadline reported by `nextDeadline` has been reached.
    func handleTimeout(now: Instant) -> [Datagram]
}

/// Why a link did not deliver a datagram.
public enum DropReason: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Tail drop: the bottleneck queue was full (in bytes or in milliseconds).
    case queueFull = "queue"
    /// The random or Gilbert–Elliott loss model (or the trace's `loss`) lost it.
    case randomLoss = "loss"
    /// The capacity model never offers capacity again (e.g. an all-zero trace).
    case noCapacity = "no-capacity"

    public var description: String { rawValue }
}
