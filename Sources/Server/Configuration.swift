import Foundation
import Yams

/// Loupe's configuration: `Config/loupe.yaml`, documented key by key in docs/configuration.md.
/// Every key is optional (the defaults are the values shown in that file); an unknown key is an
/// error, so a misspelt key never silently does nothing.
public struct LoupeConfiguration: Decodable, Sendable, Equatable {
    public struct HTTP: Decodable, Sendable, Equatable {
        /// `HOST:PORT` for WHIP/WHEP, the admin API, `/metrics` and the demo page.
        public var listen = "127.0.0.1:8080"
        /// `Access-Control-Allow-Origin` for browser pages on other origins: `"*"` or one origin.
        public var corsAllowOrigin = "*"
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case listen, corsAllowOrigin = "cors_allow_origin" }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? listen
            corsAllowOrigin = try c.decodeIfPresent(String.self, forKey: .corsAllowOrigin) ?? corsAllowOrigin
        }
    }

    public struct UDP: Decodable, Sendable, Equatable {
        /// `HOST:PORT` of the one UDP socket all peers share (ICE, DTLS, SRTP).
        public var listen = "127.0.0.1:50000"
        /// Addresses advertised as ICE host candidates; empty means the listening address.
        public var publicIPs: [String] = []
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case listen, publicIPs = "public_ips" }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? listen
            publicIPs = try c.decodeIfPresent([String].self, forKey: .publicIPs) ?? publicIPs
        }
    }

    public struct Auth: Decodable, Sendable, Equatable {
        /// Bearer token required for every room without its own; `null` means open rooms.
        public var token: String?
        /// Per-room bearer tokens, overriding `token`.
        public var rooms: [String: String] = [:]
        /// Bearer token the admin API (`/api/…`) requires; `null` means an open admin API.
        public var adminToken: String?
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable { case token, rooms, adminToken = "admin_token" }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            token = try c.decodeIfPresent(String.self, forKey: .token)
            rooms = try c.decodeIfPresent([String: String].self, forKey: .rooms) ?? rooms
            adminToken = try c.decodeIfPresent(String.self, forKey: .adminToken)
            for (key, value) in [("token", token), ("admin_token", adminToken)] + rooms.map({ ("rooms.\($0.key)", $0.value) })
            where value?.isEmpty == true {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath,
                                                        debugDescription: "auth.\(key) is empty: use null for no token"))
            }
        }

        /// The token a request for `room` must present, if any.
        public func token(for room: String) -> String? { rooms[room] ?? token }
    }

    public struct Limits: Decodable, Sendable, Equatable {
        /// Largest SDP body accepted; larger gets `413`.
        public var maxBodyBytes = 65_536
        /// Sessions (publishers + subscribers) across all rooms; more gets `503`.
        public var maxSessions = 1_000
        /// Subscribers in one room; more gets `503`.
        public var maxSubscribersPerRoom = 200
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxBodyBytes = "max_body_bytes", maxSessions = "max_sessions"
            case maxSubscribersPerRoom = "max_subscribers_per_room"
        }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
            maxSessions = try c.decodeIfPresent(Int.self, forKey: .maxSessions) ?? maxSessions
            maxSubscribersPerRoom = try c.decodeIfPresent(Int.self, forKey: .maxSubscribersPerRoom) ?? maxSubscribersPerRoom
        }
    }

    public struct Forwarding: Decodable, Sendable, Equatable {
        /// Video codecs the node accepts (`vp8`, `vp9`); the offer's order decides among them.
        public var videoCodecs = ["vp8", "vp9"]
        /// Least time between two keyframe requests (PLI) sent to one publisher.
        public var keyframeRequestIntervalMs = 500
        /// Packets kept per outgoing video stream to answer NACKs.
        public var rtxBufferPackets = 1_024
        /// Bitrate cap sent to publishers in REMB (publishers without transport-cc get the node's
        /// uplink estimate, never above this).
        public var maxPublishKbps = 2_500
        /// Seconds without ICE consent (binding requests or authenticated media) before a peer is gone.
        public var consentTimeoutS = 30
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable {
            case videoCodecs = "video_codecs", keyframeRequestIntervalMs = "keyframe_request_interval_ms"
            case rtxBufferPackets = "rtx_buffer_packets", maxPublishKbps = "max_publish_kbps"
            case consentTimeoutS = "consent_timeout_s"
        }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            videoCodecs = try c.decodeIfPresent([String].self, forKey: .videoCodecs) ?? videoCodecs
            keyframeRequestIntervalMs = try c.decodeIfPresent(Int.self, forKey: .keyframeRequestIntervalMs) ?? keyframeRequestIntervalMs
            rtxBufferPackets = try c.decodeIfPresent(Int.self, forKey: .rtxBufferPackets) ?? rtxBufferPackets
            maxPublishKbps = try c.decodeIfPresent(Int.self, forKey: .maxPublishKbps) ?? maxPublishKbps
            consentTimeoutS = try c.decodeIfPresent(Int.self, forKey: .consentTimeoutS) ?? consentTimeoutS
        }
    }

    public struct Processing: Decodable, Sendable, Equatable {
        /// Serve `POST /whep/{room}?variant=restored` subscribers a processed rendition of each
        /// published video track (per room: `PUT /api/rooms/{room}/processing`). When off, they
        /// receive the original.
        public var enabled = true
        /// `model`: the restoration network (repair + ×2 super-resolution on oneDNN);
        /// `bicubic`: the classic upscaler (Keys a = −0.5).
        public var method = "model"
        /// The model file for `method: model`; null: the model shipped with Loupe.
        public var model: String?
        /// oneDNN threads per rendition for `method: model`.
        public var threads = 1
        /// Temporal tile reuse for `method: model`: only tiles whose input changed are recomputed.
        public var tileReuse = true
        /// Time the network may spend on one frame; tiles it cannot finish in time are bicubic.
        /// nil (`auto`): 0.9 × the stream's frame interval, at most half of `deadline_ms`.
        public var frameBudgetMs: Int?
        /// The share of the frame interval that `frame_budget_ms: auto` gives the network.
        public static let autoFrameBudgetShare = 0.9
        /// The rendition's largest size: the publisher's picture × the processor's scale, fitted
        /// inside this box (aspect ratio kept).
        public var maxWidth = 1280
        public var maxHeight = 720
        /// The rendition encoder's target: where it starts, and the bounds of what the node
        /// derives from the restored subscribers' downlink estimates.
        public var startKbps = 1_000
        public var minKbps = 150
        public var maxKbps = 2_500
        /// The frame rate the rendition's encoder plans for.
        public var fps = 30
        /// A frame not through the processors this long after it was assembled takes the
        /// cheap path (libyuv bilinear) instead.
        public var deadlineMs = 100
        public init() {}
        enum CodingKeys: String, CodingKey, CaseIterable {
            case enabled, method, model, threads, tileReuse = "tile_reuse", frameBudgetMs = "frame_budget_ms"
            case maxWidth = "max_width", maxHeight = "max_height", startKbps = "start_kbps"
            case minKbps = "min_kbps", maxKbps = "max_kbps", fps, deadlineMs = "deadline_ms"
        }
        public init(from d: any Decoder) throws {
            let c = try strictContainer(d, CodingKeys.self)
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? enabled
            method = try c.decodeIfPresent(String.self, forKey: .method) ?? method
            model = try c.decodeIfPresent(String.self, forKey: .model)
            threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? threads
            tileReuse = try c.decodeIfPresent(Bool.self, forKey: .tileReuse) ?? tileReuse
            if c.contains(.frameBudgetMs) {
                if let text = try? c.decode(String.self, forKey: .frameBudgetMs), text == "auto" {
                    frameBudgetMs = nil
                } else if let milliseconds = try? c.decode(Int.self, forKey: .frameBudgetMs) {
                    frameBudgetMs = milliseconds
                } else {
                    let key = (c.codingPath + [CodingKeys.frameBudgetMs]).map(\.stringValue).joined(separator: ".")
                    throw DecodingError.dataCorruptedError(forKey: .frameBudgetMs, in: c,
                                                           debugDescription: "\(key): expected a number of milliseconds or auto")
                }
            }
            maxWidth = try c.decodeIfPresent(Int.self, forKey: .maxWidth) ?? maxWidth
            maxHeight = try c.decodeIfPresent(Int.self, forKey: .maxHeight) ?? maxHeight
            startKbps = try c.decodeIfPresent(Int.self, forKey: .startKbps) ?? startKbps
            minKbps = try c.decodeIfPresent(Int.self, forKey: .minKbps) ?? minKbps
            maxKbps = try c.decodeIfPresent(Int.self, forKey: .maxKbps) ?? maxKbps
            fps = try c.decodeIfPresent(Int.self, forKey: .fps) ?? fps
            deadlineMs = try c.decodeIfPresent(Int.self, forKey: .deadlineMs) ?? deadlineMs
        }

        /// The values the node cannot work with, named by key.
        func validate() throws(ConfigurationError) {
            func check(_ ok: Bool, _ message: String) throws(ConfigurationError) {
                if !ok { throw ConfigurationError(message: "processing.\(message)") }
            }
            try check(["model", "bicubic"].contains(method), "method: '\(method)' (expected model or bicubic)")
            try check((1...64).contains(threads), "threads: \(threads) not in 1...64")
            if let frameBudgetMs {
                try check((1...10_000).contains(frameBudgetMs), "frame_budget_ms: \(frameBudgetMs) not in 1...10000 (or auto)")
            }
            try check((16...7680).contains(maxWidth), "max_width: \(maxWidth) not in 16...7680")
            try check((16...4320).contains(maxHeight), "max_height: \(maxHeight) not in 16...4320")
            try check((1...100_000).contains(minKbps), "min_kbps: \(minKbps) not in 1...100000")
            try check((minKbps...100_000).contains(maxKbps), "max_kbps: \(maxKbps) not in min_kbps...100000")
            try check((minKbps...maxKbps).contains(startKbps), "start_kbps: \(startKbps) not in min_kbps...max_kbps")
            try check((1...120).contains(fps), "fps: \(fps) not in 1...120")
            try check((1...10_000).contains(deadlineMs), "deadline_ms: \(deadlineMs) not in 1...10000")
        }
    }

    public var http = HTTP()
    public var udp = UDP()
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var logLevel = "info"
    public var auth = Auth()
    public var limits = Limits()
    public var forwarding = Forwarding()
    public var processing = Processing()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case http, udp, logLevel = "log_level", auth, limits, forwarding, processing
    }

    public init(from d: any Decoder) throws {
        let c = try strictContainer(d, CodingKeys.self)
        http = try c.decodeIfPresent(HTTP.self, forKey: .http) ?? http
        udp = try c.decodeIfPresent(UDP.self, forKey: .udp) ?? udp
        logLevel = try c.decodeIfPresent(String.self, forKey: .logLevel) ?? logLevel
        auth = try c.decodeIfPresent(Auth.self, forKey: .auth) ?? auth
        limits = try c.decodeIfPresent(Limits.self, forKey: .limits) ?? limits
        forwarding = try c.decodeIfPresent(Forwarding.self, forKey: .forwarding) ?? forwarding
        processing = try c.decodeIfPresent(Processing.self, forKey: .processing) ?? processing
    }

    /// Parses YAML text; errors name the key path and what was expected.
    public static func parse(yaml: String) throws(ConfigurationError) -> LoupeConfiguration {
        do {
            if yaml.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return LoupeConfiguration() }
            let parsed = try YAMLDecoder().decode(LoupeConfiguration.self, from: yaml)
            try parsed.processing.validate()
            return parsed
        } catch let error as DecodingError {
            throw ConfigurationError(message: describe(error))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(message: "not valid YAML: \(error)")
        }
    }

    /// Reads and parses a config file.
    public static func load(path: String) throws(ConfigurationError) -> LoupeConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigurationError(message: "cannot read config file \(path)")
        }
        do { return try parse(yaml: text) } catch {
            throw ConfigurationError(message: "\(path): \(error.message)")
        }
    }
}

/// A config file Loupe cannot use, with the reason.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A keyed container that first rejects keys the type does not know.
private func strictContainer<K: CodingKey & CaseIterable>(_ decoder: any Decoder, _ keys: K.Type) throws
    -> KeyedDecodingContainer<K> {
    let raw = try decoder.container(keyedBy: AnyKey.self)
    let known = Set(K.allCases.map(\.stringValue))
    if let unknown = raw.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
        let path = (decoder.codingPath.map(\.stringValue) + [unknown]).joined(separator: ".")
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath,
            debugDescription: "unknown key '\(path)' (known here: \(K.allCases.map(\.stringValue).joined(separator: ", ")))"))
    }
    return try decoder.container(keyedBy: K.self)
}

private func describe(_ error: DecodingError) -> String {
    func path(_ c: [any CodingKey]) -> String {
        c.isEmpty ? "(top level)" : c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case let .typeMismatch(type, ctx):
        return "\(path(ctx.codingPath)): expected \(type)"
    case let .valueNotFound(type, ctx):
        return "\(path(ctx.codingPath)): expected a \(type), found null"
    case let .keyNotFound(key, ctx):
        return "\(path(ctx.codingPath + [key])): missing"
    case let .dataCorrupted(ctx):
        return ctx.debugDescription
    @unknown default:
        return "\(error)"
    }
}
