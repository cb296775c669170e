public import SansIO

/// Decides when to probe the path, as libwebrtc's `ProbeController`
/// (modules/congestion_controller/goog_cc/probe_controller.cc).
///
/// - At start: clusters at 3× and 6× the start bitrate (capped at the maximum).
/// - Exponential continuation: while waiting for a probe result (up to 1 s), an estimate
///   above 70 % of the last probed rate triggers a probe at 2× that estimate.
/// - After a large drop (the estimate fell below 66 % of its earlier value) while in ALR, a
///   probe at 85 % of the rate before the drop, within 5 s of the drop and at most every 5 s.
/// - Periodically in ALR, a probe at 2× the estimate every 5 s.
/// - Capacity probing (a Loupe addition, in the spirit of libwebrtc's network-state probing):
///   when the delay-based controller has gone `capacityProbeInterval` (1 s) without a
///   decrease or a probe (and loss is low), a probe at 2× the estimate, so a link whose
///   capacity went up is found in about a second instead of by 8 %/s or additive growth. The
///   sender fills clusters with small padding packets (15 ms at the probe rate), so a probe
///   costs a few kilobytes; a probe that saturates the link measures it, and its result (95 %
///   of the receive rate) replaces the estimate even when lower, as in libwebrtc. Measured on
///   the OpenNetLab 4G_500kbps trace: utilization 0.58 with a 3 s interval, 0.80 with 1 s
///   (docs/simulations.md).
public struct ProbeController: Sendable {
    static let firstScale = 3.0
    static let secondScale = 6.0
    static let furtherScale = 2.0
    static let furtherThreshold = 0.7
    static let maxWaitForResult: Int64 = 1_000_000
    static let dropThreshold = 0.66
    static let fractionAfterDrop = 0.85
    static let dropTimeout: Int64 = 5_000_000
    static let minTimeBetweenALRProbes: Int64 = 5_000_000
    static let alrProbeInterval: Int64 = 5_000_000
    /// Time without a delay-based decrease after which capacity is probed.
    public static let capacityProbeInterval: Int64 = 1_000_000

    public let maxBitrate: Int
    private var nextClusterID = 1
    private var waitingSince: Int64?
    private var minBitrateToProbeFurther: Double?
    private var estimate: Double
    private var lastLargeDrop: (time: Int64, before: Double)?
    private var lastALRProbe: Int64?
    private var lastProbe: Int64?
    private var started = false
    private(set) var pending: [ProbeCluster] = []

    public init(startBitrate: Int, maxBitrate: Int) {
        self.maxBitrate = maxBitrate
        estimate = Double(startBitrate)
    }

    /// Clusters requested since the last call.
    public mutating func takeProbes() -> [ProbeCluster] {
        defer { pending.removeAll() }
        return pending
    }

    /// Starts the initial exponential probes (once).
    public mutating func start(now: Instant) {
        guard !started else { return }
        started = true
        probe(at: [estimate * Self.firstScale, estimate * Self.secondScale], now: now, further: true)
    }

    /// A new target estimate.
    public mutating func onEstimate(_ bitrate: Double, now: Instant) {
        let at = now.microseconds
        if bitrate < Self.dropThreshold * estimate {
            lastLargeDrop = (at, estimate)
        }
        estimate = bitrate
        if let waitingSince, at &- waitingSince <= Self.maxWaitForResult,
           let threshold = minBitrateToProbeFurther, bitrate > threshold {
            probe(at: [bitrate * Self.furtherScale], now: now, further: true)
        }
    }

    /// Periodic work: expire waiting, ALR and capacity probes. `lastDecrease` is when the
    /// delay-based controller last lowered its rate; `capacityProbing` false suppresses
    /// capacity probes (the sender passes false while loss is above 2 %, when a probe would
    /// only override the loss-based backoff).
    public mutating func process(now: Instant, inALR: Bool, lastDecrease: Instant?, capacityProbing: Bool = true) {
        let at = now.microseconds
        if let waitingSince, at &- waitingSince > Self.maxWaitForResult {
            self.waitingSince = nil
            minBitrateToProbeFurther = nil
        }
        guard started, waitingSince == nil else { return }
        if inALR {
            if let drop = lastLargeDrop, at &- drop.time < Self.dropTimeout,
               lastALRProbe.map({ at &- $0 >= Self.minTimeBetweenALRProbes }) ?? true {
                lastALRProbe = at
                lastLargeDrop = nil
                probe(at: [drop.before * Self.fractionAfterDrop], now: now, further: false)
                return
            }
            if lastProbe.map({ at &- $0 >= Self.alrProbeInterval }) ?? true {
                lastALRProbe = at
                probe(at: [estimate * Self.furtherScale], now: now, further: true)
            }
            return
        }
        guard capacityProbing else { return }
        let quietSince = max(lastDecrease?.microseconds ?? Int64.min, lastProbe ?? Int64.min)
        if quietSince != Int64.min, at &- quietSince >= Self.capacityProbeInterval,
           estimate < Double(maxBitrate) {
            probe(at: [estimate * Self.furtherScale], now: now, further: true)
        }
    }

    private mutating func probe(at rates: [Double], now: Instant, further: Bool) {
        var last = 0.0
        for rate in rates {
            let capped = min(rate, Double(maxBitrate))
            guard capped > estimate, capped > last else { continue }
            last = capped
            pending.append(ProbeCluster(id: nextClusterID, bitrate: Int(capped)))
            nextClusterID &+= 1
        }
        guard last > 0 else { return }
        lastProbe = now.microseconds
        if further && last < Double(maxBitrate) {
            waitingSince = now.microseconds
            minBitrateToProbeFurther = Self.furtherThreshold * last
        } else {
            waitingSince = nil
            minBitrateToProbeFurther = nil
        }
    }
}
