/// Transport-wide congestion control feedback, RTPFB (PT 205) FMT 15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): for a run of transport-wide
/// sequence numbers, whether each packet arrived and its arrival time as deltas.
///
/// Wire layout after the feedback header: base sequence number (16), packet status count (16),
/// reference time (signed 24 bits, 64 ms units), feedback packet count (8), 16-bit packet
/// chunks, receive deltas in 250 µs units (1 byte unsigned for a small delta, 2 bytes signed
/// for a large one), zero padding to 32 bits.
public struct TransportFeedback: Sendable, Hashable {
    /// The feedback message's format number.
    public static let format: UInt8 = 15
    /// Receive delta unit in microseconds.
    public static let deltaUnitMicroseconds: Int64 = 250
    /// Reference time unit in microseconds.
    public static let referenceTimeUnitMicroseconds: Int64 = 64_000

    /// A packet status symbol (§3.1.1).
    public enum Status: UInt8, Sendable, Hashable {
        /// 00: packet not received.
        case notReceived = 0
        /// 01: received, delta of 0…255 units in one byte.
        case smallDelta = 1
        /// 10: received, delta in two signed bytes (large or negative).
        case largeDelta = 2
    }

    /// One reported packet.
    public struct PacketResult: Sendable, Hashable {
        public var sequenceNumber: UInt16
        public var status: Status
        /// Arrival time minus the previous received packet's (or the reference time for the
        /// first), in microseconds (a multiple of 250); nil when not received.
        public var deltaMicroseconds: Int64?

        public init(sequenceNumber: UInt16, status: Status, deltaMicroseconds: Int64?) {
            self.sequenceNumber = sequenceNumber
            self.status = status
            self.deltaMicroseconds = deltaMicroseconds
        }
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    /// Reference time in 64 ms units, a signed 24-bit value (−2^23 … 2^23−1); it wraps, so
    /// compare consecutive feedbacks modulo 2^24.
    public var referenceTime: Int32
    /// Feedback packet count, incremented per feedback packet sent (wraps at 256).
    public var feedbackPacketCount: UInt8
    /// One entry per sequence number from `baseSequenceNumber` on, in order. Serialization
    /// uses each entry's position, status and delta (its `sequenceNumber` is not consulted);
    /// at most 65535 are written.
    public var packets: [PacketResult]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
                feedbackPacketCount: UInt8, packets: [PacketResult]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.packets = packets
    }

    /// The reference time in microseconds.
    public var referenceTimeMicroseconds: Int64 { Int64(referenceTime) * Self.referenceTimeUnitMicroseconds }

    /// Arrival times of the received packets in microseconds in the sender's time base
    /// (reference time plus the running sum of deltas), in report order.
    public var receivedArrivals: [(sequenceNumber: UInt16, arrivalMicroseconds: Int64)] {
        var time = referenceTimeMicroseconds
        var result: [(sequenceNumber: UInt16, arrivalMicroseconds: Int64)] = []
        for packet in packets {
            guard let delta = packet.deltaMicroseconds else { continue }
            time &+= delta
            result.append((packet.sequenceNumber, time))
        }
        return result
    }

    /// Parses exactly one transport-cc feedback packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> TransportFeedback {
        try TransportFeedback(RTCPFrame.single(bytes, packetType: RTCPPacketType.transportFeedback, format: format))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let type = RTCPPacketType.transportFeedback
        var reader = ByteReader(frame.body)
        guard reader.remaining >= 16 else {
            throw .invalidFCILength(packetType: type, format: Self.format, length: max(0, frame.body.count - 8))
        }
        senderSSRC = reader.u32()
        mediaSSRC = reader.u32()
        baseSequenceNumber = reader.u16()
        let statusCount = Int(reader.u16())
        referenceTime = Int32(bitPattern: reader.u24() << 8) >> 8
        feedbackPacketCount = reader.u8()

        var statuses: [Status] = []
        statuses.reserveCapacity(statusCount)
        while statuses.count < statusCount {
            guard reader.remaining >= 2 else {
                throw .transportFeedbackChunksTruncated(statusCount: statusCount, described: statuses.count)
            }
            let chunk = reader.u16()
            let sequenceNumber = baseSequenceNumber &+ UInt16(truncatingIfNeeded: statuses.count)
            guard TransportFeedbackChunk.decode(chunk, into: &statuses, limit: statusCount) else {
                throw .transportFeedbackReservedSymbol(sequenceNumber: sequenceNumber)
            }
        }

        let needed = statuses.reduce(0) { $0 + Int($1.rawValue) }
        guard reader.remaining >= needed else {
            throw .transportFeedbackDeltasTruncated(needed: needed, available: reader.remaining)
        }
        var packets: [PacketResult] = []
        packets.reserveCapacity(statusCount)
        for (offset, status) in statuses.enumerated() {
            let sequenceNumber = baseSequenceNumber &+ UInt16(truncatingIfNeeded: offset)
            let delta: Int64?
            switch status {
            case .notReceived: delta = nil
            case .smallDelta: delta = Int64(reader.u8()) * Self.deltaUnitMicroseconds
            case .largeDelta: delta = Int64(Int16(bitPattern: reader.u16())) * Self.deltaUnitMicroseconds
            }
            packets.append(PacketResult(sequenceNumber: sequenceNumber, status: status, deltaMicroseconds: delta))
        }
        // Only zero padding to the 32-bit boundary may follow.
        guard reader.remaining < 4 else { throw .unexpectedBytes(packetType: type, count: reader.remaining) }
        self.packets = packets
    }

    private var writtenPackets: ArraySlice<PacketResult> { packets.prefix(Int(UInt16.max)) }

    private var chunks: [UInt16] { TransportFeedbackChunk.encode(writtenPackets.map(\.status)) }

    private var deltaBytes: Int { writtenPackets.reduce(0) { $0 + Int($1.status.rawValue) } }

    /// The serialized size in bytes.
    public var size: Int { (20 + 2 * chunks.count + deltaBytes + 3) / 4 * 4 }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    /// Writes the packet; a delta that does not fit its status's width is clamped.
    func write(to out: inout [UInt8]) {
        let chunks = self.chunks
        let bodySize = (16 + 2 * chunks.count + deltaBytes + 3) / 4 * 4
        let start = out.count
        out.appendRTCPHeader(count: Self.format, packetType: RTCPPacketType.transportFeedback, bodySize: bodySize)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        out.appendU16(baseSequenceNumber)
        out.appendU16(UInt16(writtenPackets.count))
        out.appendU24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        out.append(feedbackPacketCount)
        for chunk in chunks { out.appendU16(chunk) }
        for packet in writtenPackets {
            let ticks = (packet.deltaMicroseconds ?? 0) / Self.deltaUnitMicroseconds
            switch packet.status {
            case .notReceived: break
            case .smallDelta: out.append(UInt8(clamping: ticks))
            case .largeDelta: out.appendU16(UInt16(bitPattern: Int16(clamping: ticks)))
            }
        }
        while (out.count - start) % 4 != 0 { out.append(0) }
    }
}
