public import SansIO
public import RTP

/// The sender's congestion controller: goog_cc as libwebrtc's `GoogCcNetworkController`
/// (modules/congestion_controller/goog_cc/goog_cc_network_control.cc) wires it, with
/// transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01) as input.
///
/// The sender reports every packet it sends with its unwrapped transport-wide sequence number
/// (and probe cluster, when it belongs to one). Each feedback is matched to the sent packets by
/// sequence number; arrival times are the feedback's reference time plus the running deltas
/// (receiver clock; only differences matter). Received packets, in arrival order, feed the
/// delay-based chain, the acknowledged-bitrate estimator and, for probe packets, the probe
/// estimator; the newly reported ones give the loss fraction. The target is
/// min(loss-based, delay-based, REMB), within [min, max].
///
/// With a `CongestionWindowPushback`, the bytes sent and not yet reported by feedback are data
/// in flight, and `encoderTarget` is the target pushed back when they exceed the congestion
/// window (libwebrtc's goog_cc with `WebRTC-CongestionWindow`); the pacer keeps `pacingRate`.
///
/// Bad input: feedback for sequence numbers never sent (or forgotten: the history keeps the
/// last 8192 packets) is ignored and counted in `unknownReports`; a packet reported twice
/// counts once for loss and once for delay (later reports are ignored, `duplicateReports`); a
/// packet first reported lost and later received is used for delay and rate but stays counted
/// as lost; zero-size packets are fine; arrival times that go backwards are dropped by the
/// grouping (reordering) or restart it.
public struct SendSideBandwidthEstimator: Sendable {
    /// The pacer sends at this multiple of the target (libwebrtc's default pacing factor).
    public static let pacingFactor = 2.5
    /// `process(now:)` wants to run this often.
    public static let processInterval: Int64 = 25_000
    static let historyLength: Int64 = 8192

    enum ReportState: Sendable { case none, lost, received }

    struct SentPacket: Sendable {
        var size: Int
        var sendTime: Instant
        var probeCluster: Int?
        var report: ReportState
        /// Counted in `dataInFlight`: not yet reported, nor older than a reported packet.
        var inFlight = true
    }

    public let minBitrate: Int
    public let maxBitrate: Int
    public private(set) var delayBased: DelayBasedEstimator
    public private(set) var lossBased: LossBasedControl
    public private(set) var throughput = RobustThroughputEstimator()
    public private(set) var queueDelay = QueueDelayTracker()
    public private(set) var alr: ALRDetector
    private var probeController: ProbeController
    private var probeEstimator = ProbeBitrateEstimator()
    private var clusters: [Int: ProbeCluster] = [:]
    private var history: [Int64: SentPacket] = [:]
    private var highestSent: Int64?
    private var referenceTime: Int64?
    private var explicitRTT = false
    private var lastProcess: Int64?
    /// The congestion window pushback, when enabled (see `encoderTarget`).
    public private(set) var congestionWindow: CongestionWindowPushback?
    /// Bytes sent and not yet reported (received or lost) by feedback.
    public private(set) var dataInFlight = 0
    /// Packets up to this sequence number are no longer in flight.
    private var settledThrough: Int64?
    private var pushedBackTarget: Int?

    /// Clusters the pacer should send, oldest first; see `takeProbeRequests()`.
    public private(set) var probeRequests: [ProbeCluster] = []
    /// Feedback entries for sequence numbers not in the send history.
    public private(set) var unknownReports = 0
    /// Feedback entries for packets already reported received.
    public private(set) var duplicateReports = 0

    /// Whether the estimator asks for probes (a sender with a pacer that can send them).
    public let probing: Bool

    /// - Parameters:
    ///   - probing: false for a sender that cannot send probe clusters (the node forwarding to a
    ///     subscriber): no probes are requested and none are expected.
    ///   - congestionWindow: a pushback that lowers `encoderTarget` while the data in flight
    ///     exceeds its window; nil: `encoderTarget` is `target`.
    public init(startBitrate: Int, minBitrate: Int, maxBitrate: Int, probing: Bool = true,
                congestionWindow: CongestionWindowPushback? = nil) {
        self.probing = probing
        self.congestionWindow = congestionWindow
        let low = max(0, minBitrate)
        let high = max(low, maxBitrate)
        let start = min(max(startBitrate, low), high)
        self.minBitrate = low
        self.maxBitrate = high
        delayBased = DelayBasedEstimator(minBitrate: low, maxBitrate: high, startBitrate: start)
        lossBased = LossBasedControl(startBitrate: start, minBitrate: low, maxBitrate: high)
        alr = ALRDetector(estimate: start)
        probeController = ProbeController(startBitrate: start, maxBitrate: high)
    }

    /// The target send bitrate in bps.
    public var target: Int { lossBased.bitrate }
    /// The rate the encoder should produce, bps: `target`, pushed back by the congestion window
    /// (never under `minBitrate` unless `target` is).
    public var encoderTarget: Int { pushedBackTarget.map { max(min(minBitrate, target), $0) } ?? target }
    /// The pacer's rate in bps.
    public var pacingRate: Int { Int(min(Double(target) * Self.pacingFactor, Double(Int.max / 2))) }
    /// The acknowledged throughput in bps, once measured.
    public var acknowledgedBitrate: Int? { throughput.bitrate.map { Int($0) } }
    /// The delay-based estimate in bps.
    public var delayBasedEstimate: Int { delayBased.bitrate }
    /// The delay detector's hypothesis.
    public var usage: BandwidthUsage { delayBased.usage }

    /// When `process(now:)` should run next; nil before the first input.
    public var nextDeadline: Instant? {
        lastProcess.map { Instant(microseconds: $0 &+ Self.processInterval) }
    }

    /// Returns the pending probe clusters and clears them.
    public mutating func takeProbeRequests() -> [ProbeCluster] {
        defer { probeRequests.removeAll() }
        return probeRequests
    }

    /// Records a sent packet. `sequence` is the unwrapped transport-wide sequence number.
    public mutating func onPacketSent(sequence: Int64, size: Int, at time: Instant, probeCluster: Int?) {
        startIfNeeded(time)
        if history[sequence] == nil {
            history[sequence] = SentPacket(size: max(0, size), sendTime: time, probeCluster: probeCluster,
                                           report: .none)
            dataInFlight &+= max(0, size)
        }
        highestSent = max(highestSent ?? sequence, sequence)
        if history.count > Int(2 * Self.historyLength), let highestSent {
            let oldest = highestSent &- Self.historyLength
            for (key, packet) in history where key <= oldest && packet.inFlight {
                dataInFlight -= packet.size
            }
            history = history.filter { $0.key > oldest }
        }
        alr.onBytesSent(size, at: time)
        updatePushback()
    }


    /// A REMB cap from the receiver (nil removes it).
    public mutating func onRemb(bitrate: Int?) {
        lossBased.updateReceiverLimit(bitrate.map { Double(max(0, $0)) }, now: .zero)
        probeController.onEstimate(Double(target), now: Instant(microseconds: lastProcess ?? 0))
    }

    /// A round-trip time measurement (from RTCP); once given, feedback-derived RTT is unused.
    public mutating func onRTT(_ rtt: Duration) {
        explicitRTT = true
        setRTT(rtt.microseconds)
    }

    /// Processes one transport-cc feedback received at `now`.
    public mutating func onTransportFeedback(_ feedback: TransportFeedback, at now: Instant) {
        startIfNeeded(now)
        guard let highestSent else {
            unknownReports += feedback.packets.count
            return
        }
        var time = unwrapReferenceTime(feedback.referenceTime) &* TransportFeedback.referenceTimeUnitMicroseconds
        var received: [(sequence: Int64, arrival: Instant, packet: SentPacket)] = []
        var newlyReported = 0
        var newlyLost = 0
        var minRTT: Int64?
        var maxRTT: Int64?
        var highestReported: Int64?
        for entry in feedback.packets {
            if let delta = entry.deltaMicroseconds { time &+= delta }
            let back = Int64(UInt16(truncatingIfNeeded: highestSent) &- entry.sequenceNumber)
            let sequence = highestSent &- back
            guard var packet = history[sequence] else {
                unknownReports += 1
                continue
            }
            if packet.report == .none {
                maxRTT = max(maxRTT ?? 0, now.microseconds &- packet.sendTime.microseconds)
            }
            highestReported = max(highestReported ?? sequence, sequence)
            if entry.deltaMicroseconds == nil {
                if packet.report == .none {
                    newlyReported += 1
                    newlyLost += 1
                    packet.report = .lost
                    history[sequence] = packet
                }
                continue
            }
            if packet.report == .received {
                duplicateReports += 1
                continue
            }
            if packet.report == .none { newlyReported += 1 }
            packet.report = .received
            history[sequence] = packet
            received.append((sequence, Instant(microseconds: time), packet))
            let rtt = now.microseconds &- packet.sendTime.microseconds
            if rtt >= 0 { minRTT = min(minRTT ?? rtt, rtt) }
        }
        if !explicitRTT, let minRTT { setRTT(minRTT) }

        received.sort { ($0.arrival, $0.sequence) < ($1.arrival, $1.sequence) }
        for item in received {
            throughput.update(sendTime: item.packet.sendTime, arrival: item.arrival, size: item.packet.size)
            queueDelay.update(sendTime: item.packet.sendTime, arrival: item.arrival)
            if let id = item.packet.probeCluster {
                let cluster = clusters[id] ?? ProbeCluster(id: id, bitrate: 0, minPackets: 5, minBytes: 0)
                probeEstimator.handle(cluster: cluster, sendTime: item.packet.sendTime, arrival: item.arrival,
                                      size: item.packet.size)
            }
            delayBased.onPacket(sendTime: item.packet.sendTime, arrival: item.arrival, size: item.packet.size,
                                systemTime: now)
        }
        let probe = probeEstimator.fetchAndResetLastEstimate()
        if !received.isEmpty || probe != nil {
            let result = delayBased.update(acknowledgedBitrate: throughput.bitrate, probeBitrate: probe,
                                           standingQueue: queueDelay.standingQueue, now: now)
            if result.updated {
                lossBased.updateDelayBased(Double(result.bitrate), now: now)
                if result.probe { lossBased.setBitrate(Double(result.bitrate), now: now) }
            }
        }
        lossBased.updatePacketsLost(lost: newlyLost, total: newlyReported, now: now)
        targetChanged(now)
        if let highestReported { settleInFlight(through: highestReported) }
        if let maxRTT { congestionWindow?.onFeedback(maxRoundTrip: maxRTT) }
        let target = self.target
        congestionWindow?.updateWindow(target: target)
        updatePushback()
    }

    /// Periodic work (every 25 ms): loss-based growth, probe scheduling.
    public mutating func process(now: Instant) {
        startIfNeeded(now)
        lastProcess = max(lastProcess ?? now.microseconds, now.microseconds)
        lossBased.updateEstimate(now: now)
        if probing {
            probeController.process(now: now, inALR: alr.inALR, lastDecrease: delayBased.lastDecrease,
                                    capacityProbing: lossBased.lastLossFraction <= LossBasedControl.lowLossThreshold)
        }
        targetChanged(now)
        let target = self.target
        congestionWindow?.updateWindow(target: target)
        updatePushback()
    }

    /// Takes every packet up to `sequence` out of flight: reported ones, and (as libwebrtc's
    /// `TransportFeedbackAdapter`) older ones no feedback mentioned, which a receiver that
    /// starts each feedback at its first arrival never reports when they were lost.
    private mutating func settleInFlight(through sequence: Int64) {
        let from = max((settledThrough ?? .min) &+ 1, sequence &- 2 &* Self.historyLength)
        guard from <= sequence else { return }
        for seq in from...sequence {
            guard var packet = history[seq], packet.inFlight else { continue }
            packet.inFlight = false
            history[seq] = packet
            dataInFlight -= packet.size
        }
        settledThrough = sequence
    }

    /// One step of the congestion window pushback (libwebrtc steps it on every sent packet,
    /// feedback and periodic process).
    private mutating func updatePushback() {
        guard var window = congestionWindow else { return }
        window.setDataInFlight(dataInFlight)
        pushedBackTarget = window.pushBack(target: target)
        congestionWindow = window
    }

    private mutating func startIfNeeded(_ now: Instant) {
        guard lastProcess == nil else { return }
        lastProcess = now.microseconds
        guard probing else { return }
        probeController.start(now: now)
        collectProbes()
    }

    private mutating func targetChanged(_ now: Instant) {
        probeController.onEstimate(Double(target), now: now)
        alr.setEstimate(target)
        collectProbes()
    }

    private mutating func collectProbes() {
        for cluster in probeController.takeProbes() {
            clusters[cluster.id] = cluster
            probeRequests.append(cluster)
        }
        if clusters.count > 64, let newest = clusters.keys.max() {
            clusters = clusters.filter { newest &- $0.key < 32 }
        }
    }

    private mutating func setRTT(_ microseconds: Int64) {
        let rtt = max(0, microseconds)
        delayBased.rttMicroseconds = rtt
        lossBased.rttMicroseconds = rtt
    }

    /// Unwraps the 24-bit reference time against the previous feedback's.
    private mutating func unwrapReferenceTime(_ wire: Int32) -> Int64 {
        let value = Int64(wire)
        guard let previous = referenceTime else {
            referenceTime = value
            return value
        }
        var delta = (value &- previous) & 0xFF_FFFF
        if delta >= 0x80_0000 { delta -= 0x100_0000 }
        let unwrapped = previous &+ delta
        referenceTime = unwrapped
        return unwrapped
    }
}
