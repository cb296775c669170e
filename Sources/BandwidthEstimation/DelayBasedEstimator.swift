public import SansIO

/// The delay-based estimator chain — inter-arrival grouping → trendline → overuse detector →
/// AIMD — as libwebrtc's `DelayBasedBwe` (modules/congestion_controller/goog_cc/
/// delay_based_bwe.cc) wires it, and draft-ietf-rmcat-gcc-02 §5. Shared by the send side
/// (arrival times from transport-cc feedback) and the receive side (abs-send-time).
///
/// Packets go in one at a time with their send and arrival times; `update` then applies the
/// detector's hypothesis: on overuse — or a standing queue above the limit the caller
/// measured (`QueueDelayTracker`) while the detector does not see the queue shrinking — a
/// decrease to β × acknowledged throughput when one is due (or, with no throughput known yet,
/// a halving); otherwise a probe result replaces the estimate (as libwebrtc's
/// `DelayBasedBwe::MaybeUpdateEstimate` does, lower or higher), or AIMD takes one
/// increase/hold step. A gap of more than 2 s between
/// packets restarts the grouping and detection (the stream paused).
public struct DelayBasedEstimator: Sendable {
    /// What one `update` did.
    public struct Result: Sendable, Hashable {
        /// The estimate changed (or was re-confirmed by AIMD).
        public var updated: Bool
        /// It was set from a probe result.
        public var probe: Bool
        /// The estimate in bps.
        public var bitrate: Int
    }

    static let streamTimeout: Int64 = 2_000_000

    public private(set) var interArrival = InterArrival()
    public private(set) var trendline = TrendlineEstimator()
    public private(set) var detector = OveruseDetector()
    public private(set) var rateControl: AIMDRateControl
    /// When the estimate last went down because of overuse.
    public private(set) var lastDecrease: Instant?
    private var lastPacketSystemTime: Int64?

    public init(minBitrate: Int, maxBitrate: Int, startBitrate: Int?) {
        rateControl = AIMDRateControl(minBitrate: minBitrate, maxBitrate: maxBitrate, startBitrate: startBitrate)
    }

    /// The detector's hypothesis.
    public var usage: BandwidthUsage { detector.state }
    /// The estimate in bps.
    public var bitrate: Int { rateControl.bitrate }

    public var rttMicroseconds: Int64 {
        get { rateControl.rttMicroseconds }
        set { rateControl.rttMicroseconds = newValue }
    }

    /// Feeds one received packet. `systemTime` is the local time it (or its feedback) was
    /// processed.
    public mutating func onPacket(sendTime: Instant, arrival: Instant, size: Int, systemTime: Instant) {
        let system = systemTime.microseconds
        if let last = lastPacketSystemTime, system &- last > Self.streamTimeout {
            interArrival.reset()
            trendline = TrendlineEstimator()
            detector = OveruseDetector()
        }
        lastPacketSystemTime = max(lastPacketSystemTime ?? system, system)
        guard let deltas = interArrival.add(sendTime: sendTime, arrivalTime: arrival, size: size,
                                            systemTime: systemTime) else { return }
        let sendDeltaMs = Time.ms(deltas.sendDelta)
        trendline.update(arrivalDeltaMs: Time.ms(deltas.arrivalDelta), sendDeltaMs: sendDeltaMs,
                         arrivalTime: deltas.arrivalTime)
        detector.detect(modifiedTrend: trendline.modifiedTrend, trend: trendline.trend, sendDeltaMs: sendDeltaMs,
                        numberOfDeltas: trendline.numberOfDeltas, now: deltas.arrivalTime)
    }

    /// Applies the current hypothesis with the acknowledged throughput and any probe result
    /// (both bps).
    public mutating func update(acknowledgedBitrate: Double?, probeBitrate: Double?, standingQueue: Bool = false,
                                now: Instant) -> Result {
        let before = rateControl.bitrateBps
        var result = Result(updated: false, probe: false, bitrate: rateControl.bitrate)
        if detector.state == .overusing || (standingQueue && detector.state != .underusing) {
            if let acknowledgedBitrate {
                if rateControl.timeToReduceFurther(now: now, throughput: acknowledgedBitrate) {
                    rateControl.update(usage: .overusing, throughput: acknowledgedBitrate, now: now)
                    result.updated = true
                }
            } else if rateControl.isInitialized,
                      rateControl.timeToReduceFurther(now: now, throughput: rateControl.bitrateBps / 2 - 1) {
                rateControl.setEstimate(rateControl.bitrateBps / 2, now: now)
                result.updated = true
            }
        } else if let probeBitrate {
            rateControl.setEstimate(probeBitrate, now: now)
            result.updated = true
            result.probe = true
        } else {
            rateControl.update(usage: detector.state, throughput: acknowledgedBitrate, now: now)
            result.updated = true
        }
        if rateControl.bitrateBps < before { lastDecrease = now }
        result.bitrate = rateControl.bitrate
        return result
    }
}
