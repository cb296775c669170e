public import SansIO

/// Limits keyframe requests (PLI/FIR) sent to a publisher to one per `interval`.
///
/// Many subscribers asking at once, or one asking repeatedly, must not make the publisher send
/// keyframe after keyframe. A request inside the interval is remembered and sent when the
/// interval ends, so nobody's request is lost.
public struct KeyframeRequestThrottle: Sendable {
    public let interval: Duration
    private var lastSent: Instant?
    private var pending = false

    public init(interval: Duration = .milliseconds(500)) { self.interval = interval }

    /// Asks for a keyframe; returns `true` if the request should go out now.
    public mutating func request(now: Instant) -> Bool {
        if let last = lastSent, now - last < interval {
            pending = true
            return false
        }
        lastSent = now
        pending = false
        return true
    }

    /// When a deferred request is due, if one is pending.
    public var nextDeadline: Instant? {
        guard pending, let last = lastSent else { return nil }
        return last + interval
    }

    /// Returns `true` if a deferred request is due at `now` (and marks it sent).
    public mutating func poll(now: Instant) -> Bool {
        guard let due = nextDeadline, now >= due else { return false }
        lastSent = now
        pending = false
        return true
    }
}
