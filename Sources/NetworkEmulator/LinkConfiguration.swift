public import SansIO

/// Random packet loss (RFC 8867 §4: "packet loss"; RFC 8868 §5 for the test
/// cases that use it).
public enum LossModel: Hashable, Sendable {
    /// No loss beyond queue overflow.
    case none
    /// Each packet is lost independently with this probability.
    case random(probability: Double)
    /// Bursty loss from a two-state Markov chain.
    case gilbertElliott(GilbertElliott)
}

/// The Gilbert–Elliott model: a "good" and a "bad" state with a loss
/// probability each. Before each packet the chain moves good→bad with
/// probability `p` and bad→good with probability `r`; the packet is then lost
/// with the current state's probability. The long-run loss rate is
/// `(r·lossInGood + p·lossInBad) / (p + r)`; with `lossInBad = 1` and
/// `lossInGood = 0` the mean burst length is `1/r` packets.
public struct GilbertElliott: Hashable, Sendable {
    public var p: Double
    public var r: Double
    public var lossInBad: Double
    public var lossInGood: Double

    public init(p: Double, r: Double, lossInBad: Double = 1, lossInGood: Double = 0) {
        self.p = p
        self.r = r
        self.lossInBad = lossInBad
        self.lossInGood = lossInGood
    }

    /// The stationary loss probability.
    public var expectedLossRate: Double {
        guard p + r > 0 else { return lossInGood }
        return (r * lossInGood + p * lossInBad) / (p + r)
    }
}

/// How much the bottleneck queue holds before it drops arriving packets (tail
/// drop, RFC 8867 §4: "queue size" given in time at the bottleneck capacity).
public enum QueueLimit: Hashable, Sendable {
    /// Never drop for lack of room.
    case unbounded
    /// Drop a packet that would wait longer than this many milliseconds before
    /// its transmission starts (at the capacity of the moment). An RFC 8867
    /// "300 ms queue" is `.milliseconds(300)`.
    case milliseconds(Double)
    /// Drop a packet when the bytes waiting or in transmission plus its own
    /// size would exceed this.
    case bytes(Int)
}

/// Competing traffic that shares the link's queue and capacity but is never
/// delivered to an endpoint (RFC 8867 §5.3–5.5 use TCP; this is the simpler
/// open-loop kind).
public struct CrossTraffic: Hashable, Sendable {
    /// Sending rate while on, in kbps.
    public var kbps: Double
    /// Packet size in bytes.
    public var packetSize: Int
    /// While on, how long an on period lasts; `nil` means always on
    /// (constant rate).
    public var onDuration: Duration?
    /// How long the silence after each on period lasts.
    public var offDuration: Duration
    /// When the generator starts (at the beginning of an on period).
    public var start: Instant

    /// Constant-rate cross traffic.
    public static func constant(kbps: Double, packetSize: Int = 1200, start: Instant = .zero) -> CrossTraffic {
        CrossTraffic(kbps: kbps, packetSize: packetSize, start: start, onDuration: nil)
    }

    /// On/off cross traffic: `kbps` for `on`, nothing for `off`, repeating.
    public static func onOff(kbps: Double, on: Duration, off: Duration, packetSize: Int = 1200,
                             start: Instant = .zero) -> CrossTraffic {
        CrossTraffic(kbps: kbps, packetSize: packetSize, start: start, onDuration: on, offDuration: off)
    }

    public init(kbps: Double, packetSize: Int, start: Instant, onDuration: Duration?,
                offDuration: Duration = .zero) {
        self.kbps = kbps
        self.packetSize = packetSize
        self.start = start
        self.onDuration = onDuration
        self.offDuration = offDuration
    }

    /// The send time (µs) of the packet after one sent at `afterUs`, or the
    /// first at or after the start when `afterUs` is `nil`; `nil` if it never sends.
    func nextSendUs(after afterUs: Double?) -> Double? {
        guard kbps > 0, packetSize > 0 else { return nil }
        let startUs = Double(start.microseconds)
        var candidate = afterUs.map { $0 + Double(packetSize) * 8 * 1000 / kbps } ?? startUs
        if let on = onDuration {
            let onUs = Double(on.microseconds)
            let cycleUs = onUs + Double(offDuration.microseconds)
            guard onUs > 0, cycleUs > 0 else { return nil }
            let phase = (candidate - startUs).truncatingRemainder(dividingBy: cycleUs)
            if phase >= onUs { candidate += cycleUs - phase }
        }
        return candidate
    }
}

/// Everything that describes one direction of an emulated path.
public struct LinkConfiguration: Hashable, Sendable {
    /// Bottleneck capacity over time.
    public var capacity: CapacityModel
    /// Where a trace (Mahimahi or segments) starts on the virtual clock.
    public var traceStart: Instant
    /// One-way propagation delay added after serialization.
    public var propagationDelay: Duration
    /// Standard deviation of a normally distributed extra delay (the total
    /// delay is never below zero).
    public var jitter: Duration
    /// When `false` (the default), jitter never lets a packet overtake an
    /// earlier one: a packet is held until the previous one has arrived.
    public var allowReordering: Bool
    /// Random loss, applied before the queue (a lost packet uses no capacity).
    public var loss: LossModel
    /// The bottleneck queue's bound.
    public var queueLimit: QueueLimit
    /// Optional competing traffic in the same queue.
    public var crossTraffic: CrossTraffic?
    /// When `true` (the default), a segment trace's `loss` adds random loss,
    /// its `rtt` (when above 0) replaces `propagationDelay` by `rtt / 2`, and
    /// its `jitter` adds to `jitter`, while that segment is current.
    public var useTraceImpairments: Bool
    /// Seed of the link's random generators; the same seed gives the same run.
    public var seed: UInt64

    public init(capacity: CapacityModel = .unlimited, traceStart: Instant = .zero,
                propagationDelay: Duration = .zero, jitter: Duration = .zero,
                allowReordering: Bool = false, loss: LossModel = .none,
                queueLimit: QueueLimit = .unbounded, crossTraffic: CrossTraffic? = nil,
                useTraceImpairments: Bool = true, seed: UInt64 = 1) {
        self.capacity = capacity
        self.traceStart = traceStart
        self.propagationDelay = propagationDelay
        self.jitter = jitter
        self.allowReordering = allowReordering
        self.loss = loss
        self.queueLimit = queueLimit
        self.crossTraffic = crossTraffic
        self.useTraceImpairments = useTraceImpairments
        self.seed = seed
    }
}

extension LinkConfiguration {
    /// RFC 8867 §5.1 ("Variable Available Capacity with a Single Flow"):
    /// capacity `baseKbps` (1 Mbps in the RFC), ×2.5 at 40 s, ×0.6 at 60 s,
    /// ×1.0 at 80 s; 50 ms one-way propagation delay; a 300 ms tail-drop queue.
    public static func rfc8867VariableCapacity(baseKbps: Double = 1000, seed: UInt64 = 1) -> LinkConfiguration {
        LinkConfiguration(
            capacity: .steps([
                CapacityStep(at: .zero, kbps: baseKbps),
                CapacityStep(at: .seconds(40), kbps: baseKbps * 2.5),
                CapacityStep(at: .seconds(60), kbps: baseKbps * 0.6),
                CapacityStep(at: .seconds(80), kbps: baseKbps),
            ]),
            propagationDelay: .milliseconds(50),
            queueLimit: .milliseconds(300),
            seed: seed)
    }
}
