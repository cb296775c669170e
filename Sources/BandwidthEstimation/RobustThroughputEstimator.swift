public import SansIO

/// Throughput of acknowledged packets over a sliding window of the most recent arrivals, in
/// the spirit of libwebrtc's `RobustThroughputEstimator` (modules/congestion_controller/
/// goog_cc/robust_throughput_estimator.cc, the default acknowledged-rate estimator there since
/// 2022).
///
/// The window holds the packets that arrived in the last `windowDuration` (500 ms) of arrival
/// time, but at least `minPackets` (20) and at most `maxPackets` (500), in arrival order. The
/// rate is the window's bytes, less the first arrival's (its bytes were on the wire before the
/// window started), over the longer of the window's receive span and its send span: so it never
/// exceeds what the sender sent nor what the receiver got. Unlike the Bayesian filter over
/// fixed 150 ms windows that libwebrtc used before (and Loupe at first), a sudden drop of the
/// link shows within one window, which is what the AIMD decrease (β × throughput) needs after a
/// capacity drop: in RFC 8867 5.1 the estimate got back under the ×0.6 capacity in 0.6 s
/// instead of 1.4 s.
///
/// Bad input: packets reported out of arrival order are inserted in place; sizes below zero count
/// as zero; a window whose spans are zero gives no estimate.
public struct RobustThroughputEstimator: Sendable {
    public static let windowDuration: Int64 = 500_000
    public static let minPackets = 20
    public static let maxPackets = 500
    static let requiredPackets = 10

    struct Sample: Sendable {
        var arrival: Int64
        var send: Int64
        var size: Int
    }

    private var window: [Sample] = []

    public init() {}

    /// Adds one acknowledged packet (send time on the sender's clock, arrival on the receiver's).
    public mutating func update(sendTime: Instant, arrival: Instant, size: Int) {
        let sample = Sample(arrival: arrival.microseconds, send: sendTime.microseconds, size: max(0, size))
        var index = window.count
        while index > 0, window[index - 1].arrival > sample.arrival { index -= 1 }
        window.insert(sample, at: index)
        guard let latest = window.last?.arrival else { return }
        var drop = 0
        while window.count - drop > Self.maxPackets
                || (window.count - drop > Self.minPackets && latest &- window[drop].arrival > Self.windowDuration) {
            drop += 1
        }
        if drop > 0 { window.removeFirst(drop) }
    }

    /// The throughput in bps, once the window holds enough packets.
    public var bitrate: Double? {
        guard window.count >= Self.requiredPackets, let first = window.first, let last = window.last else { return nil }
        var firstSend = Int64.max, lastSend = Int64.min, bytes = 0
        for sample in window {
            firstSend = min(firstSend, sample.send)
            lastSend = max(lastSend, sample.send)
            bytes &+= sample.size
        }
        let span = max(last.arrival &- first.arrival, lastSend &- firstSend)
        guard span > 0 else { return nil }
        return Double(bytes - first.size) * 8_000_000 / Double(span)
    }
}
