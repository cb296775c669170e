/// A point in time on the node's clock, in microseconds since an arbitrary epoch.
///
/// Sans-IO state machines never read a clock: every input carries the `Instant`
/// at which it happened. The real server takes it from a monotonic clock; the
/// network emulator from its virtual clock. Both drive the same code.
public struct Instant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Microseconds since the clock's epoch.
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The epoch of a clock; the start of every simulation.
    public static let zero = Instant(microseconds: 0)

    public static func milliseconds(_ ms: Int64) -> Instant { Instant(microseconds: ms &* 1000) }
    public static func seconds(_ s: Double) -> Instant { Instant(microseconds: Int64(s * 1_000_000)) }

    public static func < (a: Instant, b: Instant) -> Bool { a.microseconds < b.microseconds }

    public static func + (a: Instant, d: Duration) -> Instant {
        Instant(microseconds: a.microseconds &+ d.microseconds)
    }
    public static func - (a: Instant, d: Duration) -> Instant {
        Instant(microseconds: a.microseconds &- d.microseconds)
    }
    /// The time elapsed from `b` to `a` (negative when `a` is earlier).
    public static func - (a: Instant, b: Instant) -> Duration {
        .microseconds(a.microseconds &- b.microseconds)
    }

    public var description: String {
        let ms = Double(microseconds) / 1000
        return "\(ms) ms"
    }
}

extension Duration {
    /// Whole microseconds, rounded toward zero.
    public var microseconds: Int64 {
        let (s, atto) = components
        return s &* 1_000_000 &+ atto / 1_000_000_000_000
    }

    /// Seconds as a floating-point number.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
