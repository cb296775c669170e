public import SansIO

/// The packets recently sent on one outgoing stream, kept so a subscriber's NACK can be answered
/// with an RTX retransmission (RFC 4588). Bounded by count and age; the oldest go first.
public struct RetransmissionBuffer: Sendable {
    public struct Entry: Sendable {
        /// The packet as sent, before SRTP protection.
        public var packet: [UInt8]
        public var sentAt: Instant
        public var lastResentAt: Instant?
    }

    public let capacity: Int
    public let maxAge: Duration
    private var slots: [Entry?]
    private var sequences: [UInt16?]

    /// - Parameters:
    ///   - capacity: packets kept; a power of two keeps indexing cheap (default 1024,
    ///     about 3 s of 2.5 Mbps video).
    ///   - maxAge: older packets are not resent: the subscriber has moved on.
    public init(capacity: Int = 1024, maxAge: Duration = .seconds(2)) {
        self.capacity = max(1, capacity)
        self.maxAge = maxAge
        slots = Array(repeating: nil, count: self.capacity)
        sequences = Array(repeating: nil, count: self.capacity)
    }

    /// Stores a sent packet under its (outgoing) sequence number.
    public mutating func store(sequence: UInt16, packet: [UInt8], sentAt: Instant) {
        let i = Int(sequence) % capacity
        slots[i] = Entry(packet: packet, sentAt: sentAt, lastResentAt: nil)
        sequences[i] = sequence
    }

    /// The packet to retransmit for `sequence`, or `nil` when it is unknown, too old, or was
    /// already resent less than `minInterval` ago (a NACK repeated within one RTT).
    public mutating func packetForRetransmission(sequence: UInt16, now: Instant,
                                                 minInterval: Duration) -> [UInt8]? {
        let i = Int(sequence) % capacity
        guard sequences[i] == sequence, var entry = slots[i] else { return nil }
        if now - entry.sentAt > maxAge { return nil }
        if let last = entry.lastResentAt, now - last < minInterval { return nil }
        entry.lastResentAt = now
        slots[i] = entry
        return entry.packet
    }
}
