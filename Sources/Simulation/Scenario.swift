import Foundation
import Yams

/// A simulation scenario (`Simulations/*.yaml`), e.g.
/// ```yaml
/// duration_s: 100
/// seed: 1
/// source: {synthetic: talking-head}
/// publisher: {codec: vp8, width: 1280, height: 720, fps: 30, start_kbps: 300}
/// uplink:   {capacity_kbps: 1000, steps: [{at_s: 40, kbps: 2500}], delay_ms: 50, loss: 0.0, queue_ms: 300}
/// downlink: {capacity_kbps: 5000, delay_ms: 20}
/// subscribers: 1
/// ```
/// An uplink or downlink may give `trace:` (a Mahimahi file or an OpenNetLab JSON segment
/// list, relative to the scenario file) instead of `capacity_kbps`.
public struct Scenario: Decodable, Sendable {
    public struct Publisher: Decodable, Sendable {
        public var codec = "vp8"
        public var width = 1280
        public var height = 720
        public var fps = 30
        public var startKbps = 300
        public var maxKbps = 5000
        enum CodingKeys: String, CodingKey, CaseIterable {
            case codec, width, height, fps, startKbps = "start_kbps", maxKbps = "max_kbps"
        }
        public init() {}
        public init(from d: any Decoder) throws {
            try rejectUnknownKeys(in: d, CodingKeys.self)
            let c = try d.container(keyedBy: CodingKeys.self)
            codec = try c.decodeIfPresent(String.self, forKey: .codec) ?? codec
            width = try c.decodeIfPresent(Int.self, forKey: .width) ?? width
            height = try c.decodeIfPresent(Int.self, forKey: .height) ?? height
            fps = try c.decodeIfPresent(Int.self, forKey: .fps) ?? fps
            startKbps = try c.decodeIfPresent(Int.self, forKey: .startKbps) ?? startKbps
            maxKbps = try c.decodeIfPresent(Int.self, forKey: .maxKbps) ?? maxKbps
        }
    }

    public struct Step: Decodable, Sendable {
        public var atS: Double
        public var kbps: Double
        enum CodingKeys: String, CodingKey, CaseIterable { case atS = "at_s", kbps }
        public init(from d: any Decoder) throws {
            try rejectUnknownKeys(in: d, CodingKeys.self)
            let c = try d.container(keyedBy: CodingKeys.self)
            atS = try c.decode(Double.self, forKey: .atS)
            kbps = try c.decode(Double.self, forKey: .kbps)
        }
    }

    public struct Link: Decodable, Sendable {
        public var capacityKbps: Double?
        public var steps: [Step] = []
        public var trace: String?
        public var delayMs = 0.0
        public var jitterMs = 0.0
        public var loss = 0.0
        public var queueMs: Double?
        /// Bursty loss instead of `loss`: `{p, r, loss_in_bad: 1, loss_in_good: 0}` (Gilbert–Elliott;
        /// p good→bad, r bad→good, per packet).
        public var gilbertElliott: GilbertElliottLoss?
        /// Open-loop competing traffic sharing the queue: `{kbps, packet_size: 1200, start_s: 0,
        /// on_s, off_s}` (constant without on_s).
        public var crossTraffic: Cross?
        enum CodingKeys: String, CodingKey, CaseIterable {
            case capacityKbps = "capacity_kbps", steps, trace, delayMs = "delay_ms", jitterMs = "jitter_ms"
            case loss, queueMs = "queue_ms", gilbertElliott = "gilbert_elliott", crossTraffic = "cross_traffic"
        }

        public struct GilbertElliottLoss: Decodable, Sendable {
            public var p: Double
            public var r: Double
            public var lossInBad = 1.0
            public var lossInGood = 0.0
            enum CodingKeys: String, CodingKey, CaseIterable { case p, r, lossInBad = "loss_in_bad", lossInGood = "loss_in_good" }
            public init(from d: any Decoder) throws {
                try rejectUnknownKeys(in: d, CodingKeys.self)
                let c = try d.container(keyedBy: CodingKeys.self)
                p = try c.decode(Double.self, forKey: .p)
                r = try c.decode(Double.self, forKey: .r)
                lossInBad = try c.decodeIfPresent(Double.self, forKey: .lossInBad) ?? 1
                lossInGood = try c.decodeIfPresent(Double.self, forKey: .lossInGood) ?? 0
                for (key, value) in [(CodingKeys.p, p), (.r, r), (.lossInBad, lossInBad), (.lossInGood, lossInGood)]
                where !(0...1).contains(value) {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "expected a probability from 0 to 1")
                }
            }
        }

        public struct Cross: Decodable, Sendable {
            public var kbps: Double
            public var packetSize = 1200
            public var startS = 0.0
            public var onS: Double?
            public var offS = 0.0
            enum CodingKeys: String, CodingKey, CaseIterable {
                case kbps, packetSize = "packet_size", startS = "start_s", onS = "on_s", offS = "off_s"
            }
            public init(from d: any Decoder) throws {
                try rejectUnknownKeys(in: d, CodingKeys.self)
                let c = try d.container(keyedBy: CodingKeys.self)
                kbps = try c.decode(Double.self, forKey: .kbps)
                packetSize = try c.decodeIfPresent(Int.self, forKey: .packetSize) ?? 1200
                startS = try c.decodeIfPresent(Double.self, forKey: .startS) ?? 0
                onS = try c.decodeIfPresent(Double.self, forKey: .onS)
                offS = try c.decodeIfPresent(Double.self, forKey: .offS) ?? 0
                guard kbps >= 0, kbps <= 10_000_000 else {
                    throw DecodingError.dataCorruptedError(forKey: .kbps, in: c, debugDescription: "expected kbps from 0 to 10000000")
                }
                guard (40...65_535).contains(packetSize) else {
                    throw DecodingError.dataCorruptedError(forKey: .packetSize, in: c, debugDescription: "expected bytes from 40 to 65535")
                }
                guard startS >= 0, offS >= 0, onS.map({ $0 > 0 }) ?? true else {
                    throw DecodingError.dataCorruptedError(forKey: .onS, in: c, debugDescription: "expected start_s ≥ 0, on_s > 0, off_s ≥ 0")
                }
            }
        }
        public init() {}
        public init(from d: any Decoder) throws {
            try rejectUnknownKeys(in: d, CodingKeys.self)
            let c = try d.container(keyedBy: CodingKeys.self)
            capacityKbps = try c.decodeIfPresent(Double.self, forKey: .capacityKbps)
            steps = try c.decodeIfPresent([Step].self, forKey: .steps) ?? []
            trace = try c.decodeIfPresent(String.self, forKey: .trace)
            delayMs = try c.decodeIfPresent(Double.self, forKey: .delayMs) ?? 0
            jitterMs = try c.decodeIfPresent(Double.self, forKey: .jitterMs) ?? 0
            loss = try c.decodeIfPresent(Double.self, forKey: .loss) ?? 0
            queueMs = try c.decodeIfPresent(Double.self, forKey: .queueMs)
            gilbertElliott = try c.decodeIfPresent(GilbertElliottLoss.self, forKey: .gilbertElliott)
            crossTraffic = try c.decodeIfPresent(Cross.self, forKey: .crossTraffic)
            if gilbertElliott != nil && loss > 0 {
                throw DecodingError.dataCorruptedError(forKey: .gilbertElliott, in: c, debugDescription: "expected either loss or gilbert_elliott, not both")
            }
            if capacityKbps == nil && trace == nil {
                throw DecodingError.keyNotFound(CodingKeys.capacityKbps, .init(
                    codingPath: d.codingPath, debugDescription: "expected capacity_kbps (a number) or trace (a file)"))
            }
            guard (0...1).contains(loss) else {
                throw DecodingError.dataCorruptedError(forKey: .loss, in: c, debugDescription: "expected a fraction from 0 to 1")
            }
        }
    }

    public var durationS: Double
    public var seed: UInt64 = 1
    /// At most this many frames of a `file` source are loaded (a 720p frame is 1.4 MB).
    public static let maxClipFrames = 150

    /// What the publisher sends.
    public enum Source: Sendable, Equatable {
        /// `{synthetic: scene}` (or `talking-head`): the built-in moving scene (`Media.SyntheticScene`:
        /// gradient, sliding bars, a moving disc, the frame index as blocks) encoded by libvpx.
        case scene
        /// `{synthetic: paced}`: packets of the target size per frame, no codec (fast).
        case paced
        /// `{file: clip.y4m}`: a Y4M clip (4:2:0, relative to the scenario file), looped; the
        /// first `Scenario.maxClipFrames` frames are used.
        case file(String)
    }
    public var source = Source.scene
    public var publisher = Publisher()
    public var uplink: Link
    public var downlink = Link()
    public var subscribers = 1
    /// Publishers on the same host, sharing the uplink (each in its own room).
    public var publishers = 1
    /// Publishers that stop sending frames for a while (RFC 8867 5.8).
    public var pauses: [Pause] = []

    public struct Pause: Decodable, Sendable {
        /// 1-based publisher number.
        public var publisher: Int
        public var atS: Double
        public var resumeS: Double
        enum CodingKeys: String, CodingKey, CaseIterable { case publisher, atS = "at_s", resumeS = "resume_s" }
        public init(from d: any Decoder) throws {
            try rejectUnknownKeys(in: d, CodingKeys.self)
            let c = try d.container(keyedBy: CodingKeys.self)
            publisher = try c.decode(Int.self, forKey: .publisher)
            atS = try c.decode(Double.self, forKey: .atS)
            resumeS = try c.decode(Double.self, forKey: .resumeS)
        }
    }
    /// The folder the scenario file is in (traces are relative to it).
    public var directory = "."

    enum CodingKeys: String, CodingKey, CaseIterable {
        case durationS = "duration_s", seed, source, publisher, uplink, downlink, subscribers, publishers, pauses
    }

    public init(from d: any Decoder) throws {
        try rejectUnknownKeys(in: d, CodingKeys.self)
        let c = try d.container(keyedBy: CodingKeys.self)
        durationS = try c.decode(Double.self, forKey: .durationS)
        guard durationS > 0, durationS <= 3600 else {
            throw DecodingError.dataCorruptedError(forKey: .durationS, in: c, debugDescription: "expected seconds from 0 to 3600")
        }
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        publisher = try c.decodeIfPresent(Publisher.self, forKey: .publisher) ?? Publisher()
        uplink = try c.decode(Link.self, forKey: .uplink)
        downlink = try c.decodeIfPresent(Link.self, forKey: .downlink) ?? {
            var l = Link(); l.capacityKbps = 100_000; return l
        }()
        subscribers = try c.decodeIfPresent(Int.self, forKey: .subscribers) ?? 1
        publishers = try c.decodeIfPresent(Int.self, forKey: .publishers) ?? 1
        guard (1...16).contains(publishers) else {
            throw DecodingError.dataCorruptedError(forKey: .publishers, in: c, debugDescription: "expected 1 to 16")
        }
        guard (0...50).contains(subscribers) else {
            throw DecodingError.dataCorruptedError(forKey: .subscribers, in: c, debugDescription: "expected 0 to 50")
        }
        pauses = try c.decodeIfPresent([Pause].self, forKey: .pauses) ?? []
        for pause in pauses where !(1...publishers).contains(pause.publisher) || pause.resumeS <= pause.atS {
            throw DecodingError.dataCorruptedError(forKey: .pauses, in: c,
                debugDescription: "expected publisher from 1 to \(publishers) and resume_s after at_s")
        }
        // `source` is {synthetic: scene | talking-head | paced}; {file: PATH} needs the Y4M reader.
        if c.contains(.source) {
            let s = try c.decode([String: String].self, forKey: .source)
            guard s.count == 1, let (kind, name) = s.first else {
                throw DecodingError.dataCorruptedError(forKey: .source, in: c, debugDescription: "expected one of {synthetic: NAME}, {file: PATH}")
            }
            switch (kind, name) {
            case ("synthetic", "scene"), ("synthetic", "talking-head"): source = .scene
            case ("synthetic", "paced"): source = .paced
            case ("synthetic", _):
                throw DecodingError.dataCorruptedError(forKey: .source, in: c, debugDescription: "expected synthetic: scene, talking-head or paced, found \(name)")
            case ("file", _): source = .file(name)
            default:
                throw DecodingError.dataCorruptedError(forKey: .source, in: c, debugDescription: "expected synthetic or file, found \(kind)")
            }
        }
        guard ["vp8"].contains(publisher.codec) || source == .paced else {
            throw DecodingError.dataCorruptedError(forKey: .publisher, in: c, debugDescription: "codec \(publisher.codec): the simulated publisher encodes vp8 (vp9 is not packetized yet)")
        }
    }

    /// Loads a scenario file; errors name the field and what was expected.
    public static func load(path: String) throws(ScenarioError) -> Scenario {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ScenarioError(message: "cannot read scenario \(path)")
        }
        do {
            var scenario = try YAMLDecoder().decode(Scenario.self, from: text)
            scenario.directory = (path as NSString).deletingLastPathComponent
            return scenario
        } catch let error as DecodingError {
            throw ScenarioError(message: "\(path): \(describe(error))")
        } catch {
            throw ScenarioError(message: "\(path): not valid YAML: \(error)")
        }
    }
}

/// A key the scenario format does not know is an error (a misspelt `delay_msec` would otherwise
/// silently mean 0 ms).
private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private func rejectUnknownKeys<K: CodingKey & CaseIterable>(in d: any Decoder, _: K.Type) throws {
    let known = Set(K.allCases.map(\.stringValue))
    let c = try d.container(keyedBy: AnyKey.self)
    if let unknown = c.allKeys.first(where: { !known.contains($0.stringValue) }) {
        throw DecodingError.dataCorrupted(.init(
            codingPath: d.codingPath + [unknown],
            debugDescription: "unknown key (expected one of \(K.allCases.map(\.stringValue).joined(separator: ", ")))"))
    }
}

public struct ScenarioError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

func describe(_ error: DecodingError) -> String {
    func path(_ c: [any CodingKey]) -> String {
        c.isEmpty ? "(top level)" : c.reduce("") { path, key in
            if let index = key.intValue { return path + "[\(index)]" }
            return path.isEmpty ? key.stringValue : path + "." + key.stringValue
        }
    }
    switch error {
    case let .typeMismatch(type, ctx): return "\(path(ctx.codingPath)): expected \(type)"
    case let .valueNotFound(type, ctx): return "\(path(ctx.codingPath)): expected \(type), found nothing"
    case let .keyNotFound(key, ctx):
        let why = ctx.debugDescription.hasPrefix("No value associated") ? "required" : ctx.debugDescription
        return "\(path(ctx.codingPath + [key])): missing (\(why))"
    case let .dataCorrupted(ctx): return "\(path(ctx.codingPath)): \(ctx.debugDescription)"
    @unknown default: return "\(error)"
    }
}
