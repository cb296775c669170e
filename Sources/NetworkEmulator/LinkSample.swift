public import SansIO

/// Names one direction of a connection in a `Network`.
public struct LinkID: Hashable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(index: Int) { self.index = index }

    public var description: String { "link\(index)" }
}

/// One row of a link's timeseries: what happened on it during one sampling
/// window `[start, end)` (200 ms by default).
///
/// Utilization over a window is `deliveredKbps / capacityKbps`. Delivered
/// bytes count when they arrive, so a window can show more than its capacity
/// when a queue drains after a capacity drop or jitter bunches packets.
public struct LinkSample: Hashable, Sendable {
    public var start: Instant
    public var end: Instant
    /// Average capacity over the window in kbps; `nil` when unlimited.
    public var capacityKbps: Double?
    /// Bytes that arrived during the window, as kbps.
    public var deliveredKbps: Double
    /// Mean queue delay of the packets accepted during the window, in ms
    /// (`nil` when none was accepted).
    public var queueDelayMs: Double?
    /// Packets dropped during the window (queue, random loss, no capacity).
    public var lossCount: Int

    public init(start: Instant, end: Instant, capacityKbps: Double?, deliveredKbps: Double,
                queueDelayMs: Double?, lossCount: Int) {
        self.start = start
        self.end = end
        self.capacityKbps = capacityKbps
        self.deliveredKbps = deliveredKbps
        self.queueDelayMs = queueDelayMs
        self.lossCount = lossCount
    }

    /// The CSV header matching `csvLine`.
    public static let csvHeader = "time_ms,capacity_kbps,delivered_kbps,queue_delay_ms,loss_count"

    /// One CSV line: window start in ms, then the values; an unlimited
    /// capacity or an absent queue delay is an empty field.
    public var csvLine: String {
        let capacity = capacityKbps.map { format($0) } ?? ""
        let delay = queueDelayMs.map { format($0) } ?? ""
        return "\(format(Double(start.microseconds) / 1000)),\(capacity),\(format(deliveredKbps)),\(delay),\(lossCount)"
    }

    /// A whole timeseries as CSV text, header first.
    public static func csv(_ samples: [LinkSample]) -> String {
        ([csvHeader] + samples.map(\.csvLine)).joined(separator: "\n") + "\n"
    }

    /// Fixed three decimals, trailing zeros removed, without Foundation.
    private func format(_ value: Double) -> String {
        let scaled = (value * 1000).rounded()
        guard scaled.isFinite, abs(scaled) < 9e15 else { return "\(value)" }
        let milli = Int64(scaled)
        let sign = milli < 0 ? "-" : ""
        let whole = abs(milli) / 1000
        var fraction = String(abs(milli) % 1000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }
}
