public import RTP
public import SansIO

/// A whole VP8 or VP9 frame rebuilt from its RTP packets (for VP9: one layer frame).
public struct AssembledVideoFrame: Sendable, Hashable {
    public var codec: VideoCodec
    public var timestamp: UInt32
    /// The frame's bitstream: payload data of all its packets in sequence order, descriptors removed.
    public var bytes: [UInt8]
    /// From the frame's uncompressed header (VP8 P bit, RFC 6386 §9.1; VP9 frame_type, §6.2).
    public var isKeyframe: Bool
    /// The picture size: from a keyframe's header, else (VP9) from the scalability structure.
    public var width: Int?
    public var height: Int?
    /// The first packet's picture ID, if it carried one.
    public var pictureID: UInt16?
    /// VP9 SID / VP8 and VP9 TID, when the descriptor carried them.
    public var spatialLayerID: UInt8?
    public var temporalLayerID: UInt8?
    public var firstSequenceNumber: UInt16
    public var lastSequenceNumber: UInt16
    public var packetCount: Int
    /// The last packet carried the RTP marker bit: the end of the picture.
    public var endsPicture: Bool
    /// When the earliest of its packets arrived.
    public var firstPacketArrival: Instant
}

/// A frame the assembler gave up on or threw away.
public struct DroppedVideoFrame: Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        /// Some of its packets never arrived (retransmission requests or the wait ran out).
        case incomplete
        /// It arrived, but a frame before it was lost: dropped until the next keyframe.
        case missingReference
        /// Its packets do not form a frame (a start before the end, mixed timestamps, an
        /// unparseable payload, too many packets).
        case malformed
        /// Its uncompressed header did not parse.
        case invalidHeader(VideoFrameHeaderParseError)
        /// Evicted to keep within the packet, frame and sequence-window bounds.
        case overflow
    }

    public var timestamp: UInt32
    /// How many of its packets had arrived.
    public var receivedPackets: Int
    public var reason: Reason
}

/// What the assembler asks of its caller or hands over.
public enum VideoFrameAssemblerEvent: Sendable, Hashable {
    /// The next frame in decode order, complete and decodable.
    case frame(AssembledVideoFrame)
    /// Request retransmission of these sequence numbers (a generic NACK, RFC 4585 §6.2.1).
    case nack([UInt16])
    /// Ask the sender for a keyframe (a PLI, RFC 4585 §6.3.1): a frame is lost for good.
    case keyframeRequest
    /// A frame was dropped; it will not be emitted.
    case frameDropped(DroppedVideoFrame)
    /// A packet whose payload descriptor did not parse; it breaks the frame it belongs to.
    case invalidPayload(sequenceNumber: UInt16, VideoPayloadParseError)
}

/// Counters kept by the assembler since it was created.
public struct VideoFrameAssemblerStatistics: Sendable, Hashable {
    public var packetsReceived = 0
    /// Packets with an empty payload (padding only).
    public var paddingPackets = 0
    /// Packets whose sequence number was already held.
    public var duplicatePackets = 0
    /// Packets arriving after their place in decode order was passed (emitted, dropped or given up).
    public var latePackets = 0
    /// Packets whose payload descriptor did not parse.
    public var invalidPackets = 0
    /// Sequence numbers put in NACKs, each retry counted.
    public var nackedPackets = 0
    /// Missing packets that arrived after being NACKed.
    public var recoveredPackets = 0
    /// Missing packets given up on (retries or wait exhausted).
    public var lostPackets = 0
    public var framesAssembled = 0
    public var keyframesAssembled = 0
    public var framesDropped = 0
    public var keyframeRequests = 0

    public init() {}
}

/// A jitter buffer and frame assembler for one VP8 (RFC 7741) or VP9 (RFC 9628) RTP stream,
/// sans-IO: feed it packets and timeouts with the current time, act on the events it returns,
/// and call it again at `nextDeadline`.
///
/// - Packets may arrive in any order, duplicated, across sequence-number wraps. Frames are
///   emitted whole and in decode order (sequence order), each only once every frame before it
///   has been emitted; the stream starts at its first keyframe. Until then, when the oldest
///   packet held does not start a frame, the one before it is NACKed (a lost first packet is
///   otherwise invisible); with no keyframe start after `startupWait`, what is held is dropped
///   and a keyframe requested (a stream joined mid-way).
/// - A gap in sequence numbers is NACKed `nackDelay` after it is seen and again every
///   round-trip time (at least `minRetryInterval`), at most `maxNackRetries` times. A packet
///   still missing one interval after the last try, or `maxWait` after it went missing, is
///   given up on: the assembler asks for a keyframe at once, drops the frame it belonged to and
///   every frame after it (they reference it: the stream is treated as one reference chain) and
///   resumes at the next keyframe. A head frame blocked for `maxWait` is given up the same way.
/// - Memory is bounded: at most `maxPendingPackets` packets of at most `maxPendingFrames`
///   timestamps within a window of `maxPendingPackets` sequence numbers; beyond that the oldest
///   frames are dropped (reason `.overflow`) and a keyframe requested.
/// - Keyframe requests are sent at most once per `keyframeRequestInterval`.
public struct VideoFrameAssembler: Sendable {
    public struct Settings: Sendable, Hashable {
        public var maxPendingPackets = 2048
        public var maxPendingFrames = 128
        public var maxPacketsPerFrame = 1024
        /// How long a gap may stay open (reordering) before its first NACK.
        public var nackDelay: Duration = .zero
        public var maxNackRetries = 3
        /// The shortest spacing between NACKs of one packet, whatever the round-trip time.
        public var minRetryInterval: Duration = .milliseconds(5)
        /// The longest a missing packet, or a blocked frame, is waited for.
        public var maxWait: Duration = .milliseconds(1000)
        /// How long to wait at the start of the stream for a keyframe's first packet before
        /// dropping what came before it and asking for a keyframe.
        public var startupWait: Duration = .milliseconds(200)
        public var keyframeRequestInterval: Duration = .milliseconds(250)

        public init() {}
    }

    /// One input.
    public enum Input: Sendable, Hashable {
        /// An RTP packet of the stream (after SRTP; RTX already unwrapped).
        case packet(RTPPacket)
        /// Nothing arrived; time passed (call at `nextDeadline`).
        case timeout
    }

    struct StoredPacket: Sendable {
        var info: VideoPacketInfo
        var sequenceNumber: UInt16
        var timestamp: UInt32
        var marker: Bool
        var arrival: Instant
    }

    struct MissingPacket: Sendable {
        var detectedAt: Instant
        var lastRequestedAt: Instant?
        var requests = 0
    }

    public let codec: VideoCodec
    public let settings: Settings
    /// The current round-trip time to the sender; NACK retries are spaced by it.
    public var roundTripTime: Duration
    public internal(set) var statistics = VideoFrameAssemblerStatistics()

    /// Held packets by unwrapped sequence number, all at or after `next`.
    var packets: [Int64: StoredPacket] = [:]
    /// Held packets per RTP timestamp (the pending frames).
    var packetsPerTimestamp: [UInt32: Int] = [:]
    /// Held packets that start a keyframe.
    var keyframeStarts: Set<Int64> = []
    /// Sequence numbers seen missing and still worth asking for.
    var missing: [Int64: MissingPacket] = [:]
    /// The highest unwrapped sequence number received, and the lowest before the stream started.
    var highest: Int64?
    var lowest: Int64?
    /// The first sequence number not yet emitted or dropped; nil until the stream has started.
    var next: Int64?
    /// Frames are being dropped until the next keyframe (true at the start).
    public internal(set) var isWaitingForKeyframe = true
    var lastKeyframeRequest: Instant?
    /// Since when the head of the buffer has held packets without making progress.
    var blockedSince: Instant?
    var blockedAt: Int64?
    var lastDroppedTimestamp: UInt32?

    public init(codec: VideoCodec, settings: Settings = Settings(), roundTripTime: Duration = .milliseconds(100)) {
        var checked = settings
        checked.maxPendingPackets = min(max(1, settings.maxPendingPackets), 16384)
        checked.maxPendingFrames = max(1, settings.maxPendingFrames)
        checked.maxPacketsPerFrame = max(1, settings.maxPacketsPerFrame)
        checked.maxNackRetries = max(0, settings.maxNackRetries)
        self.codec = codec
        self.settings = checked
        self.roundTripTime = roundTripTime
    }

    /// Packets held.
    public var pendingPackets: Int { packets.count }
    /// Frames (RTP timestamps) with packets held.
    public var pendingFrames: Int { packetsPerTimestamp.count }
    /// Sequence numbers currently missing and not yet given up, oldest first.
    public var missingSequenceNumbers: [UInt16] {
        missing.keys.sorted().map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Handles one input at `now`; returns what the caller must do or may use, in order.
    public mutating func handle(_ input: Input, now: Instant) -> [VideoFrameAssemblerEvent] {
        var events: [VideoFrameAssemblerEvent] = []
        if case .packet(let packet) = input {
            insert(packet, now: now, into: &events)
            drain(now: now, into: &events)
            updateBlockedClock(now: now)
        }
        serviceTimers(now: now, into: &events)
        drain(now: now, into: &events)
        updateBlockedClock(now: now)
        return events
    }

    /// Shorthand for `handle(.packet(packet), now:)`.
    public mutating func insert(_ packet: RTPPacket, now: Instant) -> [VideoFrameAssemblerEvent] {
        handle(.packet(packet), now: now)
    }

    /// When `handle(.timeout, now:)` next has something to do, if anything.
    public var nextDeadline: Instant? {
        var deadline: Instant?
        func consider(_ t: Instant) { deadline = deadline.map { min($0, t) } ?? t }
        for entry in missing.values {
            consider(nextAction(for: entry))
        }
        if let blockedSince { consider(blockedSince + blockedLimit) }
        return deadline
    }

    var retryInterval: Duration { max(roundTripTime, settings.minRetryInterval) }
    var blockedLimit: Duration { next == nil ? settings.startupWait : settings.maxWait }

    // MARK: Receiving

    private mutating func insert(_ packet: RTPPacket, now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        statistics.packetsReceived += 1
        let sequenceNumber = packet.header.sequenceNumber
        let ext = unwrap(sequenceNumber)
        if let next, ext < next {
            statistics.latePackets += 1
            return
        }
        if packets[ext] != nil {
            statistics.duplicatePackets += 1
            return
        }
        var info: VideoPacketInfo
        do {
            info = try VideoPacketInfo.classify(packet.payload, codec: codec, marker: packet.header.marker)
        } catch {
            statistics.invalidPackets += 1
            events.append(.invalidPayload(sequenceNumber: sequenceNumber, error))
            info = .invalid
        }
        if case .padding = info.kind { statistics.paddingPackets += 1 }
        guard track(ext, now: now, into: &events) else {
            statistics.latePackets += 1
            return
        }
        store(StoredPacket(info: info, sequenceNumber: sequenceNumber, timestamp: packet.header.timestamp,
                           marker: packet.header.marker, arrival: now), at: ext)
        if next == nil { expectStartBeforeOldest(now: now) }
        enforceBounds(now: now, into: &events)
    }

    /// Before the stream has started, the oldest packet held that does not start a frame means
    /// the one before it is missing too: the frame's start (often the first keyframe's) was lost,
    /// and only asking for it backwards, one packet at a time, can find it.
    private mutating func expectStartBeforeOldest(now: Instant) {
        guard let low = lowest, let top = highest, let oldest = packets[low], !oldest.info.startsFrame,
              top - (low - 1) < Int64(settings.maxPendingPackets) else { return }
        if case .padding = oldest.info.kind { return }
        missing[low - 1] = MissingPacket(detectedAt: now)
        lowest = low - 1
    }

    /// The sequence number unwrapped next to the highest one received.
    private func unwrap(_ sequenceNumber: UInt16) -> Int64 {
        guard let highest else { return Int64(sequenceNumber) }
        return highest + Int64(Int16(bitPattern: sequenceNumber &- UInt16(truncatingIfNeeded: highest)))
    }

    /// Updates the highest/lowest sequence numbers and the missing set for an arriving `ext`.
    /// Returns false when the packet lies too far before the stream's start to be kept.
    private mutating func track(_ ext: Int64, now: Instant, into events: inout [VideoFrameAssemblerEvent]) -> Bool {
        let window = Int64(settings.maxPendingPackets)
        guard let top = highest else {
            highest = ext
            lowest = ext
            return true
        }
        if ext > top {
            if ext - top > window {
                restart(at: ext, now: now, into: &events)
                return true
            }
            for gap in (top + 1)..<ext { missing[gap] = MissingPacket(detectedAt: now) }
            highest = ext
        } else if let entry = missing.removeValue(forKey: ext) {
            if entry.requests > 0 { statistics.recoveredPackets += 1 }
        } else if next == nil, let low = lowest, ext < low {
            // Before the stream started, a packet older than any seen: the ones between are missing.
            guard top - ext < window else { return false }
            for gap in (ext + 1)..<low { missing[gap] = MissingPacket(detectedAt: now) }
            lowest = ext
        }
        return true
    }

    /// A jump in sequence numbers past the whole window: forget everything and start again at `ext`.
    private mutating func restart(at ext: Int64, now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        dropStored(below: Int64.max, reason: .overflow, into: &events)
        missing.removeAll()
        highest = ext
        next = ext
        enterKeyframeWait(now: now, into: &events)
    }

    mutating func store(_ packet: StoredPacket, at ext: Int64) {
        packets[ext] = packet
        packetsPerTimestamp[packet.timestamp, default: 0] += 1
        if packet.info.startsFrame && packet.info.startsKeyframe { keyframeStarts.insert(ext) }
    }

    @discardableResult
    mutating func remove(_ ext: Int64) -> StoredPacket? {
        guard let packet = packets.removeValue(forKey: ext) else { return nil }
        let left = (packetsPerTimestamp[packet.timestamp] ?? 1) - 1
        packetsPerTimestamp[packet.timestamp] = left > 0 ? left : nil
        keyframeStarts.remove(ext)
        return packet
    }

    /// Gives up the head while the buffer is over any of its bounds.
    private mutating func enforceBounds(now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        let window = Int64(settings.maxPendingPackets)
        while packets.count > settings.maxPendingPackets || packetsPerTimestamp.count > settings.maxPendingFrames
                || (highest ?? 0) - (next ?? lowest ?? highest ?? 0) >= window {
            guard giveUpHead(reason: .overflow, now: now, into: &events) else { break }
        }
    }
}
