public import SansIO

/// Received bitrate over a sliding window of arrival time, as libwebrtc's `RateStatistics`
/// (rtc_base/rate_statistics.cc) used by the remote estimators: bytes in the last second over
/// the active span, reported once at least 500 ms of data was seen.
///
/// Arrival times going backwards are treated as "now" for pruning (nothing is dropped twice,
/// nothing traps).
public struct IncomingBitrate: Sendable {
    public static let windowMicroseconds: Int64 = 1_000_000
    public static let minimumSpanMicroseconds: Int64 = 500_000

    private var samples: [(time: Int64, bytes: Int)] = []
    private var head = 0
    private var sum = 0
    private var first: Int64?
    private var newest: Int64?

    public init() {}

    public mutating func add(size: Int, at time: Instant) {
        let now = max(newest ?? time.microseconds, time.microseconds)
        newest = now
        if first == nil { first = now }
        samples.append((now, max(0, size)))
        sum &+= max(0, size)
        prune(now)
    }

    /// The rate in bps at `now`, nil until 500 ms of arrivals were seen.
    public mutating func rate(at time: Instant) -> Double? {
        let now = max(newest ?? time.microseconds, time.microseconds)
        prune(now)
        guard let first, now &- first >= Self.minimumSpanMicroseconds else { return nil }
        let span = min(Self.windowMicroseconds, max(1, (now &- first) &+ 1))
        return Double(sum) * 8_000_000 / Double(span)
    }

    private mutating func prune(_ now: Int64) {
        while head < samples.count, now &- samples[head].time >= Self.windowMicroseconds {
            sum &-= samples[head].bytes
            head += 1
        }
        if head > 1024, head * 2 > samples.count {
            samples.removeFirst(head)
            head = 0
        }
    }
}
