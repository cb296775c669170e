import ArgumentParser
import Foundation
import Logging
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node: WHIP/WHEP signaling over HTTP, media over one UDP port.")

    @Option(help: "YAML config file (docs/configuration.md). Default: Config/loupe.yaml if it exists.")
    var config: String?
    @Option(help: "HTTP listen address HOST:PORT (overrides http.listen).")
    var http: String?
    @Option(help: "UDP listen address HOST:PORT (overrides udp.listen).")
    var udp: String?
    @Option(name: .customLong("public-ip"), help: "Address advertised as ICE candidate (overrides udp.public_ips; repeatable).")
    var publicIPs: [String] = []
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical (overrides log_level).")
    var logLevel: String?

    func run() async throws {
        var configuration = LoupeConfiguration()
        let path = config ?? (FileManager.default.fileExists(atPath: "Config/loupe.yaml") ? "Config/loupe.yaml" : nil)
        do {
            if let path { configuration = try LoupeConfiguration.load(path: path) }
        } catch {
            throw ValidationError(error.description)
        }
        if let http { configuration.http.listen = http }
        if let udp { configuration.udp.listen = udp }
        if !publicIPs.isEmpty { configuration.udp.publicIPs = publicIPs }
        if let logLevel { configuration.logLevel = logLevel }
        guard let level = Logger.Level(rawValue: configuration.logLevel) else {
            throw ValidationError("log level '\(configuration.logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "loupe")
        logger.logLevel = level
        if let path { logger.info("config loaded", metadata: ["path": "\(path)"]) }
        do {
            try await LoupeServer(configuration: configuration, logger: logger).run()
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}
