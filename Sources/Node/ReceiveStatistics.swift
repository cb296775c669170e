public import RTP
public import SansIO

/// Per-source reception statistics for receiver reports: sequence tracking with wrap-around
/// (RFC 3550 §A.1), loss (§A.3) and interarrival jitter (§A.8).
public struct ReceiveStatistics: Sendable {
    public let ssrc: UInt32
    public let clockRate: UInt32

    private var sequences = SequenceNumberUnwrapper()   // its `last` is the highest, extended
    private var baseSequence: Int64 = 0
    private var received: Int64 = 0
    private var expectedAtLastReport: Int64 = 0
    private var receivedAtLastReport: Int64 = 0
    private var jitterQ4: Int64 = 0             // jitter × 16, as in §A.8
    private var lastTransit: Int64?
    private var lastSR: (middle: UInt32, at: Instant)?

    public init(ssrc: UInt32, clockRate: UInt32) {
        self.ssrc = ssrc
        self.clockRate = max(clockRate, 1)
    }

    /// Packets received so far (duplicates included, as RFC 3550 counts them).
    public var packetsReceived: Int64 { received }

    /// Records one received RTP packet.
    public mutating func record(sequence: UInt16, rtpTimestamp: UInt32, arrival: Instant) {
        // The unwrapped value nearest to the highest seen (RFC 3550 §A.1 in spirit).
        let first = sequences.last == nil
        let ext = sequences.unwrapAgainstHighest(sequence)
        if first || ext < baseSequence { baseSequence = ext }
        received += 1

        // Jitter: D(i-1,i) = (Rj - Ri) - (Sj - Si), in RTP units.
        let arrivalUnits = arrival.microseconds * Int64(clockRate) / 1_000_000
        let transit = arrivalUnits - Int64(rtpTimestamp)
        if let last = lastTransit {
            // Timestamps wrap at 2^32: take the difference modulo 2^32 as a signed value.
            var d = transit - last
            d = Int64(Int32(truncatingIfNeeded: d))
            jitterQ4 += abs(d) - ((jitterQ4 + 8) >> 4)
        }
        lastTransit = transit
    }

    /// Records a sender report from this source (its NTP timestamp, for LSR/DLSR).
    public mutating func recordSenderReport(ntpTimestamp: UInt64, at now: Instant) {
        lastSR = (UInt32(truncatingIfNeeded: ntpTimestamp >> 16), now)
    }

    /// The report block for an RTCP RR or SR sent at `now`; advances the "since last report" window.
    public mutating func makeReport(now: Instant) -> ReceptionReport {
        let highestSequence = sequences.last ?? 0
        let expected = sequences.last == nil ? 0 : highestSequence - baseSequence + 1
        let lost = expected - received
        let expectedInterval = expected - expectedAtLastReport
        let receivedInterval = received - receivedAtLastReport
        expectedAtLastReport = expected
        receivedAtLastReport = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 = (expectedInterval <= 0 || lostInterval <= 0)
            ? 0 : UInt8(clamping: (lostInterval << 8) / expectedInterval)
        var dlsr: UInt32 = 0
        var lsr: UInt32 = 0
        if let sr = lastSR {
            lsr = sr.middle
            let elapsed = max(0, (now - sr.at).microseconds)
            dlsr = UInt32(clamping: elapsed * 65_536 / 1_000_000)
        }
        return ReceptionReport(
            ssrc: ssrc,
            fractionLost: fraction,
            cumulativeLost: Int32(clamping: min(max(lost, -0x80_0000), 0x7F_FFFF)),
            extendedHighestSequenceNumber: UInt32(truncatingIfNeeded: highestSequence),
            jitter: UInt32(clamping: jitterQ4 >> 4),
            lastSenderReport: lsr,
            delaySinceLastSenderReport: dlsr)
    }
}
