import DTLS
import Media
import Foundation
public import NetworkEmulator
public import Node
public import Peer
public import SansIO

/// One 200 ms row of a simulation's timeseries.
public struct TimeseriesRow: Sendable {
    public var timeS: Double
    public var capacityKbps: Double?
    public var estimateKbps: Double
    public var sentKbps: Double
    public var deliveredKbps: Double
    public var queueDelayMs: Double?
    public var losses: Int
    public var rembKbps: Double?
    /// With several publishers: each one's estimate (the `estimateKbps` column is their sum).
    public var flowEstimatesKbps: [Double] = []
}

/// What `loupe simulate` writes to summary.json.
public struct SimulationSummary: Codable, Sendable, Equatable {
    public var scenario: String
    public var durationS: Double
    public var seed: UInt64
    /// Bytes delivered on the uplink / what its capacity could carry.
    public var utilization: Double
    /// 95th percentile one-way uplink delay (propagation + queuing), ms.
    public var delayP95Ms: Double
    /// Packets lost on the uplink (queue drops + random loss) / packets offered.
    public var lossRate: Double
    /// Median over 200 ms samples (after the first 5 s) of |estimate − capacity| / capacity.
    public var estimateErrorP50: Double
    /// For each step up in capacity (scenarios with `steps`): seconds until the estimate reached
    /// 90 % of the new capacity (nil: never). Empty for traces, whose capacity moves all the time.
    public var rampupS: [Double?]
    /// For each step down in capacity: seconds until the estimate was back at or under the new
    /// capacity (nil: never before the next change). Empty for traces.
    public var dropResponseS: [Double?]
    /// All publishers' frames, and those the first subscriber of each room received.
    public var framesSent: Int
    public var framesReceived: Int
    /// With several publishers (RFC 8867 5.2, 5.8): each flow's frames and mean send rate.
    public var flows: [Flow]
    /// With several publishers: Jain's fairness index over the bytes each sent.
    public var jainFairness: Double?

    public struct Flow: Codable, Sendable, Equatable {
        public var framesSent: Int
        public var framesReceived: Int
        public var meanKbps: Double
        enum CodingKeys: String, CodingKey {
            case framesSent = "frames_sent", framesReceived = "frames_received", meanKbps = "mean_kbps"
        }
    }

    enum CodingKeys: String, CodingKey {
        case scenario, durationS = "duration_s", seed, utilization, delayP95Ms = "delay_p95_ms"
        case lossRate = "loss_rate", estimateErrorP50 = "estimate_error_p50", rampupS = "rampup_s"
        case dropResponseS = "drop_response_s"
        case framesSent = "frames_sent", framesReceived = "frames_received", flows
        case jainFairness = "jain_fairness"
    }
}

public struct SimulationResult: Sendable {
    public var summary: SimulationSummary
    public var rows: [TimeseriesRow]

    public var csv: String {
        let flows = rows.first?.flowEstimatesKbps.count ?? 0
        var out = "time_s,capacity_kbps,estimate_kbps,sent_kbps,delivered_kbps,queue_delay_ms,losses,remb_kbps"
            + (0..<flows).map { ",estimate\($0 + 1)_kbps" }.joined() + "\n"
        func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "" }
        for r in rows {
            out += "\(String(format: "%.1f", r.timeS)),\(f(r.capacityKbps)),\(f(r.estimateKbps)),\(f(r.sentKbps)),"
                + "\(f(r.deliveredKbps)),\(f(r.queueDelayMs)),\(r.losses),\(f(r.rembKbps))"
                + r.flowEstimatesKbps.map { ",\(f($0))" }.joined() + "\n"
        }
        return out
    }
}

/// Runs a scenario: the production `Node` core, a simulated publisher with send-side estimation,
/// subscribers, all over emulated links under the virtual clock. Same scenario and seed, same result.
public enum ScenarioRunner {
    public static func run(_ s: Scenario, name: String) throws -> SimulationResult {
        let nodeAddress = TransportAddress(ipv4: "10.0.0.100", port: 50000)!
        let start: Int64 = 1_800_000_000  // a fixed "now" for certificates keeps runs identical
        let node = Node(configuration: {
            var c = NodeConfiguration(candidates: [nodeAddress])
            c.maxPublishBitrate = s.publisher.maxKbps * 1000
            return c
        }(), certificate: try DTLSCertificate.generate(commonName: "node", unixTime: start), random: .seeded(s.seed))

        // Publishers share one host (one uplink: RFC 8867 5.2/5.8 put several flows through one
        // bottleneck); each publishes into its own room, watched by `subscribers` subscribers.
        let video: PublisherVideo
        switch s.source {
        case .paced: video = .paced
        case .scene:
            video = .encoded(codec: .vp8, width: s.publisher.width, height: s.publisher.height,
                             source: .scene(SyntheticScene(width: s.publisher.width, height: s.publisher.height,
                                                           fps: s.publisher.fps, noise: 4)))
        case let .file(name):
            let path = name.hasPrefix("/") ? name : s.directory + "/" + name
            var frames: [I420Frame] = []
            do {
                let reader = try Y4MReader(path: path)
                while frames.count < Scenario.maxClipFrames, let frame = try reader.nextFrame() { frames.append(frame) }
            } catch {
                throw ScenarioError(message: "\(path): \(error)")
            }
            guard !frames.isEmpty else { throw ScenarioError(message: "\(path): no frames") }
            video = .encoded(codec: .vp8, width: s.publisher.width, height: s.publisher.height, source: .frames(frames))
        }
        let count = max(1, min(s.publishers, 16))
        var publishers: [SimulatedPeer] = []
        var subscribers: [[SimulatedPeer]] = []
        for p in 0..<count {
            let room = count == 1 ? "sim" : "sim\(p + 1)"
            let publisher = SimulatedPeer(
                role: .publisher, address: TransportAddress(ipv4: "10.0.1.1", port: UInt16(4000 + p))!,
                name: "pub\(p + 1)", sendBitrate: s.publisher.startKbps * 1000, fps: s.publisher.fps,
                estimation: true, maxBitrate: s.publisher.maxKbps * 1000,
                video: video,
                certificate: try DTLSCertificate.generate(commonName: "pub", unixTime: start))
            try publisher.apply(answer: node.createSession(role: .publisher, room: room, variant: .original,
                                                           offer: publisher.offer(), now: .zero).answer, now: .zero)
            publishers.append(publisher)
            var watching: [SimulatedPeer] = []
            for i in 0..<max(0, min(s.subscribers, 50)) {
                let n = p * max(1, s.subscribers) + i + 1
                let sub = SimulatedPeer(role: .subscriber,
                                        address: TransportAddress(ipv4: "10.0.2.\(n % 250 + 1)", port: UInt16(4000 + n / 250))!,
                                        name: "sub\(n)",
                                        certificate: try DTLSCertificate.generate(commonName: "sub", unixTime: start))
                try sub.apply(answer: node.createSession(role: .subscriber, room: room, variant: .original,
                                                         offer: sub.offer(), now: .zero).answer, now: .zero)
                watching.append(sub)
            }
            subscribers.append(watching)
        }
        let publisher = publishers[0]

        let network = Network()
        // DTLS handshakes (RFC 7983: first byte 20–63) run loss-free and outside the links' queues.
        network.bypassesLink = { datagram in datagram.bytes.first.map { (20...63).contains($0) } ?? false }
        network.attach(NodeAdapter(node: node, address: nodeAddress), at: nodeAddress)
        for p in publishers { network.attach(PeerAdapter(p), at: p.address) }
        let uplinkConfig = try linkConfiguration(s.uplink, seed: s.seed, directory: s.directory)
        let (uplink, _) = network.connect(publisher.address.ip, nodeAddress.ip, uplink: uplinkConfig,
                                          downlink: try linkConfiguration(s.downlink, seed: s.seed &+ 1, directory: s.directory))
        var connected: Set<TransportAddress.IP> = []
        for sub in subscribers.joined() {
            network.attach(PeerAdapter(sub), at: sub.address)
            guard connected.insert(sub.address.ip).inserted else { continue }
            network.connect(sub.address.ip, nodeAddress.ip,
                            uplink: try linkConfiguration(s.downlink, seed: s.seed &+ 2, directory: s.directory),
                            downlink: try linkConfiguration(s.downlink, seed: s.seed &+ 3, directory: s.directory))
        }

        var rows: [TimeseriesRow] = []
        var lastSent = 0
        var lastDelivered = 0
        var lastLost = 0
        let step = Duration.milliseconds(200)
        var t = Instant.zero
        let end = Instant.seconds(s.durationS)
        while t < end {
            let next = t + step
            for pause in s.pauses where pause.publisher >= 1 && pause.publisher <= count {
                publishers[pause.publisher - 1].paused = t >= .seconds(pause.atS) && t < .seconds(pause.resumeS)
            }
            network.run(until: next)
            let link = network.link(uplink)
            let stats = link.statistics
            let lost = stats.dropped.values.reduce(0, +)
            let recent = network.samples(uplink).last
            rows.append(TimeseriesRow(
                timeS: Double(next.microseconds) / 1e6,
                capacityKbps: link.averageCapacityKbps(from: t, to: next),
                estimateKbps: Double(publishers.reduce(0) { $0 + $1.sendBitrate }) / 1000,
                sentKbps: Double(publishers.reduce(0) { $0 + $1.bytesSent } - lastSent) * 8 / 200,
                deliveredKbps: Double(stats.bytesDelivered - lastDelivered) * 8 / 200,
                queueDelayMs: recent?.queueDelayMs,
                losses: lost - lastLost,
                rembKbps: publisher.lastREMB.map { Double($0) / 1000 },
                flowEstimatesKbps: count > 1 ? publishers.map { Double($0.sendBitrate) / 1000 } : []))
            lastSent = publishers.reduce(0) { $0 + $1.bytesSent }
            lastDelivered = stats.bytesDelivered
            lastLost = lost
            t = next
        }
        let stats = network.link(uplink).statistics
        let summary = SimulationSummary(
            scenario: name, durationS: s.durationS, seed: s.seed,
            utilization: utilization(rows),
            delayP95Ms: percentile(stats.queueDelaysUs.map { Double($0) / 1000 }, 0.95) + s.uplink.delayMs,
            lossRate: stats.packetsOffered == 0 ? 0
                : Double(stats.dropped.values.reduce(0, +)) / Double(stats.packetsOffered),
            estimateErrorP50: percentile(rows.filter { $0.timeS > 5 }.compactMap { r in
                r.capacityKbps.flatMap { $0 > 0 && $0 < 100_000 ? abs(r.estimateKbps - $0) / $0 : nil }
            }, 0.5),
            rampupS: s.uplink.steps.isEmpty ? [] : rampups(rows, limitKbps: Double(s.publisher.maxKbps * count)),
            dropResponseS: s.uplink.steps.isEmpty ? [] : dropResponses(rows),
            framesSent: publishers.reduce(0) { $0 + $1.framesSent },
            framesReceived: subscribers.reduce(0) { $0 + ($1.first?.framesReceived ?? 0) },
            flows: count == 1 ? [] : publishers.indices.map { i in
                SimulationSummary.Flow(framesSent: publishers[i].framesSent,
                                       framesReceived: subscribers[i].first?.framesReceived ?? 0,
                                       meanKbps: Double(publishers[i].bytesSent) * 8 / 1000 / s.durationS)
            },
            jainFairness: count == 1 ? nil : jain(publishers.map { Double($0.bytesSent) }))
        return SimulationResult(summary: summary, rows: rows)
    }

    static func linkConfiguration(_ l: Scenario.Link, seed: UInt64, directory: String) throws -> LinkConfiguration {
        var c = LinkConfiguration()
        if let trace = l.trace {
            let path = trace.hasPrefix("/") ? trace : directory + "/" + trace
            c.capacity = path.hasSuffix(".json") ? .segments(try SegmentTrace.load(path: path))
                                                  : .mahimahi(try MahimahiTrace.load(path: path))
        } else if let kbps = l.capacityKbps {
            c.capacity = l.steps.isEmpty ? .constant(kbps: kbps)
                : .steps([CapacityStep(at: .zero, kbps: kbps)] + l.steps.map { CapacityStep(at: .seconds($0.atS), kbps: $0.kbps) })
        }
        c.propagationDelay = .microseconds(Int64(l.delayMs * 1000))
        c.jitter = .microseconds(Int64(l.jitterMs * 1000))
        if l.loss > 0 { c.loss = .random(probability: l.loss) }
        if let ge = l.gilbertElliott {
            c.loss = .gilbertElliott(GilbertElliott(p: ge.p, r: ge.r, lossInBad: ge.lossInBad, lossInGood: ge.lossInGood))
        }
        if let x = l.crossTraffic {
            c.crossTraffic = CrossTraffic(kbps: x.kbps, packetSize: x.packetSize, start: .seconds(x.startS),
                                          onDuration: x.onS.map { .microseconds(Int64($0 * 1_000_000)) },
                                          offDuration: .microseconds(Int64(x.offS * 1_000_000)))
        }
        if let q = l.queueMs { c.queueLimit = .milliseconds(q) }
        c.seed = seed
        return c
    }

    static func utilization(_ rows: [TimeseriesRow]) -> Double {
        var delivered = 0.0, capacity = 0.0
        for r in rows {
            guard let cap = r.capacityKbps, cap < 100_000 else { continue }
            delivered += r.deliveredKbps
            capacity += cap
        }
        return capacity > 0 ? delivered / capacity : 0
    }

    /// Seconds from each increase of capacity until the estimate first reaches 90 % of it.
    /// The goal is 90 % of the new capacity, or of what the publishers may send at most
    /// (`max_kbps` × publishers) when that is lower.
    static func rampups(_ rows: [TimeseriesRow], limitKbps: Double = .infinity) -> [Double?] {
        var result: [Double?] = []
        var previous: Double?
        for (i, r) in rows.enumerated() {
            guard let cap = r.capacityKbps else { continue }
            if let p = previous, cap > p * 1.2, cap < 100_000 {
                let goal = 0.9 * min(cap, limitKbps)
                let hit = rows[i...].first { $0.estimateKbps >= goal || ($0.capacityKbps ?? cap) < cap * 0.95 }
                if let hit, hit.estimateKbps >= goal { result.append(hit.timeS - r.timeS + 0.2) } else { result.append(nil) }
            }
            previous = cap
        }
        return result
    }

    /// Seconds from each decrease of capacity until the estimate is first at or under it.
    static func dropResponses(_ rows: [TimeseriesRow]) -> [Double?] {
        var result: [Double?] = []
        var previous: Double?
        for (i, r) in rows.enumerated() {
            guard let cap = r.capacityKbps else { continue }
            if let p = previous, cap < p / 1.2 {
                let hit = rows[i...].first { $0.estimateKbps <= cap || abs(($0.capacityKbps ?? cap) - cap) > cap * 0.05 }
                if let hit, hit.estimateKbps <= cap { result.append(hit.timeS - r.timeS + 0.2) } else { result.append(nil) }
            }
            previous = cap
        }
        return result
    }

    /// Jain's fairness index: 1 when every flow got the same, 1/n when one got everything.
    static func jain(_ x: [Double]) -> Double? {
        let sum = x.reduce(0, +), squares = x.reduce(0) { $0 + $1 * $1 }
        return squares > 0 ? sum * sum / (Double(x.count) * squares) : nil
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }
}

/// The node as an endpoint of the emulated network.
public final class NodeAdapter: EmulatedEndpoint {
    public let node: Node
    public let address: TransportAddress
    public init(node: Node, address: TransportAddress) {
        self.node = node
        self.address = address
    }
    public func receive(_ datagram: Datagram, now: Instant) -> [Datagram] {
        wrap(node.handle(.datagram(datagram.bytes, from: datagram.from), now: now))
    }
    public var nextDeadline: Instant? { node.nextDeadline }
    public func handleTimeout(now: Instant) -> [Datagram] { wrap(node.handle(.timeout, now: now)) }
    private func wrap(_ t: [Transmit]) -> [Datagram] { t.map { Datagram(bytes: $0.bytes, from: address, to: $0.to) } }
}

/// A simulated peer as an endpoint of the emulated network.
public final class PeerAdapter: EmulatedEndpoint {
    public let peer: SimulatedPeer
    public init(_ peer: SimulatedPeer) { self.peer = peer }
    public func receive(_ datagram: Datagram, now: Instant) -> [Datagram] { wrap(peer.receive(datagram.bytes, now: now)) }
    public var nextDeadline: Instant? { peer.nextDeadline }
    public func handleTimeout(now: Instant) -> [Datagram] { wrap(peer.handleTimeout(now: now)) }
    private func wrap(_ t: [Transmit]) -> [Datagram] { t.map { Datagram(bytes: $0.bytes, from: peer.address, to: $0.to) } }
}
