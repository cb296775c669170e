public import SansIO
public import RTP

/// Turns 24-bit abs-send-time values (6.18 fixed-point seconds, wrapping every 64 s;
/// http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time) into a continuous send-time
/// line in microseconds.
///
/// Each value is placed at the shortest circular distance (less than 32 s either way) from the
/// newest value seen, so the 64 s wrap and mild reordering are both handled; the first value
/// maps to its own time within the period. Older values do not move the reference.
public struct AbsSendTimeUnwrapper: Sendable, Hashable {
    private var newest: Int64?

    public init() {}

    /// The unwrapped send time of `value`.
    public mutating func unwrap(_ value: AbsSendTime) -> Instant {
        let raw = Int64(value.rawValue)
        let ticks: Int64
        if let newest {
            var delta = (raw &- newest) & 0xFF_FFFF
            if delta >= 0x80_0000 { delta -= 0x100_0000 }
            ticks = newest &+ delta
            if delta > 0 { self.newest = ticks }
        } else {
            ticks = raw
            newest = raw
        }
        return Instant(microseconds: Self.microseconds(ticks: ticks))
    }

    /// ticks / 2^18 seconds in µs, without overflow for any Int64 tick count in practice.
    static func microseconds(ticks: Int64) -> Int64 {
        let whole = ticks >> 18
        let fraction = ticks & 0x3_FFFF
        return whole &* 1_000_000 &+ (fraction &* 1_000_000) >> 18
    }
}
