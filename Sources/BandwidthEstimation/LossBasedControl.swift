public import SansIO

/// Loss-based rate control combined with the delay-based and receiver (REMB) limits, as
/// libwebrtc's `SendSideBandwidthEstimation` (modules/congestion_controller/goog_cc/
/// send_side_bandwidth_estimation.cc, the "v1" loss controller) and draft-ietf-rmcat-gcc-02
/// §6.
///
/// Loss is counted over at least 20 reported packets. With loss below 2 % the rate may grow
/// to 1.08 × the lowest rate of the last second + 1 kbps (about 8 %/s); between 2 % and 10 %
/// it holds; above 10 % it drops to rate × (1 − 0.5 × loss), at most once per 300 ms + RTT
/// and once per loss report. During the first 2 s, without loss, it jumps straight to the
/// delay-based or receiver limit. The target is min(loss-based, delay-based, REMB), clamped
/// to [min, max].
public struct LossBasedControl: Sendable {
    public static let lowLossThreshold = 0.02
    public static let highLossThreshold = 0.10
    static let increaseInterval: Int64 = 1_000_000
    static let decreaseInterval: Int64 = 300_000
    static let startPhase: Int64 = 2_000_000
    static let minPacketsPerReport = 20
    static let maxReportAge: Int64 = 6_000_000

    public let minBitrate: Double
    public let maxBitrate: Double
    /// The combined target in bps.
    public private(set) var bitrateBps: Double
    /// The delay-based estimate, bps.
    public private(set) var delayBasedLimit: Double?
    /// The receiver's REMB cap, bps.
    public private(set) var receiverLimit: Double?
    /// The loss fraction of the last report (0…1).
    public private(set) var lastLossFraction = 0.0
    public var rttMicroseconds: Int64 = 200_000

    private var expectedSinceReport = 0
    private var lostSinceReport = 0
    private var lastReport: Int64?
    private var lastDecrease: Int64?
    private var decreasedSinceReport = false
    private var firstUpdate: Int64?
    private var minHistory: [(time: Int64, bitrate: Double)] = []

    public init(startBitrate: Int, minBitrate: Int, maxBitrate: Int) {
        self.minBitrate = Double(max(0, minBitrate))
        self.maxBitrate = max(self.minBitrate, Double(maxBitrate))
        bitrateBps = min(max(Double(startBitrate), self.minBitrate), self.maxBitrate)
    }

    /// The target in bps.
    public var bitrate: Int { Int(bitrateBps) }

    /// Sets the rate directly (after a probe), still capped by the limits.
    public mutating func setBitrate(_ bitrate: Double, now: Instant) {
        bitrateBps = bitrate
        minHistory.removeAll()
        applyLimits(now: now)
    }

    public mutating func updateDelayBased(_ bitrate: Double, now: Instant) {
        delayBasedLimit = bitrate
        applyLimits(now: now)
    }

    public mutating func updateReceiverLimit(_ bitrate: Double?, now: Instant) {
        receiverLimit = bitrate
        applyLimits(now: now)
    }

    /// Adds a loss report: `lost` of `total` newly reported packets were not received.
    public mutating func updatePacketsLost(lost: Int, total: Int, now: Instant) {
        guard total > 0 else { return }
        expectedSinceReport += total
        lostSinceReport += min(max(0, lost), total)
        guard expectedSinceReport >= Self.minPacketsPerReport else { return }
        decreasedSinceReport = false
        lastLossFraction = min(1, Double(lostSinceReport) / Double(expectedSinceReport))
        expectedSinceReport = 0
        lostSinceReport = 0
        lastReport = now.microseconds
        updateEstimate(now: now)
    }

    /// Periodic update: applies the loss rules to the rate.
    public mutating func updateEstimate(now: Instant) {
        let at = now.microseconds
        let first = firstUpdate ?? at
        firstUpdate = first
        if lastLossFraction == 0, at &- first < Self.startPhase {
            let limit = max(receiverLimit ?? 0, delayBasedLimit ?? 0)
            if limit > bitrateBps {
                bitrateBps = limit
                minHistory.removeAll()
            }
        }
        updateMinHistory(at)
        guard let lastReport, at &- lastReport < Self.maxReportAge else {
            applyLimits(now: now)
            return
        }
        if lastLossFraction <= Self.lowLossThreshold {
            let base = minHistory.first?.bitrate ?? bitrateBps
            bitrateBps = max(bitrateBps, base * 1.08 + 1000)
        } else if lastLossFraction <= Self.highLossThreshold {
            // Hold.
        } else if !decreasedSinceReport,
                  lastDecrease.map({ at &- $0 >= Self.decreaseInterval &+ rttMicroseconds }) ?? true {
            lastDecrease = at
            bitrateBps *= 1 - 0.5 * lastLossFraction
            decreasedSinceReport = true
        }
        applyLimits(now: now)
    }

    private mutating func updateMinHistory(_ at: Int64) {
        while let first = minHistory.first, at &- first.time + 1000 > Self.increaseInterval {
            minHistory.removeFirst()
        }
        while let last = minHistory.last, bitrateBps <= last.bitrate { minHistory.removeLast() }
        minHistory.append((at, bitrateBps))
    }

    private mutating func applyLimits(now: Instant) {
        var value = bitrateBps
        if let delayBasedLimit { value = min(value, delayBasedLimit) }
        if let receiverLimit { value = min(value, receiverLimit) }
        if !value.isFinite { value = minBitrate }
        bitrateBps = min(max(value, minBitrate), maxBitrate)
    }
}
