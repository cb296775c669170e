public import SansIO

/// What happened to a datagram offered to a link.
public enum LinkVerdict: Hashable, Sendable {
    /// It will arrive at `at`, after waiting `queueDelay` in the bottleneck queue.
    case deliver(at: Instant, queueDelay: Duration)
    /// It was dropped.
    case drop(DropReason)
}

/// Counters of one link since it was created.
public struct LinkStatistics: Hashable, Sendable {
    public var packetsOffered = 0
    public var bytesOffered = 0
    /// Counted when a datagram arrives (the network calls `recordDelivery`).
    public var packetsDelivered = 0
    public var bytesDelivered = 0
    /// Dropped packets by reason (absent reason: none).
    public var dropped: [DropReason: Int] = [:]
    /// One sample per accepted packet: the time it waited in the queue before
    /// its transmission started, in µs.
    public var queueDelaysUs: [Int64] = []
    public var crossTrafficPacketsSent = 0
    public var crossTrafficBytesSent = 0
    public var crossTrafficPacketsDropped = 0

    public init() {}

    /// Dropped packets for one reason.
    public func dropped(_ reason: DropReason) -> Int { dropped[reason] ?? 0 }
    /// All dropped packets.
    public var packetsDropped: Int { dropped.values.reduce(0, +) }
}

/// One direction of an emulated path: loss model, tail-drop queue,
/// serialization at the (time-varying) capacity, propagation delay and jitter
/// (RFC 8867 §4's bottleneck parameters).
///
/// A link is a value with no clock: `send(size:now:)` decides at the moment a
/// packet is offered whether it is dropped and, if not, exactly when it
/// arrives. That is possible because the queue is FIFO and the capacity is
/// known in advance: a packet's departure is
/// `max(arrival, previous departure) + its bits at the capacity of the moment`,
/// with capacity changes in the middle of a packet applied to the remaining bits.
public struct Link: Sendable {
    public let configuration: LinkConfiguration
    public private(set) var statistics = LinkStatistics()

    private var serializer: Serializer
    /// When the packet now in transmission (if any) finishes, in µs.
    private var busyUntilUs = -Double.infinity
    /// Departure time and size of packets waiting or in transmission.
    private var queued: [(departUs: Double, size: Int)] = []
    private var queuedHead = 0
    private var queuedBytes = 0
    private var lastDeliveryUs = -Double.infinity
    private var lossRandom: SeededRandom
    private var jitterRandom: SeededRandom
    private var inBadState = false
    private var nextCrossUs: Double?

    public init(_ configuration: LinkConfiguration) {
        self.configuration = configuration
        serializer = Serializer(model: configuration.capacity, traceStart: configuration.traceStart)
        lossRandom = SeededRandom(seed: configuration.seed, stream: 1)
        jitterRandom = SeededRandom(seed: configuration.seed, stream: 2)
        nextCrossUs = configuration.crossTraffic?.nextSendUs(after: nil)
    }

    /// Offers a datagram of `size` bytes to the link at `now`.
    ///
    /// In order: cross traffic up to `now` joins the queue; the loss model
    /// (and a segment trace's `loss`) may drop it; the queue limit may drop
    /// it; it is serialized after the packets ahead of it; propagation delay
    /// (or a segment's `rtt / 2`) and jitter are added; without reordering it
    /// never arrives before the previous packet. Arrival times round up to
    /// the next whole microsecond (ignoring float noise below 0.001 µs).
    public mutating func send(size: Int, now: Instant) -> LinkVerdict {
        let nowUs = Double(now.microseconds)
        advance(toUs: nowUs)
        statistics.packetsOffered += 1
        statistics.bytesOffered += size

        let segment = configuration.useTraceImpairments ? serializer.impairments(atUs: nowUs) : nil
        if isLost(traceLoss: segment?.loss ?? 0) { return drop(.randomLoss) }

        let departure: (startUs: Double, endUs: Double)
        switch enqueue(size: size, nowUs: nowUs) {
        case let .success(times): departure = times
        case let .failure(refusal): return drop(refusal.reason)
        }
        var delayUs = Double(configuration.propagationDelay.microseconds)
        if let rtt = segment?.rttMs, rtt > 0 { delayUs = rtt * 1000 / 2 }
        let sigmaUs = jitterSigmaUs(traceJitterMs: segment?.jitterMs ?? 0)
        if sigmaUs > 0 { delayUs = max(0, delayUs + sigmaUs * jitterRandom.nextGaussian()) }
        var arrivalUs = departure.endUs + delayUs
        if !configuration.allowReordering { arrivalUs = max(arrivalUs, lastDeliveryUs) }
        lastDeliveryUs = max(lastDeliveryUs, arrivalUs)

        let waitUs = Int64((departure.startUs - nowUs).rounded())
        statistics.queueDelaysUs.append(waitUs)
        return .deliver(at: Instant(microseconds: Int64((arrivalUs - 0.001).rounded(.up))),
                        queueDelay: .microseconds(waitUs))
    }

    /// Counts a datagram as delivered (the network calls this when it arrives).
    public mutating func recordDelivery(size: Int) {
        statistics.packetsDelivered += 1
        statistics.bytesDelivered += size
    }

    /// Runs the cross-traffic generator up to `now`, so that the queue state
    /// and cross-traffic counters are current.
    public mutating func advance(to now: Instant) {
        advance(toUs: Double(now.microseconds))
    }

    /// The capacity at `at` in kbps (`nil`: unlimited). For a Mahimahi trace,
    /// the average over the 100 ms starting at `at`.
    public func capacityKbps(at instant: Instant) -> Double? {
        serializer.rate(atUs: Double(instant.microseconds)).kbps
    }

    /// The average capacity over `[from, to)` in kbps (`nil`: unlimited at some
    /// point); utilization is delivered bits over this.
    public func averageCapacityKbps(from: Instant, to: Instant) -> Double? {
        serializer.averageKbps(fromUs: Double(from.microseconds), toUs: Double(to.microseconds))
    }

    // MARK: Internals

    /// Why the queue refused a packet.
    private struct Refusal: Error {
        var reason: DropReason
    }

    private mutating func drop(_ reason: DropReason) -> LinkVerdict {
        statistics.dropped[reason, default: 0] += 1
        return .drop(reason)
    }

    private mutating func isLost(traceLoss: Double) -> Bool {
        var lost = false
        switch configuration.loss {
        case .none:
            break
        case let .random(probability):
            lost = lossRandom.chance(probability)
        case let .gilbertElliott(model):
            inBadState = lossRandom.chance(inBadState ? 1 - model.r : model.p)
            lost = lossRandom.chance(inBadState ? model.lossInBad : model.lossInGood)
        }
        if traceLoss > 0, lossRandom.chance(traceLoss) { lost = true }
        return lost
    }

    private func jitterSigmaUs(traceJitterMs: Double) -> Double {
        let own = Double(configuration.jitter.microseconds)
        let trace = traceJitterMs * 1000
        return (own * own + trace * trace).squareRoot()
    }

    /// Applies the queue limit and serializes; returns when transmission
    /// starts and ends, or why it was refused.
    private mutating func enqueue(size: Int, nowUs: Double)
        -> Result<(startUs: Double, endUs: Double), Refusal> {
        while queuedHead < queued.count, queued[queuedHead].departUs <= nowUs {
            queuedBytes -= queued[queuedHead].size
            queuedHead += 1
        }
        if queuedHead > 1024, queuedHead * 2 > queued.count {
            queued.removeFirst(queuedHead)
            queuedHead = 0
        }
        let startUs = max(nowUs, busyUntilUs)
        switch configuration.queueLimit {
        case .unbounded:
            break
        case let .milliseconds(ms):
            if startUs - nowUs > ms * 1000 { return .failure(Refusal(reason: .queueFull)) }
        case let .bytes(limit):
            if queuedBytes + size > limit { return .failure(Refusal(reason: .queueFull)) }
        }
        guard let endUs = serializer.finish(startUs: startUs, size: size) else {
            return .failure(Refusal(reason: .noCapacity))
        }
        busyUntilUs = endUs
        queued.append((endUs, size))
        queuedBytes += size
        return .success((startUs, endUs))
    }

    private mutating func advance(toUs nowUs: Double) {
        guard let cross = configuration.crossTraffic else { return }
        while let sendUs = nextCrossUs, sendUs <= nowUs {
            if case .success = enqueue(size: cross.packetSize, nowUs: sendUs) {
                statistics.crossTrafficPacketsSent += 1
                statistics.crossTrafficBytesSent += cross.packetSize
            } else {
                statistics.crossTrafficPacketsDropped += 1
            }
            nextCrossUs = cross.nextSendUs(after: sendUs)
        }
    }
}
