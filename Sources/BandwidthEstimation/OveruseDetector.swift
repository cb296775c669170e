public import SansIO

/// Compares the modified delay trend with an adaptive threshold, as libwebrtc's trendline
/// detector (modules/congestion_controller/goog_cc/trendline_estimator.cc, `Detect` and
/// `UpdateThreshold`) and draft-ietf-rmcat-gcc-02 §5.4 and §5.4.1 describe.
///
/// Overuse is signalled when the modified trend stays above the threshold for more than
/// 10 ms (and more than one delta) and the raw trend is not decreasing; underuse when it is
/// below −threshold; normal otherwise. The threshold γ follows |trend| with
/// γ += k · (|trend| − γ) · Δt (Δt in ms, at most 100), k = 0.0087 when |trend| is above γ
/// and 0.039 below, clamped to [6, 600] ms; samples with |trend| > γ + 15 do not adapt it,
/// so a sudden spike cannot pull the threshold up and hide itself.
public struct OveruseDetector: Sendable {
    public static let initialThresholdMs = 12.5
    public static let kUp = 0.0087
    public static let kDown = 0.039
    public static let minThresholdMs = 6.0
    public static let maxThresholdMs = 600.0
    static let maxAdaptOffsetMs = 15.0
    static let overusingTimeThresholdMs = 10.0
    static let maxTimeDeltaMs = 100.0

    /// The current threshold in ms.
    public private(set) var threshold = OveruseDetector.initialThresholdMs
    /// The current hypothesis.
    public private(set) var state: BandwidthUsage = .normal

    private var timeOverUsingMs: Double?
    private var overuseCounter = 0
    private var previousTrend = 0.0
    private var lastThresholdUpdate: Instant?

    public init() {}

    /// Feeds one modified trend (ms) with the raw `trend` it came from, the group's send delta
    /// and the delta count so far; returns the new hypothesis.
    @discardableResult
    public mutating func detect(modifiedTrend: Double, trend: Double, sendDeltaMs: Double,
                                numberOfDeltas: Int, now: Instant) -> BandwidthUsage {
        guard numberOfDeltas >= 2, modifiedTrend.isFinite, trend.isFinite else {
            state = .normal
            return state
        }
        if modifiedTrend > threshold {
            let sendDelta = max(0, sendDeltaMs.isFinite ? sendDeltaMs : 0)
            if let overUsing = timeOverUsingMs {
                timeOverUsingMs = overUsing + sendDelta
            } else {
                // Assume the overuse began halfway through this delta.
                timeOverUsingMs = sendDelta / 2
            }
            overuseCounter += 1
            if let overUsing = timeOverUsingMs, overUsing > Self.overusingTimeThresholdMs, overuseCounter > 1,
               trend >= previousTrend {
                timeOverUsingMs = 0
                overuseCounter = 0
                state = .overusing
            }
        } else if modifiedTrend < -threshold {
            timeOverUsingMs = nil
            overuseCounter = 0
            state = .underusing
        } else {
            timeOverUsingMs = nil
            overuseCounter = 0
            state = .normal
        }
        previousTrend = trend
        updateThreshold(modifiedTrend: modifiedTrend, now: now)
        return state
    }

    private mutating func updateThreshold(modifiedTrend: Double, now: Instant) {
        let last = lastThresholdUpdate ?? now
        lastThresholdUpdate = now
        let magnitude = abs(modifiedTrend)
        if magnitude > threshold + Self.maxAdaptOffsetMs { return }
        let k = magnitude < threshold ? Self.kDown : Self.kUp
        let elapsed = min(max(0, Time.ms(now.microseconds &- last.microseconds)), Self.maxTimeDeltaMs)
        threshold += k * (magnitude - threshold) * elapsed
        threshold = min(max(threshold, Self.minThresholdMs), Self.maxThresholdMs)
    }
}
