/// Tracks the link capacity seen at overuse (and in probes) with its deviation, as libwebrtc's
/// `LinkCapacityEstimator` (modules/congestion_controller/goog_cc/link_capacity_estimator.cc).
///
/// AIMD uses it to tell "near the last congestion point" (increase additively) from "far
/// from it" (increase multiplicatively): a throughput outside mean ± 3σ resets it.
public struct LinkCapacityEstimator: Sendable, Hashable {
    /// Estimated capacity in kbps; nil until the first overuse or probe.
    public private(set) var estimateKbps: Double?
    private var deviationKbps = 0.4

    public init() {}

    public var hasEstimate: Bool { estimateKbps != nil }

    /// Upper bound (mean + 3σ) in bps; infinity without an estimate.
    public var upperBound: Double {
        guard let estimateKbps else { return .infinity }
        return (estimateKbps + 3 * deviationEstimateKbps) * 1000
    }

    /// Lower bound (mean − 3σ, at least 0) in bps; 0 without an estimate.
    public var lowerBound: Double {
        guard let estimateKbps else { return 0 }
        return max(0, estimateKbps - 3 * deviationEstimateKbps) * 1000
    }

    /// The capacity estimate in bps.
    public var estimate: Double? { estimateKbps.map { $0 * 1000 } }

    public mutating func reset() { estimateKbps = nil }

    /// The acknowledged throughput when overuse was detected (weight 0.05).
    public mutating func onOveruseDetected(throughput: Double) { update(sampleBps: throughput, alpha: 0.05) }

    /// A probe result (weight 0.5).
    public mutating func onProbeRate(_ bitrate: Double) { update(sampleBps: bitrate, alpha: 0.5) }

    private var deviationEstimateKbps: Double { (deviationKbps * (estimateKbps ?? 0)).squareRoot() }

    private mutating func update(sampleBps: Double, alpha: Double) {
        guard sampleBps.isFinite, sampleBps >= 0 else { return }
        let sample = sampleBps / 1000
        let estimate = estimateKbps.map { (1 - alpha) * $0 + alpha * sample } ?? sample
        estimateKbps = estimate
        let norm = max(estimate, 1)
        let error = estimate - sample
        deviationKbps = (1 - alpha) * deviationKbps + alpha * error * error / norm
        deviationKbps = min(max(deviationKbps, 0.4), 2.5)
    }
}
