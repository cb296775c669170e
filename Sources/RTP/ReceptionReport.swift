/// A report block of a sender or receiver report (RFC 3550 §6.4.1): reception statistics
/// about one source.
public struct ReceptionReport: Sendable, Hashable {
    /// The source this block reports on (SSRC_n).
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, as a fixed-point number /256.
    public var fractionLost: UInt8
    /// Cumulative number of packets lost: a signed 24-bit value (negative with duplicates).
    public var cumulativeLost: Int32
    /// Extended highest sequence number received (cycles << 16 | highest seq).
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR from this source (LSR), 0 if none.
    public var lastSenderReport: UInt32
    /// Delay since that SR in units of 1/65536 s (DLSR).
    public var delaySinceLastSenderReport: UInt32

    /// The size of one block in bytes.
    public static let size = 24

    public init(ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
                extendedHighestSequenceNumber: UInt32 = 0, jitter: UInt32 = 0,
                lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    /// Reads one block; the caller has checked that 24 bytes remain.
    init(reading reader: inout ByteReader) {
        ssrc = reader.u32()
        fractionLost = reader.u8()
        let lost = reader.u24()
        // Sign-extend the 24-bit two's complement value.
        cumulativeLost = Int32(bitPattern: lost << 8) >> 8
        extendedHighestSequenceNumber = reader.u32()
        jitter = reader.u32()
        lastSenderReport = reader.u32()
        delaySinceLastSenderReport = reader.u32()
    }

    /// Writes the block; `cumulativeLost` is clamped to the signed 24-bit range.
    func write(to out: inout [UInt8]) {
        out.appendU32(ssrc)
        out.append(fractionLost)
        let clamped = max(-0x80_0000, min(0x7F_FFFF, cumulativeLost))
        out.appendU24(UInt32(bitPattern: clamped) & 0xFF_FFFF)
        out.appendU32(extendedHighestSequenceNumber)
        out.appendU32(jitter)
        out.appendU32(lastSenderReport)
        out.appendU32(delaySinceLastSenderReport)
    }

    /// Reads `count` blocks, throwing when the body is too short.
    static func readBlocks(_ count: Int, from reader: inout ByteReader, packetType: UInt8)
        throws(RTCPParseError) -> [ReceptionReport]
    {
        guard reader.remaining >= count * size else { throw .countMismatch(packetType: packetType, count: count) }
        var blocks: [ReceptionReport] = []
        blocks.reserveCapacity(count)
        for _ in 0..<count { blocks.append(ReceptionReport(reading: &reader)) }
        return blocks
    }
}
