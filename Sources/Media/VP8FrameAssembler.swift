public import RTP

/// A whole VP8 frame rebuilt from its RTP packets.
public struct AssembledVP8Frame: Sendable, Hashable {
    public var timestamp: UInt32
    /// The VP8 frame: payload data of all packets in sequence order, descriptors removed.
    public var bytes: [UInt8]
    /// From the P bit of the frame header (RFC 7741 §4.3).
    public var isKeyframe: Bool
    /// Keyframes only: the picture size from the keyframe header (RFC 6386 §9.1).
    public var width: Int?
    public var height: Int?
    /// The first packet's PictureID, if it carried one.
    public var pictureID: UInt16?
    public var firstSequenceNumber: UInt16
    public var lastSequenceNumber: UInt16
    public var packetCount: Int
}

/// A frame given up before all its packets arrived.
public struct IncompleteVP8Frame: Sendable, Hashable {
    public var timestamp: UInt32
    public var receivedPackets: Int
    /// Gaps between the packets that did arrive (and the known first/last packet).
    public var missingSequenceNumbers: [UInt16]
    /// Whether the packet starting the frame (S = 1, PID = 0) arrived.
    public var hasFirstPacket: Bool
    /// Whether the packet with the marker bit arrived.
    public var hasLastPacket: Bool
}

/// What the assembler reports.
public enum VP8FrameAssemblerEvent: Sendable, Hashable {
    case frame(AssembledVP8Frame)
    /// A frame abandoned because a newer frame completed, too many frames were pending, it grew
    /// past the packet limit, or `flush` was called.
    case incomplete(IncompleteVP8Frame)
    /// A packet whose payload descriptor did not parse; the packet was dropped.
    case invalidPayload(sequenceNumber: UInt16, VP8PayloadDescriptorParseError)
    /// A complete frame whose VP8 frame header did not parse; the frame was dropped.
    case invalidFrame(timestamp: UInt32, VP8FrameHeaderParseError)
}

/// Collects VP8 RTP payloads (RFC 7741) by timestamp and emits each frame once every packet
/// from its first (S = 1, PID = 0) to its last (marker) has arrived, in any order.
///
/// Bounded: at most `maxPendingFrames` partial frames of at most `maxPacketsPerFrame` packets.
/// When a frame completes, older partial frames are reported incomplete and dropped; packets for
/// a timestamp at or before the last frame reported are ignored (counted in `latePackets`).
public struct VP8FrameAssembler: Sendable {
    public var maxPendingFrames: Int
    public var maxPacketsPerFrame: Int
    /// Packets ignored because their frame was already reported.
    public private(set) var latePackets = 0
    /// Packets ignored because the same sequence number was already held.
    public private(set) var duplicatePackets = 0

    private struct Piece: Sendable {
        var descriptor: VP8PayloadDescriptor
        var data: ArraySlice<UInt8>
    }

    private struct Partial: Sendable {
        var pieces: [UInt16: Piece] = [:]
        var startSequence: UInt16?
        var markerSequence: UInt16?
    }

    private var pending: [UInt32: Partial] = [:]
    private var lastReportedTimestamp: UInt32?

    public init(maxPendingFrames: Int = 8, maxPacketsPerFrame: Int = 2048) {
        self.maxPendingFrames = max(1, maxPendingFrames)
        self.maxPacketsPerFrame = max(1, min(maxPacketsPerFrame, 16384))
    }

    /// Number of frames waiting for packets.
    public var pendingFrames: Int { pending.count }

    /// Inserts an RTP packet carrying a VP8 payload.
    public mutating func insert(_ packet: RTPPacket) -> [VP8FrameAssemblerEvent] {
        insert(payload: packet.payload, sequenceNumber: packet.header.sequenceNumber,
               timestamp: packet.header.timestamp, marker: packet.header.marker)
    }

    /// Inserts one VP8 RTP payload with its RTP header fields.
    public mutating func insert(payload: [UInt8], sequenceNumber: UInt16, timestamp: UInt32,
                                marker: Bool) -> [VP8FrameAssemblerEvent] {
        let parsed: VP8Payload
        do {
            parsed = try VP8Payload.parse(payload)
        } catch {
            return [.invalidPayload(sequenceNumber: sequenceNumber, error)]
        }
        if let last = lastReportedTimestamp, !TimestampUnwrapper.isNewer(timestamp, than: last) {
            latePackets += 1
            return []
        }
        var partial = pending[timestamp] ?? Partial()
        guard partial.pieces[sequenceNumber] == nil else {
            duplicatePackets += 1
            return []
        }
        partial.pieces[sequenceNumber] = Piece(descriptor: parsed.descriptor, data: parsed.data)
        if parsed.descriptor.startsFrame { partial.startSequence = sequenceNumber }
        if marker { partial.markerSequence = sequenceNumber }
        var events: [VP8FrameAssemblerEvent] = []
        if partial.pieces.count > maxPacketsPerFrame {
            pending[timestamp] = nil
            events.append(.incomplete(VP8FrameAssembler.describeIncomplete(partial, timestamp: timestamp)))
            markReported(timestamp)
            return events
        }
        if let bytes = VP8FrameAssembler.assemble(partial, limit: maxPacketsPerFrame) {
            pending[timestamp] = nil
            events += abandon(olderThan: timestamp)
            markReported(timestamp)
            events.append(VP8FrameAssembler.finish(bytes: bytes, partial: partial, timestamp: timestamp))
            return events
        }
        pending[timestamp] = partial
        while pending.count > maxPendingFrames, let oldest = oldestPendingTimestamp() {
            if let dropped = pending.removeValue(forKey: oldest) {
                events.append(.incomplete(VP8FrameAssembler.describeIncomplete(dropped, timestamp: oldest)))
            }
            markReported(oldest)
        }
        return events
    }

    /// Reports every pending frame as incomplete and forgets it.
    public mutating func flush() -> [VP8FrameAssemblerEvent] {
        var events: [VP8FrameAssemblerEvent] = []
        while let oldest = oldestPendingTimestamp(), let partial = pending.removeValue(forKey: oldest) {
            events.append(.incomplete(VP8FrameAssembler.describeIncomplete(partial, timestamp: oldest)))
            markReported(oldest)
        }
        return events
    }

    private mutating func markReported(_ timestamp: UInt32) {
        if let last = lastReportedTimestamp, !TimestampUnwrapper.isNewer(timestamp, than: last) { return }
        lastReportedTimestamp = timestamp
    }

    private func oldestPendingTimestamp() -> UInt32? {
        pending.keys.min { TimestampUnwrapper.isNewer($1, than: $0) }
    }

    private mutating func abandon(olderThan timestamp: UInt32) -> [VP8FrameAssemblerEvent] {
        let older = pending.keys.filter { TimestampUnwrapper.isNewer(timestamp, than: $0) }
            .sorted { TimestampUnwrapper.isNewer($1, than: $0) }
        var events: [VP8FrameAssemblerEvent] = []
        for key in older {
            if let partial = pending.removeValue(forKey: key) {
                events.append(.incomplete(VP8FrameAssembler.describeIncomplete(partial, timestamp: key)))
            }
        }
        return events
    }

    /// The frame's bytes when every packet from start to marker is present, else nil.
    private static func assemble(_ partial: Partial, limit: Int) -> [UInt8]? {
        guard let start = partial.startSequence, let end = partial.markerSequence else { return nil }
        let span = Int(end &- start)
        guard span < limit, partial.pieces.count == span + 1 else { return nil }
        var bytes: [UInt8] = []
        for offset in 0...span {
            guard let piece = partial.pieces[start &+ UInt16(offset)] else { return nil }
            bytes.append(contentsOf: piece.data)
        }
        return bytes
    }

    private static func finish(bytes: [UInt8], partial: Partial, timestamp: UInt32) -> VP8FrameAssemblerEvent {
        let header: VP8FrameHeader
        do {
            header = try VP8FrameHeader.parse(bytes)
        } catch {
            return .invalidFrame(timestamp: timestamp, error)
        }
        let start = partial.startSequence ?? 0, end = partial.markerSequence ?? 0
        return .frame(AssembledVP8Frame(
            timestamp: timestamp, bytes: bytes, isKeyframe: header.isKeyframe,
            width: header.width, height: header.height,
            pictureID: partial.pieces[start]?.descriptor.pictureID?.value,
            firstSequenceNumber: start, lastSequenceNumber: end, packetCount: partial.pieces.count))
    }

    private static func describeIncomplete(_ partial: Partial, timestamp: UInt32) -> IncompleteVP8Frame {
        var missing: [UInt16] = []
        if let reference = partial.pieces.keys.first {
            // Signed offsets from any held packet order the packets across a sequence wrap.
            let offsets = partial.pieces.keys.map { Int(Int16(bitPattern: $0 &- reference)) }
            var low = offsets.min() ?? 0, high = offsets.max() ?? 0
            if let start = partial.startSequence { low = Int(Int16(bitPattern: start &- reference)) }
            if let end = partial.markerSequence { high = Int(Int16(bitPattern: end &- reference)) }
            if low <= high && high - low < 16384 {
                let held = Set(offsets)
                for offset in low...high where !held.contains(offset) {
                    missing.append(reference &+ UInt16(truncatingIfNeeded: offset))
                }
            }
        }
        return IncompleteVP8Frame(timestamp: timestamp, receivedPackets: partial.pieces.count,
                                  missingSequenceNumbers: missing,
                                  hasFirstPacket: partial.startSequence != nil,
                                  hasLastPacket: partial.markerSequence != nil)
    }
}
