public import SansIO
import Foundation

/// Additive-increase / multiplicative-decrease rate controller driven by the delay detector,
/// as libwebrtc's `AimdRateControl` (modules/remote_bitrate_estimator/aimd_rate_control.cc)
/// and draft-ietf-rmcat-gcc-02 §5.5.
///
/// States: *hold* (underuse: keep the rate while the queue drains), *increase* (normal) and
/// *decrease* (overuse). On overuse the rate becomes β = 0.85 × the acknowledged throughput
/// (never higher than it was), at most once per clamp(RTT, 10 ms, 200 ms) unless throughput
/// fell below half the estimate. On normal the rate grows multiplicatively, 8 %/s, while no
/// link capacity is known near the current throughput, and additively — about one average
/// packet per response time (RTT + 100 ms), at least 4 kbps/s — near the last congestion
/// point. It never grows above 1.5 × acknowledged throughput + 10 kbps and stays within
/// [minBitrate, maxBitrate].
public struct AIMDRateControl: Sendable {
    public enum State: Sendable, Hashable { case hold, increase, decrease }

    /// Multiplicative decrease factor.
    public static let beta = 0.85
    /// Multiplicative increase per second.
    public static let multiplicativeIncreasePerSecond = 1.08
    static let initializationTime: Int64 = 5_000_000

    public let minBitrate: Double
    public let maxBitrate: Double
    public private(set) var state: State = .hold
    /// The current estimate in bps.
    public private(set) var bitrateBps: Double
    /// False until a start bitrate, an overuse or 5 s of throughput gave a real value.
    public private(set) var isInitialized: Bool
    /// Size of the last decrease in bps.
    public private(set) var lastDecrease: Double?
    /// Round-trip time used for the response time and the decrease interval (µs).
    public var rttMicroseconds: Int64 = 200_000
    public private(set) var linkCapacity = LinkCapacityEstimator()

    private var latestThroughput: Double
    private var timeLastChange: Int64?
    private var timeFirstThroughput: Int64?

    /// Starts at `startBitrate` (initialized) or, without one, at `maxBitrate` (not initialized,
    /// as a receive-side estimator does until it has seen the incoming rate).
    public init(minBitrate: Int, maxBitrate: Int, startBitrate: Int? = nil) {
        let low = Double(max(0, minBitrate))
        self.minBitrate = low
        self.maxBitrate = max(low, Double(maxBitrate))
        let start = startBitrate.map { min(max(Double($0), low), max(low, Double(maxBitrate))) }
        bitrateBps = start ?? max(low, Double(maxBitrate))
        isInitialized = start != nil
        latestThroughput = bitrateBps
    }

    /// The current estimate in bps.
    public var bitrate: Int { Int(bitrateBps) }

    /// Sets the estimate directly (a probe result or an external reset).
    public mutating func setEstimate(_ bitrate: Double, now: Instant) {
        isInitialized = true
        bitrateBps = clamp(bitrate)
        timeLastChange = now.microseconds
    }

    /// Whether a further decrease is due during overuse: one reduction interval since the last
    /// change, or throughput collapsed below half the estimate.
    public func timeToReduceFurther(now: Instant, throughput: Double) -> Bool {
        let interval = min(max(rttMicroseconds, 10_000), 200_000)
        if let last = timeLastChange, now.microseconds &- last >= interval { return true }
        if timeLastChange == nil { return true }
        return isInitialized && throughput < 0.5 * bitrateBps
    }

    /// The additive increase rate near the last congestion point, bps per second: one average
    /// packet (frames of 1/30 s split into ≤ 1200-byte packets) per response time.
    public var nearMaxIncreaseRateBpsPerSecond: Double {
        let frameSizeBits = bitrateBps / 30
        let packetsPerFrame = max(1, (frameSizeBits / (1200 * 8)).rounded(.up))
        let averagePacketBits = frameSizeBits / packetsPerFrame
        let responseTime = Double(min(max(rttMicroseconds, 0), 60_000_000) + 100_000) / 1_000_000
        return max(4000, averagePacketBits / responseTime)
    }

    /// Runs one step with the detector's hypothesis and the acknowledged (or incoming)
    /// throughput in bps; returns the new estimate.
    @discardableResult
    public mutating func update(usage: BandwidthUsage, throughput: Double?, now: Instant) -> Int {
        let at = now.microseconds
        if !isInitialized {
            if timeFirstThroughput == nil {
                if throughput != nil { timeFirstThroughput = at }
            } else if let first = timeFirstThroughput, let throughput,
                      at &- first > Self.initializationTime {
                bitrateBps = clamp(throughput)
                isInitialized = true
            }
        }
        let estimatedThroughput = throughput ?? latestThroughput
        if let throughput { latestThroughput = throughput }
        if !isInitialized && usage != .overusing { return bitrate }

        switch usage {
        case .normal:
            if state == .hold {
                timeLastChange = at
                state = .increase
            }
        case .overusing:
            state = .decrease
        case .underusing:
            state = .hold
        }

        var newBitrate: Double?
        switch state {
        case .hold:
            break
        case .increase:
            if estimatedThroughput > linkCapacity.upperBound { linkCapacity.reset() }
            let limit = 1.5 * estimatedThroughput + 10_000
            if bitrateBps < limit {
                let elapsed = Double(max(0, at &- (timeLastChange ?? at))) / 1_000_000
                let increase: Double
                if linkCapacity.hasEstimate {
                    increase = nearMaxIncreaseRateBpsPerSecond * elapsed
                } else {
                    let alpha = pow(Self.multiplicativeIncreasePerSecond, min(elapsed, 1))
                    increase = max(bitrateBps * (alpha - 1), 1000)
                }
                newBitrate = min(bitrateBps + increase, limit)
            }
            timeLastChange = at
        case .decrease:
            var decreased = estimatedThroughput * Self.beta
            if decreased > bitrateBps, let capacity = linkCapacity.estimate {
                decreased = Self.beta * capacity
            }
            if decreased < bitrateBps { newBitrate = decreased }
            if isInitialized && estimatedThroughput < bitrateBps {
                lastDecrease = newBitrate.map { bitrateBps - $0 } ?? 0
            }
            if estimatedThroughput < linkCapacity.lowerBound { linkCapacity.reset() }
            isInitialized = true
            linkCapacity.onOveruseDetected(throughput: estimatedThroughput)
            state = .hold
            timeLastChange = at
        }
        bitrateBps = clamp(newBitrate ?? bitrateBps)
        return bitrate
    }

    private func clamp(_ value: Double) -> Double {
        guard value.isFinite else { return bitrateBps }
        return min(max(value, minBitrate), maxBitrate)
    }
}
