public import SansIO

/// One step of a step-function capacity: from `at` on (until the next step),
/// the link carries `kbps` (`nil` for unlimited).
public struct CapacityStep: Hashable, Sendable {
    public var at: Instant
    public var kbps: Double?

    public init(at: Instant, kbps: Double?) {
        self.at = at
        self.kbps = kbps
    }
}

/// How much a link can carry over time (RFC 8867 §4: "bottleneck capacity").
public enum CapacityModel: Hashable, Sendable {
    /// No bottleneck: packets are serialized in zero time.
    case unlimited
    /// A constant rate in kbps (1 kbps = 1000 bit/s).
    case constant(kbps: Double)
    /// A step function at absolute times, e.g. RFC 8867 §5.1's 1 Mbps, ×2.5 at
    /// 40 s, ×0.6 at 60 s, ×1.0 at 80 s. Before the first step the first step's
    /// rate applies; the last step holds forever. Steps are sorted by time.
    case steps([CapacityStep])
    /// A Mahimahi trace of 1500-byte delivery opportunities, repeating,
    /// starting at the link's `traceStart`.
    case mahimahi(MahimahiTrace)
    /// A JSON segment trace, repeating, starting at the link's `traceStart`.
    case segments(SegmentTrace)
}

/// The link's serializer: turns "a packet of this size starts service at this
/// time" into "its last bit leaves at that time", following the capacity model.
///
/// Times are `Double` microseconds so that consecutive packets do not
/// accumulate rounding error; IEEE arithmetic keeps the result deterministic.
struct Serializer: Sendable {
    let model: CapacityModel
    /// Absolute µs at which a trace (Mahimahi or segments) starts.
    let traceStartUs: Double

    /// Mahimahi: the absolute index of the last opportunity used and the bytes
    /// it still has; a later packet may use them only if it is already waiting
    /// when that opportunity comes. Opportunities before it are spent.
    private var lastOpportunity: Int64 = -1
    private var partialBytes = 0

    init(model: CapacityModel, traceStart: Instant) {
        if case let .steps(steps) = model {
            // Stable sort: of two steps at the same instant the later one wins.
            let sorted = steps.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
            self.model = .steps(sorted.map(\.element))
        } else {
            self.model = model
        }
        self.traceStartUs = Double(traceStart.microseconds)
    }

    /// The time the last bit of a `size`-byte packet leaves when its service
    /// starts at `startUs`; `nil` when the model never offers capacity again.
    mutating func finish(startUs: Double, size: Int) -> Double? {
        if case let .mahimahi(trace) = model {
            return finishMahimahi(trace, startUs: startUs, size: size)
        }
        var t = startUs
        var remainingBits = Double(size) * 8
        var zeroSegments = 0
        let zeroLimit: Int
        if case let .segments(trace) = model { zeroLimit = trace.segments.count + 2 } else { zeroLimit = 2 }
        while true {
            let (kbps, end) = rate(atUs: t)
            guard let kbps else { return t }
            if kbps > 0 {
                zeroSegments = 0
                let needUs = remainingBits * 1000 / kbps
                guard let end, t + needUs > end else { return t + needUs }
                // The capacity changes mid-packet: send what fits at this
                // rate, the rest at the next segment's rate.
                remainingBits -= (end - t) * kbps / 1000
                t = end
            } else {
                guard let end else { return nil }
                zeroSegments += 1
                if zeroSegments > zeroLimit { return nil }
                t = end
            }
        }
    }

    /// The rate in kbps at absolute time `t` (`nil` kbps: unlimited) and the
    /// absolute µs at which that rate may change (`nil`: never).
    func rate(atUs t: Double) -> (kbps: Double?, endUs: Double?) {
        switch model {
        case .unlimited:
            return (nil, nil)
        case let .constant(kbps):
            return (kbps, nil)
        case let .steps(steps):
            guard let first = steps.first else { return (nil, nil) }
            var current = first.kbps
            for step in steps {
                if Double(step.at.microseconds) <= t {
                    current = step.kbps
                } else {
                    return (current, Double(step.at.microseconds))
                }
            }
            return (current, nil)
        case let .segments(trace):
            let whole = t.rounded(.down)
            let (segment, remaining) = trace.segment(atOffsetUs: Int64(whole - traceStartUs))
            return (segment.capacityKbps, whole + Double(remaining))
        case let .mahimahi(trace):
            // A rate for reporting: the average over the next 100 ms.
            return (averageMahimahi(trace, fromUs: t, toUs: t + 100_000), t + 100_000)
        }
    }

    /// The average capacity in kbps over `[fromUs, toUs)`; `nil` when the link
    /// is unlimited for any part of it.
    func averageKbps(fromUs: Double, toUs: Double) -> Double? {
        guard toUs > fromUs else { return rate(atUs: fromUs).kbps }
        if case let .mahimahi(trace) = model { return averageMahimahi(trace, fromUs: fromUs, toUs: toUs) }
        var bits = 0.0
        var t = fromUs
        while t < toUs {
            let (kbps, end) = rate(atUs: t)
            guard let kbps else { return nil }
            let stop = min(end ?? toUs, toUs)
            bits += (stop - t) * kbps / 1000
            t = stop
        }
        return bits * 1000 / (toUs - fromUs)
    }

    /// The segment trace's loss, rtt and jitter current at `t`, if any.
    func impairments(atUs t: Double) -> SegmentTrace.Segment? {
        guard case let .segments(trace) = model else { return nil }
        return trace.segment(atOffsetUs: Int64(t.rounded(.down) - traceStartUs)).segment
    }

    // MARK: Mahimahi

    private func averageMahimahi(_ trace: MahimahiTrace, fromUs: Double, toUs: Double) -> Double {
        let fromMs = Int64(((fromUs - traceStartUs) / 1000).rounded(.up))
        let toMs = Int64(((toUs - traceStartUs) / 1000).rounded(.up))
        let count = trace.opportunities(fromMs: fromMs, toMs: toMs)
        return Double(count * MahimahiTrace.bytesPerOpportunity * 8) * 1000 / (toUs - fromUs)
    }

    private func opportunityUs(_ trace: MahimahiTrace, _ index: Int64) -> Double {
        let n = Int64(trace.opportunitiesMs.count)
        let ms = (index / n) * trace.periodMs + trace.opportunitiesMs[Int(index % n)]
        return traceStartUs + Double(ms) * 1000
    }

    private mutating func finishMahimahi(_ trace: MahimahiTrace, startUs: Double, size: Int) -> Double {
        var index: Int64
        var available: Int
        if partialBytes > 0, lastOpportunity >= 0, opportunityUs(trace, lastOpportunity) >= startUs {
            index = lastOpportunity
            available = partialBytes
        } else {
            let relMs = max(0, Int64(((startUs - traceStartUs) / 1000).rounded(.up)))
            let cycle = relMs / trace.periodMs
            let first = trace.firstIndex(atOrAfter: relMs % trace.periodMs)
            index = max(cycle * Int64(trace.opportunitiesMs.count) + Int64(first), lastOpportunity + 1)
            available = MahimahiTrace.bytesPerOpportunity
        }
        var left = size
        while true {
            let taken = min(left, available)
            left -= taken
            available -= taken
            if left == 0 {
                lastOpportunity = index
                partialBytes = available
                return opportunityUs(trace, index)
            }
            index += 1
            available = MahimahiTrace.bytesPerOpportunity
        }
    }
}
