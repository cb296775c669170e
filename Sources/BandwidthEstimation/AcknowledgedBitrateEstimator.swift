public import SansIO

/// Throughput of acknowledged packets, from their sizes and arrival times, as libwebrtc's
/// `BitrateEstimator` (modules/congestion_controller/goog_cc/bitrate_estimator.cc) behind
/// `AcknowledgedBitrateEstimator`.
///
/// Bytes are summed over fixed windows of arrival time (500 ms for the first sample, 150 ms
/// after); each window's rate is a sample that a one-dimensional Bayesian filter merges with
/// the estimate. The sample's variance grows with its relative distance from the estimate
/// (scale 10, or 20 for a lower sample while application limited, since sending less than
/// the link allows says little about the link), and the estimate's variance grows by 5 per
/// sample, so steady samples converge quickly and outliers move the estimate slowly.
///
/// Bad input: an arrival time earlier than the previous one restarts the window; negative
/// sizes count as zero.
public struct AcknowledgedBitrateEstimator: Sendable {
    static let initialWindow: Int64 = 500_000
    static let window: Int64 = 150_000
    static let uncertaintyScale = 10.0
    static let uncertaintyScaleInALR = 20.0

    private var sumBytes: Int64 = 0
    private var currentWindow: Int64 = 0
    private var previousTime: Int64?
    private var estimateKbps: Double?
    private var estimateVariance = 50.0

    public init() {}

    /// The acknowledged bitrate in bps, nil until the first window completed.
    public var bitrate: Double? { estimateKbps.map { $0 * 1000 } }

    /// Adds one acknowledged packet.
    public mutating func update(arrival: Instant, size: Int, inALR: Bool = false) {
        let windowLength = estimateKbps == nil ? Self.initialWindow : Self.window
        guard let sampleKbps = updateWindow(now: arrival.microseconds, bytes: Int64(max(0, size)),
                                            window: windowLength) else { return }
        guard let estimate = estimateKbps else {
            estimateKbps = sampleKbps
            return
        }
        let scale = inALR && sampleKbps < estimate ? Self.uncertaintyScaleInALR : Self.uncertaintyScale
        let sampleUncertainty = estimate > 0 ? scale * abs(estimate - sampleKbps) / estimate : scale
        let sampleVariance = sampleUncertainty * sampleUncertainty
        let predictedVariance = estimateVariance + 5
        let total = sampleVariance + predictedVariance
        guard total > 0 else {
            estimateKbps = sampleKbps
            return
        }
        estimateKbps = max(0, (sampleVariance * estimate + predictedVariance * sampleKbps) / total)
        estimateVariance = sampleVariance * predictedVariance / total
    }

    /// Makes the next samples count more (after a probe or the end of ALR).
    public mutating func expectFastRateChange() { estimateVariance += 200 }

    private mutating func updateWindow(now: Int64, bytes: Int64, window: Int64) -> Double? {
        if let previous = previousTime, now < previous {
            previousTime = nil
            sumBytes = 0
            currentWindow = 0
        }
        if let previous = previousTime {
            let elapsed = now &- previous
            currentWindow &+= elapsed
            if elapsed > window {
                sumBytes = 0
                currentWindow %= window
            }
        }
        previousTime = now
        var sample: Double?
        if currentWindow >= window {
            sample = Double(sumBytes) * 8 / Double(window / 1000)
            currentWindow -= window
            sumBytes = 0
        }
        sumBytes &+= bytes
        return sample
    }
}
