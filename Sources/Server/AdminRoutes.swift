import Foundation
import Hummingbird
import Node

/// `GET /api/rooms` (JSON), `PUT /api/rooms/{room}/processing`, `GET /metrics` (Prometheus
/// text), `GET /healthz` and the demo page at `/`. With `auth.admin_token` set, `/api/…` needs it
/// as a bearer token; `/metrics`, `/healthz` and the page stay open (scrapers and probes).
struct AdminRoutes: Sendable {
    let runtime: NodeRuntime
    let metrics: MetricsExporter
    let adminToken: String?

    private func refusal(_ request: Request) -> Response? {
        guard let adminToken else { return nil }
        return bearerRefusal(request, token: adminToken, reason: "the admin API needs its bearer token (auth.admin_token)")
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/rooms") { request, _ in
            if let refused = refusal(request) { return refused }
            let rooms = await runtime.rooms()
            var enabled: [String: Bool] = [:]
            for room in rooms { enabled[room.name] = await runtime.isProcessingEnabled(room: room.name) }
            let listing = RoomListing(rooms: rooms, processing: await runtime.processingSnapshots(), enabled: enabled)
            return try json(listing)
        }
        // The restored rendition of one room: `{"enabled": true|false}`, or `null` to follow the
        // configuration again. Answers the room's resulting state.
        router.put("/api/rooms/:room/processing") { request, context in
            if let refused = refusal(request) { return refused }
            guard let room = context.parameters.get("room"), isValidRoomName(room) else {
                return plain(.badRequest, "room names are 1-64 characters of A-Z a-z 0-9 - _ .")
            }
            let body = try await request.body.collect(upTo: 4096)
            let setting: ProcessingSetting
            do {
                setting = try JSONDecoder().decode(ProcessingSetting.self, from: Data(buffer: body))
            } catch {
                return plain(.badRequest, "expected a JSON object {\"enabled\": true, false or null}")
            }
            guard await runtime.setProcessing(room: room, enabled: setting.enabled) else {
                return plain(.conflict, "too many rooms with their own processing setting "
                             + "(\(Node.maximumProcessingOverrides)); set some back to null first")
            }
            return try json(ProcessingSetting(enabled: await runtime.isProcessingEnabled(room: room)))
        }
        router.get("/metrics") { _, _ in
            let text = metrics.render(counters: await runtime.counters(), rooms: await runtime.rooms(),
                                      processing: await runtime.processingSnapshots())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in plain(.ok, "ok") }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: DemoPage.html)))
        }
    }
}

/// The demo page, loaded once from the target's resources.
enum DemoPage {
    static let html: String = {
        guard let url = Bundle.module.url(forResource: "index", withExtension: "html", subdirectory: "Public"),
              let text = try? String(contentsOf: url, encoding: .utf8) else {
            return "<!doctype html><title>Loupe</title><p>The demo page is missing from this build.</p>"
        }
        return text
    }()
}

/// The body of `PUT /api/rooms/{room}/processing` and its answer.
struct ProcessingSetting: Codable, Sendable {
    /// Absent or null: follow the configuration (`processing.enabled`).
    var enabled: Bool?
}

/// `GET /api/rooms`: the node's rooms, plus each room's restored-rendition switch and the
/// renditions being produced.
struct RoomListing: Encodable, Sendable {
    struct Rendition: Encodable, Sendable {
        var track: String
        var processor: String
        var codec: String
        var framesIn: Int
        var framesOut: Int
        var fallbacks: Int
        /// All frames dropped: `dropsBy` split by the queue that was full.
        var drops: Int
        /// Drops by stage: `input` (compressed frames waiting for the decoder), `processor`
        /// (decoded pictures waiting for the processor), `encoder` (processed pictures waiting
        /// for the encoder).
        var dropsBy: [String: Int]
        var bitrateKbps: Int
        /// Milliseconds from a frame's arrival at the pipeline to its encoded output.
        var latencyP50Ms: Double?
        var latencyP95Ms: Double?
    }
    struct Room: Encodable, Sendable {
        var name: String
        var publishers: [RoomSnapshot.Session]
        var subscribers: [RoomSnapshot.Session]
        var processing: Bool
        var renditions: [Rendition]
    }
    var rooms: [Room]

    init(rooms: [RoomSnapshot], processing: [ProcessingSnapshot], enabled: [String: Bool]) {
        self.rooms = rooms.map { room in
            Room(name: room.name, publishers: room.publishers, subscribers: room.subscribers,
                 processing: enabled[room.name] ?? false,
                 renditions: processing.filter { $0.room == room.name }.map { p in
                     let c = p.statistics.counters
                     return Rendition(track: p.track, processor: p.processor, codec: p.codec,
                                      framesIn: c.framesSubmitted, framesOut: c.framesOutput,
                                      fallbacks: c.deadlineFallbacks,
                                      drops: c.inputDrops + c.processorDrops + c.encoderDrops,
                                      dropsBy: ["input": c.inputDrops, "processor": c.processorDrops,
                                                "encoder": c.encoderDrops],
                                      bitrateKbps: p.statistics.bitrateKbps,
                                      latencyP50Ms: milliseconds(p.statistics.total.p50),
                                      latencyP95Ms: milliseconds(p.statistics.total.p95))
                 })
        }
    }
}

private func json(_ value: some Encodable) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data = try encoder.encode(value)
    return Response(status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

private func milliseconds(_ d: Duration?) -> Double? {
    d.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
}
