import Foundation

/// A capacity trace as a list of segments, in the JSON format of the OpenNetLab
/// bandwidth-estimation gym (AlphaRTC, ACM MMSys 2021 challenge):
///
/// ```json
/// { "uplink": { "trace_pattern": [
///     { "duration": 500, "capacity": 1000, "loss": 0.1, "rtt": 200, "jitter": 0 } ] } }
/// ```
///
/// `duration` is in ms, `capacity` in kbps, `loss` a fraction, `rtt` and
/// `jitter` in ms. The pattern repeats when a run is longer than the trace.
/// Capacities above `unlimitedAboveKbps` are placeholders in the published
/// traces and are treated as unlimited.
public struct SegmentTrace: Hashable, Sendable {
    /// The longest segment accepted, in ms (about 11.6 days); longer ones are
    /// certainly mistakes and would overflow microsecond arithmetic.
    public static let maximumDurationMs: Double = 1_000_000_000

    /// Capacities strictly above this many kbps mean "no bottleneck".
    public static let unlimitedAboveKbps: Double = 100_000

    /// One piece of the pattern.
    public struct Segment: Hashable, Sendable {
        /// Length in milliseconds (may be fractional; 0 makes the segment inert).
        public var durationMs: Double
        /// Capacity in kbps; `nil` for unlimited.
        public var capacityKbps: Double?
        /// Probability that a packet is lost while this segment is current.
        public var loss: Double?
        /// Round-trip time in ms; the link uses half of it as one-way delay.
        public var rttMs: Double?
        /// Jitter (standard deviation of the extra delay) in ms.
        public var jitterMs: Double?

        public init(durationMs: Double, capacityKbps: Double?, loss: Double? = nil,
                    rttMs: Double? = nil, jitterMs: Double? = nil) {
            self.durationMs = durationMs
            self.capacityKbps = capacityKbps
            self.loss = loss
            self.rttMs = rttMs
            self.jitterMs = jitterMs
        }
    }

    /// Which direction's pattern to read from the file.
    public enum Direction: String, Sendable {
        case uplink, downlink
    }

    /// The segments in order; the total duration is positive.
    public let segments: [Segment]
    /// Segment start offsets in µs within one period (same count as `segments`).
    let startsUs: [Int64]
    /// The repetition period in µs (> 0).
    public let periodUs: Int64

    /// A trace from segments; `nil` when empty or of zero total duration.
    public init?(segments: [Segment]) {
        var starts: [Int64] = []
        var total: Int64 = 0
        for segment in segments {
            guard segment.durationMs.isFinite, segment.durationMs >= 0,
                  segment.durationMs <= SegmentTrace.maximumDurationMs else { return nil }
            starts.append(total)
            total += Int64((segment.durationMs * 1000).rounded())
        }
        guard total > 0 else { return nil }
        self.segments = segments
        self.startsUs = starts
        self.periodUs = total
    }

    /// Loads a trace file; errors name the file and the 0-based segment index.
    public static func load(path: String, direction: Direction = .uplink) throws(TraceError) -> SegmentTrace {
        let text = try TraceError.readText(path: path)
        return try parse(text: text, name: URL(fileURLWithPath: path).lastPathComponent, direction: direction)
    }

    /// Parses JSON text in the gym's format.
    public static func parse(text: String, name: String = "<text>",
                             direction: Direction = .uplink) throws(TraceError) -> SegmentTrace {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch {
            throw .structure(file: name, message: "not valid JSON")
        }
        guard case let .object(object) = root else {
            throw .structure(file: name, message: "the top level is not an object")
        }
        guard case let .object(link)? = object[direction.rawValue] else {
            throw .structure(file: name, message: "no '\(direction.rawValue)' object")
        }
        guard case let .array(pattern)? = link["trace_pattern"] else {
            throw .structure(file: name, message: "'\(direction.rawValue).trace_pattern' is missing or not a list")
        }
        var segments: [Segment] = []
        for (index, entry) in pattern.enumerated() {
            guard case let .object(fields) = entry else {
                throw .segment(file: name, index: index, message: "is not an object")
            }
            func number(_ key: String, required: Bool) throws(TraceError) -> Double? {
                guard let value = fields[key], value != .null else {
                    if required { throw .segment(file: name, index: index, message: "'\(key)' is missing") }
                    return nil
                }
                guard case let .number(n) = value, n.isFinite else {
                    throw .segment(file: name, index: index, message: "'\(key)' is not a number")
                }
                guard n >= 0 else {
                    throw .segment(file: name, index: index, message: "'\(key)' is negative (\(n))")
                }
                return n
            }
            let duration = try number("duration", required: true) ?? 0
            if duration > maximumDurationMs {
                throw .segment(file: name, index: index, message: "'duration' is too long (\(duration) ms)")
            }
            let capacity = try number("capacity", required: true) ?? 0
            let loss = try number("loss", required: false)
            if let loss, loss > 1 {
                throw .segment(file: name, index: index, message: "'loss' is above 1 (\(loss))")
            }
            segments.append(Segment(
                durationMs: duration,
                capacityKbps: capacity > unlimitedAboveKbps ? nil : capacity,
                loss: loss,
                rttMs: try number("rtt", required: false),
                jitterMs: try number("jitter", required: false)))
        }
        guard let trace = SegmentTrace(segments: segments) else {
            throw .structure(file: name, message: segments.isEmpty
                ? "'\(direction.rawValue).trace_pattern' has no segments"
                : "the segments' total duration is 0 ms")
        }
        return trace
    }

    /// The segment current at `offsetUs` µs after the trace started (the
    /// pattern repeats), with the µs remaining until it ends.
    public func segment(atOffsetUs offsetUs: Int64) -> (segment: Segment, remainingUs: Int64) {
        let inPeriod = ((offsetUs % periodUs) + periodUs) % periodUs
        // Last start <= inPeriod (zero-length segments are skipped by taking the last).
        var low = 0
        var high = startsUs.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if startsUs[mid] <= inPeriod { low = mid } else { high = mid - 1 }
        }
        let end = low + 1 < startsUs.count ? startsUs[low + 1] : periodUs
        return (segments[low], end - inPeriod)
    }
}

/// A JSON value as the trace parser needs it: numbers, booleans and strings
/// kept apart (Foundation's `JSONSerialization` blurs `true` and `1` on Linux).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
