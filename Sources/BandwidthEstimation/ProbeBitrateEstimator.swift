public import SansIO

/// Computes the bitrate a probe cluster measured from the feedback of its packets, as
/// libwebrtc's `ProbeBitrateEstimator` (modules/congestion_controller/goog_cc/
/// probe_bitrate_estimator.cc).
///
/// Once 80 % of a cluster's packets and bytes are acknowledged: the send rate is the bytes
/// but the last sent over the send interval, the receive rate the bytes but the first received
/// over the receive interval (both intervals must be within (0, 1 s]). A receive rate more
/// than twice the send rate is invalid. The result is min(send, receive), or 95 % of the
/// receive rate when it is below 90 % of the send rate (the probe saturated the link).
/// Clusters older than 1 s are forgotten.
public struct ProbeBitrateEstimator: Sendable {
    static let minReceivedRatio = 0.8
    static let maxValidRatio = 2.0
    static let minRatioForUnsaturatedLink = 0.9
    static let targetUtilization = 0.95
    static let maxClusterHistory: Int64 = 1_000_000
    static let maxProbeInterval: Int64 = 1_000_000

    struct Aggregate: Sendable {
        var firstSend = Int64.max
        var lastSend = Int64.min
        var firstReceive = Int64.max
        var lastReceive = Int64.min
        var sizeLastSend = 0
        var sizeFirstReceive = 0
        var sizeTotal = 0
        var packets = 0
    }

    private var clusters: [Int: Aggregate] = [:]
    private var lastEstimate: Double?

    public init() {}

    /// Adds one acknowledged probe packet; returns the cluster's rate (bps) when it has one.
    @discardableResult
    public mutating func handle(cluster: ProbeCluster, sendTime: Instant, arrival: Instant,
                                size: Int) -> Double? {
        let send = sendTime.microseconds
        let receive = arrival.microseconds
        let size = max(0, size)
        clusters = clusters.filter { receive &- $0.value.lastReceive < Self.maxClusterHistory }
        var aggregate = clusters[cluster.id] ?? Aggregate()
        if send < aggregate.firstSend { aggregate.firstSend = send }
        if send > aggregate.lastSend {
            aggregate.lastSend = send
            aggregate.sizeLastSend = size
        }
        if receive < aggregate.firstReceive {
            aggregate.firstReceive = receive
            aggregate.sizeFirstReceive = size
        }
        if receive > aggregate.lastReceive { aggregate.lastReceive = receive }
        aggregate.sizeTotal &+= size
        aggregate.packets += 1
        clusters[cluster.id] = aggregate

        guard Double(aggregate.packets) >= Double(cluster.minPackets) * Self.minReceivedRatio,
              Double(aggregate.sizeTotal) >= Double(cluster.minBytes) * Self.minReceivedRatio else { return nil }
        let sendInterval = aggregate.lastSend &- aggregate.firstSend
        let receiveInterval = aggregate.lastReceive &- aggregate.firstReceive
        guard sendInterval > 0, sendInterval <= Self.maxProbeInterval,
              receiveInterval > 0, receiveInterval <= Self.maxProbeInterval else { return nil }
        let sendRate = Double(aggregate.sizeTotal - aggregate.sizeLastSend) * 8_000_000 / Double(sendInterval)
        let receiveRate = Double(aggregate.sizeTotal - aggregate.sizeFirstReceive) * 8_000_000
            / Double(receiveInterval)
        guard sendRate > 0, receiveRate / sendRate <= Self.maxValidRatio else { return nil }
        var result = min(sendRate, receiveRate)
        if receiveRate < Self.minRatioForUnsaturatedLink * sendRate {
            result = Self.targetUtilization * receiveRate
        }
        lastEstimate = result
        return result
    }

    /// The latest result since the last call, then forgets it.
    public mutating func fetchAndResetLastEstimate() -> Double? {
        defer { lastEstimate = nil }
        return lastEstimate
    }
}
