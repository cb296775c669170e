/// One generic NACK FCI entry (RFC 4585 §6.2.1): a lost packet ID and a bitmask of the
/// following 16 packets (bit i set: PID + i + 1 lost too).
public struct NACKEntry: Sendable, Hashable {
    /// PID: the sequence number of a lost packet.
    public var packetID: UInt16
    /// BLP: bitmask of following lost packets; the least significant bit is PID + 1.
    public var lostBitmask: UInt16

    public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
        self.packetID = packetID
        self.lostBitmask = lostBitmask
    }

    /// The sequence numbers this entry reports lost, in order (wrapping past 65535).
    public var sequenceNumbers: [UInt16] {
        var result = [packetID]
        for bit in 0..<16 where lostBitmask & (1 << bit) != 0 {
            result.append(packetID &+ UInt16(bit + 1))
        }
        return result
    }
}

/// Generic NACK, RTPFB (PT 205) FMT 1 (RFC 4585 §6.2.1).
public struct GenericNACK: Sendable, Hashable {
    /// The feedback message's format number.
    public static let format: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    /// The FCI entries; at least one is needed on the wire.
    public var entries: [NACKEntry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32, entries: [NACKEntry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    /// A NACK for these lost sequence numbers, with the fewest FCI entries.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lost sequenceNumbers: [UInt16]) {
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                  entries: Self.entries(for: sequenceNumbers))
    }

    /// Parses exactly one generic NACK packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> GenericNACK {
        try GenericNACK(RTCPFrame.single(bytes, packetType: RTCPPacketType.transportFeedback, format: format))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        let feedback = try frame.feedbackHeader()
        senderSSRC = feedback.sender
        mediaSSRC = feedback.media
        var reader = feedback.fci
        let fciLength = reader.remaining
        guard fciLength >= 4, fciLength % 4 == 0 else {
            throw .invalidFCILength(packetType: RTCPPacketType.transportFeedback, format: Self.format,
                                    length: fciLength)
        }
        var entries: [NACKEntry] = []
        entries.reserveCapacity(fciLength / 4)
        while reader.remaining >= 4 {
            entries.append(NACKEntry(packetID: reader.u16(), lostBitmask: reader.u16()))
        }
        self.entries = entries
    }

    /// Every sequence number reported lost, without duplicates, in sequence order (a lost
    /// packet before 65535 sorts before one after the wrap to 0).
    public var sequenceNumbers: [UInt16] {
        Self.sortedUnique(entries.flatMap(\.sequenceNumbers))
    }

    /// The minimal FCI entries covering these sequence numbers (duplicates ignored; wraparound
    /// handled as long as the numbers span less than half the sequence space).
    public static func entries(for sequenceNumbers: [UInt16]) -> [NACKEntry] {
        var result: [NACKEntry] = []
        for seq in sortedUnique(sequenceNumbers) {
            if let last = result.last {
                let distance = seq &- last.packetID
                if distance >= 1, distance <= 16 {
                    result[result.count - 1].lostBitmask |= 1 << (distance - 1)
                    continue
                }
            }
            result.append(NACKEntry(packetID: seq))
        }
        return result
    }

    /// Sorts in wrap-aware order relative to the first element, dropping duplicates.
    static func sortedUnique(_ sequenceNumbers: [UInt16]) -> [UInt16] {
        guard let first = sequenceNumbers.first else { return [] }
        var unwrapper = SequenceNumberUnwrapper()
        _ = unwrapper.unwrap(first)
        let keyed = sequenceNumbers.map { (unwrapper.unwrap($0, updating: false), $0) }
        var result: [UInt16] = []
        var previous: Int64?
        for (key, seq) in keyed.sorted(by: { $0.0 < $1.0 }) where key != previous {
            result.append(seq)
            previous = key
        }
        return result
    }

    /// The serialized size in bytes.
    public var size: Int { 12 + 4 * entries.count }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: Self.format, packetType: RTCPPacketType.transportFeedback, bodySize: size - 4)
        out.appendU32(senderSSRC)
        out.appendU32(mediaSSRC)
        for entry in entries {
            out.appendU16(entry.packetID)
            out.appendU16(entry.lostBitmask)
        }
    }
}
