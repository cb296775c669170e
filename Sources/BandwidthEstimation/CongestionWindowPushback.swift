/// Congestion window pushback, as libwebrtc's goog_cc does it
/// (`CongestionWindowPushbackController` and `GoogCcNetworkController::UpdateCongestionWindowSize`,
/// with its default field trial `WebRTC-CongestionWindow/QueueSize:350,MinBitrate:30000`).
///
/// The window is what the target rate sends in one round trip plus a queue allowance:
/// `target × (min RTT + 350 ms)`, where the RTT is the smallest of the last 32 feedbacks'
/// largest per-packet round trips (send → feedback received); each update averages the new
/// window with the previous one, and it is never under two full packets (3000 bytes). Data in
/// flight is what was sent but not yet reported, received or lost, by transport-cc feedback
/// (libwebrtc can add the pacer's queue, off by default; in our simulated publisher, pacing at
/// 2.5× the target, it changed nothing). When data in flight exceeds the window, the encoder's
/// target is scaled down; the scale moves by a step at every update (each sent packet, each
/// feedback, each periodic process, as libwebrtc calls it):
///
/// | fill = in flight / window | scale |
/// |---|---|
/// | > 1.5 | × 0.9 |
/// | (1, 1.5] | × 0.95 |
/// | [0.1, 1] | × 1.05, at most 1 |
/// | < 0.1 | = 1 |
///
/// The pushed-back rate is `target × scale`, but not below `minBitrate` (30 kbps) unless the
/// target itself is lower: a full window slows video down, it does not pause it. Unlike
/// libwebrtc the scale does not wind down past that floor (`minBitrate / target`): below it a
/// smaller scale changes nothing now and only delays the recovery once the window drains.
public struct CongestionWindowPushback: Sendable {
    /// The queue allowance added to the round trip, µs (libwebrtc's `QueueSize:350`).
    public static let defaultQueueAllowance: Int64 = 350_000
    /// The pushed-back rate's floor, bps (libwebrtc's `MinBitrate:30000`).
    public static let defaultMinBitrate = 30_000
    /// The smallest window, bytes: two full-size packets.
    public static let minWindow = 3000
    /// How many feedbacks' round trips the window's RTT is the minimum of.
    static let rttHistoryLength = 32

    public let queueAllowance: Int64
    public let minBitrate: Int
    /// The window, bytes; nil until a round trip and a target are known.
    public private(set) var window: Int?
    /// Bytes sent and not yet reported by feedback.
    public private(set) var dataInFlight = 0
    /// The scale applied to the target, in (0, 1].
    public private(set) var scale = 1.0
    private var feedbackRTTs: [Int64] = []

    public init(queueAllowance: Int64 = defaultQueueAllowance, minBitrate: Int = defaultMinBitrate) {
        self.queueAllowance = max(0, queueAllowance)
        self.minBitrate = max(0, minBitrate)
    }

    /// The round trip the window uses, µs: the smallest of the recent feedbacks' largest.
    public var roundTrip: Int64? { feedbackRTTs.min() }

    /// Records one feedback's largest per-packet round trip, µs.
    public mutating func onFeedback(maxRoundTrip: Int64) {
        feedbackRTTs.append(max(0, maxRoundTrip))
        if feedbackRTTs.count > Self.rttHistoryLength { feedbackRTTs.removeFirst(feedbackRTTs.count - Self.rttHistoryLength) }
    }

    /// Recomputes the window for `target` (bps, the estimate before pushback): the mean of the
    /// new `target × (RTT + allowance)` and the previous window. Nothing before a round trip.
    public mutating func updateWindow(target: Int) {
        guard let rtt = roundTrip else { return }
        let span = Double(rtt) + Double(queueAllowance)
        let bytes = Double(max(0, target)) * span / 8_000_000
        let averaged = window.map { (bytes + Double($0)) / 2 } ?? bytes
        window = max(Self.minWindow, Int(min(averaged, Double(Int.max / 4))))
    }

    public mutating func setDataInFlight(_ bytes: Int) { dataInFlight = max(0, bytes) }

    /// The window's fill, data in flight / window; nil without a window.
    public var fill: Double? {
        guard let window, window > 0 else { return nil }
        return Double(dataInFlight) / Double(window)
    }

    /// Steps the scale by the window's fill and returns the pushed-back rate for `target` (bps).
    /// Without a window the target passes unchanged.
    public mutating func pushBack(target: Int) -> Int {
        guard let fill else { return target }
        if fill > 1.5 {
            scale *= 0.9
        } else if fill > 1 {
            scale *= 0.95
        } else if fill < 0.1 {
            scale = 1
        } else {
            scale = min(1, scale * 1.05)
        }
        if target > minBitrate { scale = max(scale, Double(minBitrate) / Double(target)) }
        let scaled = Int(Double(max(0, target)) * scale)
        return scaled < minBitrate ? min(target, minBitrate) : scaled
    }
}
