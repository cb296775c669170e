import Foundation

/// Why a trace file could not be loaded. The description always names the
/// file, and the line (Mahimahi) or the segment index and field (JSON), e.g.
/// `4G_500kbps.json: segment 7: 'capacity' is not a number`.
public enum TraceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// A Mahimahi line (1-based) is malformed.
    case line(file: String, line: Int, message: String)
    /// A JSON segment (0-based index into `trace_pattern`) is malformed.
    case segment(file: String, index: Int, message: String)
    /// The file as a whole is malformed (not JSON, no segments, no opportunities).
    case structure(file: String, message: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .line(file, line, message): return "\(file): line \(line): \(message)"
        case let .segment(file, index, message): return "\(file): segment \(index): \(message)"
        case let .structure(file, message): return "\(file): \(message)"
        }
    }

    /// Reads a whole file as UTF-8 text.
    static func readText(path: String) throws(TraceError) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(file: name, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(file: name, reason: "not UTF-8 text")
        }
        return text
    }
}

/// A Mahimahi packet-delivery trace (Netravali et al., USENIX ATC 2015): one
/// integer per line, the millisecond at which the link may deliver one
/// 1500-byte packet ("delivery opportunity"). Several lines may carry the same
/// millisecond (several opportunities at once). The trace repeats with a period
/// equal to its last timestamp, as `mm-link` does.
public struct MahimahiTrace: Hashable, Sendable {
    /// The largest timestamp accepted (about 11.6 days), far beyond any real
    /// trace, so that microsecond arithmetic cannot overflow.
    public static let maximumTimestampMs: Int64 = 1_000_000_000

    /// Bytes one delivery opportunity can carry.
    public static let bytesPerOpportunity = 1500

    /// Opportunity times in milliseconds from the start of a period, non-decreasing.
    public let opportunitiesMs: [Int64]
    /// The repetition period in milliseconds (the last timestamp, > 0).
    public let periodMs: Int64

    /// A trace from opportunity times; `nil` when empty, decreasing or with a
    /// period of zero.
    public init?(opportunitiesMs: [Int64]) {
        guard let last = opportunitiesMs.last, last > 0, last <= Self.maximumTimestampMs,
              zip(opportunitiesMs, opportunitiesMs.dropFirst()).allSatisfy({ $0 <= $1 }),
              let first = opportunitiesMs.first, first >= 0 else { return nil }
        self.opportunitiesMs = opportunitiesMs
        self.periodMs = last
    }

    /// Loads a trace file; errors name the file and the 1-based line.
    public static func load(path: String) throws(TraceError) -> MahimahiTrace {
        let text = try TraceError.readText(path: path)
        return try parse(text: text, name: URL(fileURLWithPath: path).lastPathComponent)
    }

    /// Parses trace text. Blank lines and surrounding whitespace are ignored;
    /// anything else must be a non-negative whole number not below the previous one.
    public static func parse(text: String, name: String = "<text>") throws(TraceError) -> MahimahiTrace {
        var times: [Int64] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let ms = Int64(line) else {
                throw .line(file: name, line: lineNumber,
                            message: "'\(line.prefix(40))' is not a whole number of milliseconds")
            }
            guard ms >= 0 else {
                throw .line(file: name, line: lineNumber, message: "timestamp \(ms) is negative")
            }
            guard ms <= maximumTimestampMs else {
                throw .line(file: name, line: lineNumber, message: "timestamp \(ms) is too large")
            }
            if let previous = times.last, ms < previous {
                throw .line(file: name, line: lineNumber,
                            message: "timestamp \(ms) is earlier than the previous one (\(previous))")
            }
            times.append(ms)
        }
        guard let trace = MahimahiTrace(opportunitiesMs: times) else {
            throw .structure(file: name, message: times.isEmpty
                ? "no delivery opportunities"
                : "the last timestamp must be above 0 ms (it is the repetition period)")
        }
        return trace
    }

    /// The average capacity of the whole trace in kbps.
    public var averageKbps: Double {
        Double(opportunitiesMs.count * Self.bytesPerOpportunity * 8) / Double(periodMs)
    }

    /// The index of the first opportunity at or after `offsetMs` within one period
    /// (`opportunitiesMs.count` when there is none).
    func firstIndex(atOrAfter offsetMs: Int64) -> Int {
        var low = 0
        var high = opportunitiesMs.count
        while low < high {
            let mid = (low + high) / 2
            if opportunitiesMs[mid] < offsetMs { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The number of opportunities whose absolute time (trace started at 0 ms)
    /// falls in `[fromMs, toMs)`.
    func opportunities(fromMs: Int64, toMs: Int64) -> Int {
        countBefore(toMs) - countBefore(fromMs)
    }

    /// Opportunities strictly before absolute time `ms` (0 for `ms <= 0`).
    private func countBefore(_ ms: Int64) -> Int {
        guard ms > 0 else { return 0 }
        let cycles = ms / periodMs
        let offset = ms % periodMs
        return Int(cycles) * opportunitiesMs.count + firstIndex(atOrAfter: offset)
    }
}
