import SansIO
import RTP
@testable import BandwidthEstimation

/// A bottleneck: a FIFO queue served at `capacity(t)` bps, then a fixed propagation delay.
/// departure = max(send, previous departure) + size / capacity; arrival = departure + delay.
/// Random loss before the queue; drop-tail when the queueing delay would exceed `queueLimit`.
struct BottleneckLink {
    var capacity: (Int64) -> Double
    var propagationDelay: Int64
    var lossRate = 0.0
    var queueLimit: Int64 = 1_000_000
    var lastDeparture: Int64 = .min
    var random = SplitMix64(state: 42)

    /// The arrival time (µs) of a packet sent at `time`, nil when lost.
    mutating func send(size: Int, at time: Int64) -> Int64? {
        if lossRate > 0, random.unit() < lossRate { return nil }
        let start = max(time, lastDeparture)
        if start - time > queueLimit { return nil }
        let service = Int64(Double(size * 8) / capacity(start) * 1_000_000)
        lastDeparture = start + service
        return lastDeparture + propagationDelay
    }
}

/// A sender driven by `SendSideBandwidthEstimator` over a `BottleneckLink`: media at the
/// target rate in 1200-byte packets, probe clusters as requested, a receiver that returns
/// transport-cc feedback every 100 ms over the same propagation delay.
struct SendSideScenario {
    var estimator: SendSideBandwidthEstimator
    var link: BottleneckLink
    var packetSize = 1200
    var feedbackInterval: Int64 = 100_000
    /// The receiver's clock runs this far ahead of the sender's.
    var receiverClockOffset: Int64 = 1_000_000_000
    var now: Int64 = 0
    /// Prints the state every 100 ms from this time on (debugging).
    var logFrom: Int64?
    private(set) var trace: [(time: Int64, target: Int)] = []

    private var sequence: Int64 = 0
    private var nextMediaSend: Int64 = 0
    private var probePackets: [(time: Int64, cluster: Int)] = []
    private var arrivals: [(sequence: Int64, arrival: Int64)] = []
    private var nextReportSequence: Int64 = 0
    private var nextFeedback: Int64 = 100_000
    private var feedbackCount: UInt8 = 0
    private var inFlightFeedback: [(deliver: Int64, feedback: TransportFeedback)] = []

    init(start: Int, min: Int = 50_000, max: Int = 5_000_000, link: BottleneckLink) {
        estimator = SendSideBandwidthEstimator(startBitrate: start, minBitrate: min, maxBitrate: max)
        self.link = link
    }

    private var activeProbe: (cluster: Int, end: Int64)?

    /// A probe is media plus padding adding up to the probe rate, like libwebrtc's pacer: the
    /// media sent during the cluster belongs to it, padding fills the rest.
    private mutating func scheduleProbe(_ cluster: ProbeCluster) {
        let rate = Double(cluster.bitrate)
        let bits = Double(Swift.max(cluster.minBytes, cluster.minPackets * packetSize) * 8)
        let duration = Int64(bits / rate * 1_000_000)
        let paddingRate = rate - Double(estimator.target)
        guard paddingRate > 0, duration > 0 else { return }
        let count = Swift.max(1, Int((paddingRate * Double(duration) / 1_000_000 / Double(packetSize * 8)).rounded(.up)))
        let spacing = duration / Int64(count)
        // Clusters go one after another, as a pacer sends them.
        let start = Swift.max(now - 1000, activeProbe?.end ?? .min)
        for index in 0..<count {
            probePackets.append((start + Int64(index) * spacing, cluster.id))
        }
        probePackets.sort { $0.time < $1.time }
        activeProbe = (cluster.id, start + duration)
        probeSpans.append((cluster.id, start, start + duration))
    }

    private var probeSpans: [(cluster: Int, start: Int64, end: Int64)] = []

    private mutating func probeClusterAt(_ time: Int64) -> Int? {
        probeSpans.removeAll { $0.end <= time }
        return probeSpans.first { $0.start <= time }?.cluster
    }

    private mutating func send(at time: Int64, cluster: Int?) {
        estimator.onPacketSent(sequence: sequence, size: packetSize, at: Instant(microseconds: time),
                               probeCluster: cluster)
        if let arrival = link.send(size: packetSize, at: time) {
            arrivals.append((sequence, arrival + receiverClockOffset))
        }
        sequence += 1
    }

    /// Runs the simulation in 1 ms steps until `end` (µs).
    mutating func run(until end: Int64) {
        while now < end {
            now += 1000
            for cluster in estimator.takeProbeRequests() {
                if logFrom.map({ now >= $0 }) == true { print("t=\(Double(now) / 1e6) probe \(cluster)") }
                scheduleProbe(cluster)
            }
            while let first = probePackets.first, first.time <= now {
                probePackets.removeFirst()
                send(at: first.time, cluster: first.cluster)
            }
            while nextMediaSend <= now {
                let probing = probeClusterAt(nextMediaSend)
                send(at: nextMediaSend, cluster: probing)
                let rate = Double(Swift.max(estimator.target, 10_000))
                nextMediaSend += Int64(Double(packetSize * 8) / rate * 1_000_000)
            }
            if now >= nextFeedback {
                nextFeedback += feedbackInterval
                emitFeedback()
            }
            while let first = inFlightFeedback.first, first.deliver <= now {
                inFlightFeedback.removeFirst()
                estimator.onTransportFeedback(first.feedback, at: Instant(microseconds: first.deliver))
            }
            if let deadline = estimator.nextDeadline, deadline.microseconds <= now {
                estimator.process(now: Instant(microseconds: now))
            }
            trace.append((now, estimator.target))
            if let log = logFrom, now >= log, now % 100_000 == 0 {
                print("t=\(Double(now) / 1e6) target=\(estimator.target) delay=\(estimator.delayBasedEstimate) "
                    + "acked=\(estimator.acknowledgedBitrate ?? -1) usage=\(estimator.usage) "
                    + "thr=\(estimator.delayBased.detector.threshold) trend=\(estimator.delayBased.trendline.modifiedTrend)")
            }
        }
    }

    private mutating func emitFeedback() {
        let receiverNow = now + receiverClockOffset
        let ready = arrivals.filter { $0.arrival <= receiverNow }.sorted { $0.sequence < $1.sequence }
        arrivals.removeAll { $0.arrival <= receiverNow }
        guard let first = ready.first else { return }
        var builder = TransportFeedbackBuilder(
            senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: UInt16(truncatingIfNeeded: nextReportSequence),
            feedbackPacketCount: feedbackCount, referenceTimeMicroseconds: first.arrival)
        for packet in ready where packet.sequence >= nextReportSequence {
            let result = builder.add(sequenceNumber: UInt16(truncatingIfNeeded: packet.sequence),
                                     arrivalMicroseconds: packet.arrival)
            precondition(result == .added)
        }
        nextReportSequence = (ready.last?.sequence ?? nextReportSequence) + 1
        feedbackCount &+= 1
        inFlightFeedback.append((now + link.propagationDelay, builder.feedback))
    }

    /// The first time (µs) at or after `from` when the target reached `level`.
    func firstTime(atLeast level: Int, from: Int64 = 0) -> Int64? {
        trace.first { $0.time >= from && $0.target >= level }?.time
    }

    func firstTime(below level: Int, from: Int64 = 0) -> Int64? {
        trace.first { $0.time >= from && $0.target < level }?.time
    }

    func maxTarget(from: Int64, to: Int64 = .max) -> Int {
        trace.filter { $0.time >= from && $0.time <= to }.map(\.target).max() ?? 0
    }
}
