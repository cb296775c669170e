import Foundation
import Hummingbird
import Node

/// `GET /api/rooms` (JSON), `GET /metrics` (Prometheus text), `GET /healthz` and the demo page at `/`.
struct AdminRoutes: Sendable {
    let runtime: NodeRuntime
    let metrics: MetricsExporter

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/rooms") { _, _ in
            let rooms = await runtime.rooms()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(["rooms": rooms])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/metrics") { _, _ in
            let text = metrics.render(counters: await runtime.counters(), rooms: await runtime.rooms())
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
