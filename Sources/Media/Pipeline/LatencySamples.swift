import SansIO

/// The most recent `capacity` durations of one kind (a stage's latency), for percentiles.
/// A fixed ring: memory does not grow with the number of frames.
public struct LatencySamples: Sendable, Hashable {
    public let capacity: Int
    private var ring: [Int64]
    private var next = 0
    /// Samples recorded since creation (not only those still held).
    public private(set) var recorded = 0

    public init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
        ring = []
        ring.reserveCapacity(self.capacity)
    }

    /// Adds one sample (negative durations count as zero).
    public mutating func record(_ duration: Duration) {
        let micros = max(0, duration.microseconds)
        if ring.count < capacity {
            ring.append(micros)
        } else {
            ring[next] = micros
        }
        next = (next + 1) % capacity
        recorded &+= 1
    }

    /// The `p`-th percentile (0…100, nearest rank) of the samples held; nil when there are none.
    public func percentile(_ p: Double) -> Duration? {
        guard !ring.isEmpty else { return nil }
        let sorted = ring.sorted()
        let rank = Int((min(max(p, 0), 100) / 100 * Double(sorted.count)).rounded(.up))
        let index = min(max(rank - 1, 0), sorted.count - 1)
        return .microseconds(sorted[index])
    }

    /// The median, 95th percentile and maximum of the samples held.
    public var summary: LatencySummary {
        LatencySummary(samples: recorded, p50: percentile(50), p95: percentile(95), max: percentile(100))
    }
}

/// Percentiles of a stage's recent latencies (nil: no sample yet).
public struct LatencySummary: Sendable, Hashable, CustomStringConvertible {
    public var samples: Int
    public var p50: Duration?
    public var p95: Duration?
    public var max: Duration?

    public init(samples: Int, p50: Duration?, p95: Duration?, max: Duration?) {
        self.samples = samples
        self.p50 = p50
        self.p95 = p95
        self.max = max
    }

    public var description: String {
        func ms(_ d: Duration?) -> String {
            guard let d else { return "–" }
            let tenths = (d.microseconds + 50) / 100
            return "\(tenths / 10).\(tenths % 10)"
        }
        return "p50 \(ms(p50)) ms, p95 \(ms(p95)) ms"
    }
}
