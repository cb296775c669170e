public import SansIO

/// The queuing delay of the path, from the one-way delays of acknowledged packets: each
/// packet's arrival (receiver clock) minus its send time (sender clock) is the propagation
/// delay plus the queue plus a constant clock offset; the smallest such value seen over the
/// last 10–20 s stands for "propagation + offset", so a packet's excess over it is its queuing
/// delay. (The window lets the base follow a route change; a base older than 20 s is dropped.)
///
/// The delay-gradient detector sees a queue only while it grows: a queue that filled before
/// detection (a start rate above capacity, a probe on a spike) and then stands still, full,
/// looks like "normal". `SendSideBandwidthEstimator` treats a standing queue above
/// `standingQueueLimit` as overuse (a Loupe addition in the spirit of SCReAM and NADA, which
/// react to the queuing delay itself).
public struct QueueDelayTracker: Sendable {
    /// Queuing delay treated as overuse, µs.
    public static let standingQueueLimit: Int64 = 150_000
    static let bucket: Int64 = 10_000_000

    private var currentMin: Int64?
    private var previousMin: Int64?
    private var bucketStart: Int64?
    /// The latest packet's queuing delay, µs.
    public private(set) var queueDelay: Int64 = 0

    public init() {}

    /// Adds one acknowledged packet; `arrival` on the receiver's clock.
    public mutating func update(sendTime: Instant, arrival: Instant) {
        let send = sendTime.microseconds
        let owd = arrival.microseconds &- send
        if let start = bucketStart, send &- start >= Self.bucket {
            previousMin = currentMin
            currentMin = nil
            bucketStart = send
        } else if bucketStart == nil {
            bucketStart = send
        }
        currentMin = min(currentMin ?? owd, owd)
        let base = min(previousMin ?? owd, currentMin ?? owd)
        queueDelay = max(0, owd &- base)
    }

    /// Whether the queue stands above the limit.
    public var standingQueue: Bool { queueDelay > Self.standingQueueLimit }
}
