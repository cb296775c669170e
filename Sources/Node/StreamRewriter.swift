public import SansIO

/// Maps one or more incoming RTP sources onto a single outgoing stream with its own SSRC,
/// contiguous sequence numbers and a continuous timestamp line (RFC 7667 §3.7, "media switching
/// mixer"). Each subscriber gets one per track, so a publisher that restarts, changes SSRC, or is
/// replaced by another keeps the subscriber's decoder on one unbroken stream.
public struct StreamRewriter: Sendable {
    public let outgoingSSRC: UInt32
    private var currentSource: UInt32?
    private var sequenceOffset: UInt16 = 0
    private var timestampOffset: UInt32 = 0
    private var lastOutgoingSequence: UInt16
    private var lastOutgoingTimestamp: UInt32
    private var lastOutgoingAt: Instant?
    private var highestIncomingSequence: UInt16 = 0
    private let clockRate: UInt32

    /// - Parameters:
    ///   - initialSequence, initialTimestamp: random per RFC 3550 §5.1 (the caller draws them).
    public init(outgoingSSRC: UInt32, clockRate: UInt32, initialSequence: UInt16, initialTimestamp: UInt32) {
        self.outgoingSSRC = outgoingSSRC
        self.clockRate = clockRate
        lastOutgoingSequence = initialSequence &- 1
        lastOutgoingTimestamp = initialTimestamp
    }

    /// The outgoing sequence number and timestamp for an incoming packet.
    /// When `source` differs from the current one, the new source is spliced on after the last
    /// packet sent, advanced in time by the wall-clock gap.
    public mutating func rewrite(source: UInt32, sequence: UInt16, timestamp: UInt32,
                                 now: Instant) -> (sequence: UInt16, timestamp: UInt32) {
        if currentSource != source {
            currentSource = source
            sequenceOffset = (lastOutgoingSequence &+ 1) &- sequence
            let gap = lastOutgoingAt.map { max(Int64(1), (now - $0).microseconds) } ?? 1
            let advance = UInt32(truncatingIfNeeded: gap &* Int64(clockRate) / 1_000_000)
            timestampOffset = (lastOutgoingTimestamp &+ max(advance, 1)) &- timestamp
            highestIncomingSequence = sequence
        }
        let outSeq = sequence &+ sequenceOffset
        let outTs = timestamp &+ timestampOffset
        // Only packets newer than any sent move the "last sent" markers (reordering keeps them).
        if Int16(bitPattern: sequence &- highestIncomingSequence) >= 0 {
            highestIncomingSequence = sequence
            lastOutgoingSequence = outSeq
            lastOutgoingTimestamp = outTs
            lastOutgoingAt = now
        }
        return (outSeq, outTs)
    }

    /// The last outgoing timestamp, and when it was sent (for sender reports).
    public var lastSent: (timestamp: UInt32, at: Instant)? {
        lastOutgoingAt.map { (lastOutgoingTimestamp, $0) }
    }
}
