public import SansIO

/// Estimates the trend of the one-way queuing delay: the slope of a least-squares line through
/// the last 20 smoothed accumulated delay samples, as libwebrtc's `TrendlineEstimator`
/// (modules/congestion_controller/goog_cc/trendline_estimator.cc) does; the trendline filter
/// replaces the Kalman filter of draft-ietf-rmcat-gcc-02 §5.3.
///
/// For every pair of groups the delay variation d = arrival delta − send delta is added to an
/// accumulated delay, smoothed exponentially (coefficient 0.9), and stored against the time
/// since the first arrival. The slope (ms of delay per ms of time) is ≈ 0 for a stable queue,
/// (R − C)/C while a sender at rate R fills a bottleneck of capacity C, and negative while a
/// queue drains. The detector compares `modifiedTrend` = slope × min(deltas, 60) × 4 against
/// its threshold.
public struct TrendlineEstimator: Sendable {
    /// Samples in the regression window.
    public static let defaultWindowSize = 20
    /// Exponential smoothing coefficient of the accumulated delay.
    public static let defaultSmoothing = 0.9
    /// Gain applied to the slope before thresholding.
    public static let defaultGain = 4.0
    /// The delta count stops scaling the trend here.
    public static let maxDeltasForTrend = 60

    public let windowSize: Int
    public let smoothing: Double
    public let gain: Double

    /// The latest slope (ms/ms); keeps its last value until the window is full.
    public private(set) var trend: Double = 0
    /// slope × min(numberOfDeltas, 60) × gain: what the overuse detector thresholds (in ms).
    public private(set) var modifiedTrend: Double = 0
    /// Deltas seen, capped at 1000.
    public private(set) var numberOfDeltas = 0

    private var accumulatedDelay = 0.0
    private var smoothedDelay = 0.0
    private var firstArrival: Int64?
    private var history: [(x: Double, y: Double)] = []

    public init(windowSize: Int = defaultWindowSize, smoothing: Double = defaultSmoothing,
                gain: Double = defaultGain) {
        self.windowSize = max(2, windowSize)
        self.smoothing = smoothing
        self.gain = gain
    }

    /// Adds one group delta; returns the new modified trend.
    @discardableResult
    public mutating func update(arrivalDeltaMs: Double, sendDeltaMs: Double, arrivalTime: Instant) -> Double {
        let delta = arrivalDeltaMs - sendDeltaMs
        numberOfDeltas = min(numberOfDeltas + 1, 1000)
        let first = firstArrival ?? arrivalTime.microseconds
        firstArrival = first
        accumulatedDelay += delta
        smoothedDelay = smoothing * smoothedDelay + (1 - smoothing) * accumulatedDelay
        history.append((Time.ms(arrivalTime.microseconds &- first), smoothedDelay))
        if history.count > windowSize { history.removeFirst(history.count - windowSize) }
        if history.count == windowSize, let slope = Self.linearFitSlope(history) {
            trend = slope
        }
        modifiedTrend = Double(min(numberOfDeltas, Self.maxDeltasForTrend)) * trend * gain
        return modifiedTrend
    }

    /// Least-squares slope of y over x; nil when all x are equal.
    static func linearFitSlope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard !points.isEmpty else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var numerator = 0.0
        var denominator = 0.0
        for point in points {
            numerator += (point.x - meanX) * (point.y - meanY)
            denominator += (point.x - meanX) * (point.x - meanX)
        }
        guard denominator != 0, numerator.isFinite, denominator.isFinite else { return nil }
        return numerator / denominator
    }
}
