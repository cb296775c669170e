import RTP
public import SansIO

/// Tracks a received RTP stream's sequence numbers and says which missing packets to request
/// with a generic NACK (RFC 4585 §6.2.1), retrying each at most `maxRetries` times, one RTT apart.
///
/// A gap larger than `maxGap`, or a packet still missing after `maxAge`, is given up on; the
/// caller learns it through `needsKeyframe` and should send a PLI instead.
public struct NackTracker: Sendable {
    public struct Settings: Sendable {
        public var maxGap: Int64 = 500
        public var maxRetries = 10
        public var maxAge: Duration = .milliseconds(1000)
        public var minRetryInterval: Duration = .milliseconds(20)
        public init() {}
    }

    private struct Missing {
        var firstMissedAt: Instant
        var lastRequestedAt: Instant?
        var requests: Int
    }

    public let settings: Settings
    private var sequences = SequenceNumberUnwrapper()
    private var missing: [Int64: Missing] = [:]
    /// Set when packets were given up on; the caller clears it after asking for a keyframe.
    public var needsKeyframe = false
    /// Retransmissions requested so far (each sequence number each time).
    public private(set) var requested: Int = 0
    /// Packets that arrived after being requested.
    public private(set) var recovered: Int = 0

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// The sequence numbers currently missing, oldest first.
    public var missingSequences: [UInt16] {
        missing.keys.sorted().map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Records a received packet.
    public mutating func record(sequence: UInt16, now: Instant) {
        let previous = sequences.last
        let ext = sequences.unwrapAgainstHighest(sequence)
        guard let top = previous else { return }
        let diff = ext - top
        if diff > 0 {
            if diff - 1 > settings.maxGap {
                missing.removeAll()
                needsKeyframe = true
            } else {
                var s = top + 1
                while s < ext {
                    missing[s] = Missing(firstMissedAt: now, lastRequestedAt: nil, requests: 0)
                    s += 1
                }
            }
        } else if let m = missing.removeValue(forKey: ext), m.requests > 0 {
            recovered += 1
        }
    }

    /// The sequence numbers to NACK at `now`, given the current round-trip estimate.
    public mutating func due(now: Instant, rtt: Duration) -> [UInt16] {
        let interval = max(rtt, settings.minRetryInterval)
        var out: [UInt16] = []
        for key in missing.keys.sorted() {
            guard var m = missing[key] else { continue }
            if now - m.firstMissedAt > settings.maxAge || m.requests >= settings.maxRetries {
                missing.removeValue(forKey: key)
                needsKeyframe = true
                continue
            }
            if let last = m.lastRequestedAt, now - last < interval { continue }
            m.lastRequestedAt = now
            m.requests += 1
            missing[key] = m
            out.append(UInt16(truncatingIfNeeded: key))
        }
        requested += out.count
        return out
    }

    /// When `due` next has something to say, if anything is missing.
    public func nextDeadline(rtt: Duration) -> Instant? {
        let interval = max(rtt, settings.minRetryInterval)
        return missing.values.map { m in
            m.lastRequestedAt.map { $0 + interval } ?? m.firstMissedAt
        }.min()
    }
}
