public import Logging
import DTLS
import Foundation
import Hummingbird
import Inference
import Media
import Metrics
import NIOCore
import NIOPosix
import Node
import Prometheus
import Restoration
import SansIO
import ServiceLifecycle

/// The running node: one UDP socket for every peer, the HTTP server for signaling, the admin API,
/// `/metrics` and the demo page; stops gracefully on SIGTERM or SIGINT.
public struct LoupeServer: Sendable {
    public let configuration: LoupeConfiguration
    public let logger: Logger

    public init(configuration: LoupeConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let http = try HostPort(configuration.http.listen, key: "http.listen")
        let udp = try HostPort(configuration.udp.listen, key: "udp.listen")
        let candidates = try candidateAddresses(udp: udp)

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let clock = MonotonicClock()
        let certificate = try DTLSCertificate.generate(unixTime: Int64(Date().timeIntervalSince1970))
        var nodeConfig = try nodeConfiguration(candidates: candidates)
        nodeConfig.ntpTimeAtZero = ntpNow()
        let node = Node(configuration: nodeConfig, certificate: certificate)
        logger.info("DTLS certificate generated", metadata: ["fingerprint": "\(certificate.fingerprint.hex)"])
        let runtime = NodeRuntime(node: node, clock: clock, eventLoop: loop, logger: logger,
                                  processing: try processingSetup(clock: clock))

        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(UDPHandler(runtime: runtime))
                }
            }
            .bind(host: udp.host, port: udp.port)
            .get()
        await runtime.attach(channel)
        logger.info("UDP listening", metadata: [
            "address": "\(udp.host):\(udp.port)",
            "candidates": "\(candidates.map(\.description).joined(separator: " "))",
        ])

        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(MetricsMiddleware())
        let origin: CORSMiddleware<BasicRequestContext>.AllowOriginExtended =
            configuration.http.corsAllowOrigin == "*" ? .all : .custom(configuration.http.corsAllowOrigin)
        router.middlewares.add(CORSMiddleware(
            allowOrigin: origin,
            allowHeaders: [.accept, .authorization, .contentType, .origin, .ifMatch],
            allowMethods: [.get, .post, .patch, .delete, .options],
            exposedHeaders: ["Location", "ETag", "Link", "Accept-Patch"]))
        SignalingRoutes(runtime: runtime, configuration: configuration).register(on: router)
        AdminRoutes(runtime: runtime, metrics: MetricsExporter(registry: registry), adminToken: configuration.auth.adminToken)
            .register(on: router)

        let logger = self.logger
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(http.host, port: http.port), serverName: "Loupe"),
            onServerRunning: { _ in logger.info("HTTP listening", metadata: ["address": "http://\(http.host):\(http.port)/"]) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: app), .init(service: UDPService(channel: channel, runtime: runtime))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    private func candidateAddresses(udp: HostPort) throws -> [TransportAddress] {
        let ips = configuration.udp.publicIPs.isEmpty ? [udp.host] : configuration.udp.publicIPs
        return try ips.map { ip in
            guard let address = TransportAddress(ipv4: ip, port: UInt16(udp.port)) else {
                throw ConfigurationError(message: "udp.public_ips: '\(ip)' is not an IPv4 address")
            }
            if ip == "0.0.0.0" {
                throw ConfigurationError(message: "udp.listen is 0.0.0.0: set udp.public_ips (or --public-ip) to the address peers reach")
            }
            return address
        }
    }

    /// The processor each rendition's pipeline runs; a model that cannot be loaded stops the
    /// node at start with the reason (not at the first restored subscriber).
    private func processingSetup(clock: MonotonicClock) throws -> ProcessingSetup {
        let settings = configuration.processing
        guard settings.method == "model" else { return .bicubic(settings) }
        let model: ModelFile
        do {
            if let path = settings.model {
                model = try ModelFile(contentsOfFile: path)
            } else {
                model = try RestorationProcessor.defaultModel()
            }
        } catch {
            throw ConfigurationError(message: "processing.model: \(error) (set processing.method: bicubic to run without it)")
        }
        let restoration = RestorationConfiguration(
            threads: settings.threads, tileReuse: settings.tileReuse,
            // auto: a share of each stream's frame interval, at most half the deadline (a frame
            // can wait one budget behind the frame before it and still leave in time)
            frameBudget: .milliseconds(settings.frameBudgetMs ?? max(1, settings.deadlineMs / 2)),
            frameBudgetShare: settings.frameBudgetMs == nil ? LoupeConfiguration.Processing.autoFrameBudgetShare : nil,
            maxWidth: settings.maxWidth, maxHeight: settings.maxHeight)
        let name = model.metadata["name"] ?? "model"
        logger.info("restoration model loaded", metadata: [
            "name": "\(name)", "path": "\(settings.model ?? RestorationProcessor.defaultModelPath ?? "-")",
            "threads": "\(settings.threads)", "tile_reuse": "\(settings.tileReuse)",
            "frame_budget_ms": "\(settings.frameBudgetMs.map(String.init) ?? "auto")",
        ])
        return ProcessingSetup(settings: settings, processorName: name) {
            try RestorationProcessor(model: model, configuration: restoration, clock: { clock.now() })
        }
    }

    private func nodeConfiguration(candidates: [TransportAddress]) throws -> NodeConfiguration {
        var c = NodeConfiguration(candidates: candidates)
        let f = configuration.forwarding
        c.videoCodecs = try f.videoCodecs.map { name in
            guard let codec = VideoCodec(rawValue: name.lowercased()) else {
                throw ConfigurationError(message: "forwarding.video_codecs: unknown codec '\(name)' (expected vp8 or vp9)")
            }
            return codec
        }
        c.keyframeRequestInterval = .milliseconds(f.keyframeRequestIntervalMs)
        c.rtxBufferPackets = f.rtxBufferPackets
        c.maxPublishBitrate = f.maxPublishKbps * 1000
        c.consentTimeout = .seconds(f.consentTimeoutS)
        c.maxSessions = configuration.limits.maxSessions
        c.maxSubscribersPerRoom = configuration.limits.maxSubscribersPerRoom
        let p = configuration.processing
        c.processing.enabled = p.enabled
        c.processing.startBitrate = p.startKbps * 1000
        c.processing.minBitrate = p.minKbps * 1000
        c.processing.maxBitrate = p.maxKbps * 1000
        return c
    }
}

/// Closes the node's sessions, then its socket, when the service group shuts down.
struct UDPService: Service {
    let channel: any Channel
    let runtime: NodeRuntime

    func run() async throws {
        try? await gracefulShutdown()
        await runtime.shutdown()
        try? await channel.close()
    }
}

/// `HOST:PORT` from the config or the command line.
struct HostPort: Sendable {
    var host: String
    var port: Int

    init(_ text: String, key: String) throws {
        guard let colon = text.lastIndex(of: ":"),
              let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw ConfigurationError(message: "\(key): '\(text)' is not HOST:PORT")
        }
        host = String(text[..<colon])
        self.port = port
    }
}

/// The wall clock as an NTP timestamp (RFC 3550 §4: seconds since 1900 in 32.32 fixed point).
func ntpNow() -> UInt64 {
    let unix = Date().timeIntervalSince1970
    let seconds = UInt64(unix) + 2_208_988_800
    let fraction = UInt64((unix - unix.rounded(.down)) * 4_294_967_296)
    return seconds << 32 | fraction
}
