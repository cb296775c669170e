/// Unwraps a wrapping unsigned counter into a monotonic-ish Int64, one value at a time.
///
/// Each value is placed at the distance from the previous value that is shortest on the
/// circle: less than half the counter space forward or backward (exactly half counts as
/// forward when the new value is numerically larger, as in `isNewer`). So reordering and
/// wraps in both directions are handled as long as neighbours are within half the space.
struct CounterUnwrapper<Counter: FixedWidthInteger & UnsignedInteger & Sendable>: Sendable, Hashable {
    private(set) var last: Int64?

    mutating func unwrap(_ value: Counter, updating: Bool) -> Int64 {
        guard let last else {
            let first = Int64(value)
            if updating { self.last = first }
            return first
        }
        let lastLow = Counter(truncatingIfNeeded: last)
        let forward = Int64(value &- lastLow)
        let span = Int64(1) << Counter.bitWidth
        let delta = Self.isNewer(value, than: lastLow) || value == lastLow ? forward : forward - span
        let result = last &+ delta
        if updating { self.last = result }
        return result
    }

    /// True when `a` comes after `b` going forward by less than half the counter space
    /// (ties at exactly half go to the numerically larger value).
    static func isNewer(_ a: Counter, than b: Counter) -> Bool {
        let half = Counter(1) << (Counter.bitWidth - 1)
        let diff = a &- b
        if diff == half { return a > b }
        return diff != 0 && diff < half
    }
}

/// Unwraps 16-bit RTP sequence numbers (RFC 3550 §5.1) into Int64 packet indices.
///
/// The first value maps to itself (0–65535); later values move forward or backward by the
/// shortest circular distance from the previous one, so the result can go below zero when
/// packets older than the first arrive right after it.
public struct SequenceNumberUnwrapper: Sendable, Hashable {
    private var counter = CounterUnwrapper<UInt16>()

    public init() {}

    /// The last unwrapped value, nil before the first.
    public var last: Int64? { counter.last }

    /// Unwraps `sequenceNumber`; with `updating: false` the reference stays where it was.
    public mutating func unwrap(_ sequenceNumber: UInt16, updating: Bool = true) -> Int64 {
        counter.unwrap(sequenceNumber, updating: updating)
    }

    /// True when `a` is newer than `b`: ahead by 1…32767, or by exactly 32768 and numerically larger.
    public static func isNewer(_ a: UInt16, than b: UInt16) -> Bool {
        CounterUnwrapper<UInt16>.isNewer(a, than: b)
    }
}

/// Unwraps 32-bit RTP timestamps (RFC 3550 §5.1) into Int64, like `SequenceNumberUnwrapper`.
public struct TimestampUnwrapper: Sendable, Hashable {
    private var counter = CounterUnwrapper<UInt32>()

    public init() {}

    /// The last unwrapped value, nil before the first.
    public var last: Int64? { counter.last }

    /// Unwraps `timestamp`; with `updating: false` the reference stays where it was.
    public mutating func unwrap(_ timestamp: UInt32, updating: Bool = true) -> Int64 {
        counter.unwrap(timestamp, updating: updating)
    }

    /// True when `a` is newer than `b` by less than half the 32-bit space.
    public static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        CounterUnwrapper<UInt32>.isNewer(a, than: b)
    }
}
