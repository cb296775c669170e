import Metrics
import Node
import Prometheus
import Synchronization

/// Serves `/metrics` in the Prometheus text format. swift-metrics is bootstrapped with the same
/// registry, so Hummingbird's request metrics and the node's own counters appear together.
/// The node keeps plain integer counters on its executor; each scrape adds what changed since the
/// previous scrape to the Prometheus counters and sets the gauges.
final class MetricsExporter: Sendable {
    let registry: PrometheusCollectorRegistry
    private struct State {
        var exported: [String: Int] = [:]
        var rooms: Set<String> = []
        var estimates: Set<[String]> = []
        var renditions: Set<[String]> = []
    }
    private let state = Mutex(State())

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Renders the metrics after folding in the node's current counters and rooms.
    func render(counters: NodeCounters, rooms: [RoomSnapshot], processing: [ProcessingSnapshot] = []) -> String {
        state.withLock { s in
            let c = counters
            let values: [(String, String, [(String, String)], Int)] = [
                ("loupe_datagrams_total", "UDP datagrams", [("direction", "in")], c.datagramsIn),
                ("loupe_datagrams_total", "UDP datagrams", [("direction", "out")], c.datagramsOut),
                ("loupe_bytes_total", "UDP payload bytes", [("direction", "in")], c.bytesIn),
                ("loupe_bytes_total", "UDP payload bytes", [("direction", "out")], c.bytesOut),
                ("loupe_rtp_packets_total", "RTP packets", [("direction", "in")], c.rtpPacketsIn),
                ("loupe_rtp_packets_total", "RTP packets", [("direction", "out")], c.rtpPacketsOut),
                ("loupe_rtcp_packets_total", "RTCP packets", [("direction", "in")], c.rtcpPacketsIn),
                ("loupe_rtcp_packets_total", "RTCP packets", [("direction", "out")], c.rtcpPacketsOut),
                ("loupe_nacks_total", "Generic NACK feedback packets", [("direction", "in")], c.nacksReceived),
                ("loupe_nacks_total", "Generic NACK feedback packets", [("direction", "out")], c.nacksSent),
                ("loupe_retransmissions_total", "RTX packets", [("direction", "out")], c.retransmissionsSent),
                ("loupe_retransmissions_total", "RTX packets", [("direction", "in")], c.retransmissionsReceived),
                ("loupe_plis_total", "Picture loss indications", [("direction", "in")], c.plisReceived),
                ("loupe_plis_total", "Picture loss indications", [("direction", "out")], c.plisSent),
                ("loupe_firs_total", "Full intra requests received", [], c.firsReceived),
                ("loupe_sessions_created_total", "WHIP/WHEP sessions created", [], c.sessionsCreated),
                ("loupe_sessions_ended_total", "WHIP/WHEP sessions ended", [], c.sessionsEnded),
                ("loupe_consent_expired_total", "Sessions reaped after losing ICE consent", [], c.consentExpired),
                ("loupe_processing_frames_total", "Restored rendition: frames through the node, by stage",
                 [("stage", "assembled")], c.processingFramesIn),
                ("loupe_processing_frames_total", "Restored rendition: frames through the node, by stage",
                 [("stage", "sent")], c.processingFramesOut),
                ("loupe_processing_frames_total", "Restored rendition: frames through the node, by stage",
                 [("stage", "assembler_dropped")], c.processingFramesDroppedByAssembler),
                ("loupe_processing_frames_total", "Restored rendition: frames through the node, by stage",
                 [("stage", "queue_dropped")], c.processingFramesDroppedByQueue),
                ("loupe_processing_keyframe_requests_total", "Keyframes asked of rendition encoders by restored subscribers",
                 [], c.processingKeyframeRequests),
            ] + DropReason.allCases.map { reason in
                ("loupe_dropped_packets_total", "Datagrams and packets dropped, by reason",
                 [("reason", reason.rawValue)], c.dropped[reason] ?? 0)
            }
            for (name, help, labels, value) in values {
                let key = name + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                let counter = registry.makeCounter(descriptor: descriptor(name, help), labels: labels)
                let previous = s.exported[key] ?? 0
                if value > previous { counter.increment(by: Int64(value - previous)) }
                s.exported[key] = value
            }

            var perRoom: [String: (Int, Int)] = [:]
            for room in rooms { perRoom[room.name] = (room.publishers.count, room.subscribers.count) }
            for gone in s.rooms.subtracting(perRoom.keys) {
                for role in ["publisher", "subscriber"] {
                    registry.unregisterGauge(registry.makeGauge(descriptor: descriptor("loupe_room_sessions", "Sessions in a room, by role"), labels: [("room", gone), ("role", role)]))
                }
            }
            s.rooms = Set(perRoom.keys)
            for (room, (pubs, subs)) in perRoom {
                registry.makeGauge(descriptor: descriptor("loupe_room_sessions", "Sessions in a room, by role"), labels: [("room", room), ("role", "publisher")]).set(Double(pubs))
                registry.makeGauge(descriptor: descriptor("loupe_room_sessions", "Sessions in a room, by role"), labels: [("room", room), ("role", "subscriber")]).set(Double(subs))
            }
            var estimates: [[String]: Int] = [:]
            for room in rooms {
                for p in room.publishers { if let e = p.uplinkEstimate { estimates[[room.name, p.id, "uplink"]] = e } }
                for sub in room.subscribers { if let e = sub.downlinkEstimate { estimates[[room.name, sub.id, "downlink"]] = e } }
            }
            let estimate = descriptor("loupe_bandwidth_estimate_bps",
                                      "The node's bandwidth estimate per session: publisher uplink (receive side), subscriber downlink (send side)")
            func labels(_ key: [String]) -> [(String, String)] {
                [("room", key[0]), ("session", key[1]), ("direction", key[2])]
            }
            for gone in s.estimates.subtracting(estimates.keys) {
                registry.unregisterGauge(registry.makeGauge(descriptor: estimate, labels: labels(gone)))
            }
            s.estimates = Set(estimates.keys)
            for (key, value) in estimates {
                registry.makeGauge(descriptor: estimate, labels: labels(key)).set(Double(value))
            }
            // Per rendition: pipeline counters (gauges: a pipeline restarts from zero) and latency.
            let frames = descriptor("loupe_rendition_frames", "Frames of a running rendition's pipeline, by stage")
            let latency = descriptor("loupe_rendition_latency_ms",
                                     "A rendition's latency from assembled frame to encoded output, by quantile")
            var current: [[String]: Double] = [:]
            for p in processing {
                let k = p.statistics.counters
                for (stage, value) in [("submitted", k.framesSubmitted), ("decoded", k.framesDecoded),
                                       ("processed", k.framesProcessed), ("fallback", k.deadlineFallbacks),
                                       ("encoded", k.framesEncoded),
                                       ("dropped", k.inputDrops + k.processorDrops + k.encoderDrops)] {
                    current[["frames", p.room, p.track, stage]] = Double(value)
                }
                for (q, d) in [("0.5", p.statistics.total.p50), ("0.95", p.statistics.total.p95)] {
                    if let d { current[["latency", p.room, p.track, q]] = Double(d.microseconds) / 1000 }
                }
            }
            func renditionGauge(_ key: [String]) -> Prometheus.Gauge {
                key[0] == "frames"
                    ? registry.makeGauge(descriptor: frames, labels: [("room", key[1]), ("track", key[2]), ("stage", key[3])])
                    : registry.makeGauge(descriptor: latency, labels: [("room", key[1]), ("track", key[2]), ("quantile", key[3])])
            }
            for gone in s.renditions.subtracting(current.keys) { registry.unregisterGauge(renditionGauge(gone)) }
            s.renditions = Set(current.keys)
            for (key, value) in current { renditionGauge(key).set(value) }

            registry.makeGauge(descriptor: descriptor("loupe_rooms", "Rooms with at least one session")).set(Double(rooms.count))
            let sessions = rooms.reduce(0) { $0 + $1.publishers.count + $1.subscribers.count }
            registry.makeGauge(descriptor: descriptor("loupe_sessions", "Open WHIP/WHEP sessions")).set(Double(sessions))

            var text: [UInt8] = []
            registry.emit(into: &text)
            return String(decoding: text, as: UTF8.self)
        }
    }
}

/// A metric's full name (`loupe_…`) and help text as swift-prometheus describes them.
private func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}
