/// Builds transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1)
/// from packet arrivals, one packet at a time, choosing chunk encodings on serialization.
///
/// Deltas are rounded to the nearest 250 µs and the running time advances by the rounded
/// delta, so rounding errors do not accumulate. When `add` returns anything but `.added`, the
/// packet was not taken: send this feedback and start a new one (with the next feedback
/// packet count) beginning at that packet.
public struct TransportFeedbackBuilder: Sendable, Hashable {
    /// The outcome of adding one packet.
    public enum AddResult: Sendable, Hashable {
        case added
        /// The arrival is too far (more than ±8.19 s) from the previous one for a 16-bit delta.
        case deltaOutOfRange
        /// The sequence number is not after the last one added (or before the base).
        case sequenceNumberNotNewer
        /// The feedback would describe more than 65535 packets.
        case tooManyPackets
    }

    public private(set) var feedback: TransportFeedback
    private var lastTime: Int64

    /// Starts a feedback at `baseSequenceNumber` whose reference time is
    /// `referenceTimeMicroseconds` rounded down to 64 ms (the wire value wraps at 24 bits).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16,
                feedbackPacketCount: UInt8, referenceTimeMicroseconds: Int64) {
        let unit = TransportFeedback.referenceTimeUnitMicroseconds
        var ticks = referenceTimeMicroseconds / unit
        if referenceTimeMicroseconds % unit < 0 { ticks -= 1 }
        let wire = Int32(truncatingIfNeeded: (ticks << 40) >> 40)
        feedback = TransportFeedback(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: baseSequenceNumber,
            referenceTime: wire, feedbackPacketCount: feedbackPacketCount, packets: [])
        lastTime = ticks &* unit
    }

    /// True until a packet has been added.
    public var isEmpty: Bool { feedback.packets.isEmpty }

    /// The serialized size of the feedback built so far.
    public var size: Int { feedback.size }

    /// Adds a packet: `arrivalMicroseconds` nil means not received. Sequence numbers skipped
    /// since the last one added are reported as not received.
    public mutating func add(sequenceNumber: UInt16, arrivalMicroseconds: Int64?) -> AddResult {
        let next = feedback.baseSequenceNumber &+ UInt16(truncatingIfNeeded: feedback.packets.count)
        let gap = Int(sequenceNumber &- next)
        if sequenceNumber != next {
            // Anything more than half the space ahead is an old packet, not a gap.
            guard gap < 0x8000 else { return .sequenceNumberNotNewer }
        }
        guard feedback.packets.count + gap + 1 <= Int(UInt16.max) else { return .tooManyPackets }

        var status = TransportFeedback.Status.notReceived
        var delta: Int64?
        if let arrivalMicroseconds {
            let unit = TransportFeedback.deltaUnitMicroseconds
            let difference = arrivalMicroseconds &- lastTime
            let ticks = difference >= 0 ? (difference + unit / 2) / unit : (difference - unit / 2) / unit
            guard ticks >= Int64(Int16.min), ticks <= Int64(Int16.max) else { return .deltaOutOfRange }
            status = (0...255).contains(ticks) ? .smallDelta : .largeDelta
            delta = ticks * unit
        }
        for missing in 0..<gap {
            feedback.packets.append(TransportFeedback.PacketResult(
                sequenceNumber: next &+ UInt16(truncatingIfNeeded: missing), status: .notReceived,
                deltaMicroseconds: nil))
        }
        feedback.packets.append(TransportFeedback.PacketResult(
            sequenceNumber: sequenceNumber, status: status, deltaMicroseconds: delta))
        if let delta { lastTime &+= delta }
        return .added
    }

    /// Adds packets in order until one does not fit; returns how many were added.
    public mutating func add(_ packets: [(sequenceNumber: UInt16, arrivalMicroseconds: Int64?)]) -> Int {
        var added = 0
        for packet in packets {
            guard add(sequenceNumber: packet.sequenceNumber, arrivalMicroseconds: packet.arrivalMicroseconds)
                == .added else { break }
            added += 1
        }
        return added
    }

    /// The feedback's bytes.
    public func serialize() -> [UInt8] { feedback.serialize() }
}
