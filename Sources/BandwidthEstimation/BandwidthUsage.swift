/// The delay-based detector's hypothesis about the path, as in libwebrtc's `BandwidthUsage`
/// (api/transport/bandwidth_usage.h) and draft-ietf-rmcat-gcc-02 §5.4 ("overuse", "normal",
/// "underuse").
public enum BandwidthUsage: Sendable, Hashable {
    /// Queuing delay is stable: the rate may grow.
    case normal
    /// Queuing delay grows: the path is congested and the rate must drop.
    case overusing
    /// Queuing delay shrinks: a queue is draining; hold the rate until it has.
    case underusing
}

/// Microsecond helpers shared by the estimators (all internal time arithmetic is in Int64 µs,
/// wrapping so that hostile timestamps can never trap).
enum Time {
    static func ms(_ microseconds: Int64) -> Double { Double(microseconds) / 1000 }
}
