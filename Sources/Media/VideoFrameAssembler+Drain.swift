import SansIO

/// Loss handling and frame output of `VideoFrameAssembler`.
extension VideoFrameAssembler {
    // MARK: Retransmission requests and giving up

    /// When a missing packet is next NACKed, or given up on once its retries are spent.
    func nextAction(for entry: MissingPacket) -> Instant {
        let giveUpByAge = entry.detectedAt + settings.maxWait
        let action: Instant
        if let last = entry.lastRequestedAt {
            action = last + retryInterval
        } else if settings.maxNackRetries > 0 {
            action = entry.detectedAt + settings.nackDelay
        } else {
            action = entry.detectedAt + retryInterval
        }
        return min(action, giveUpByAge)
    }

    /// Sends due NACKs, gives up packets whose retries or wait ran out, and the head of the
    /// buffer when it has been blocked too long.
    mutating func serviceTimers(now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        var requests: [Int64] = []
        var gaveUp = false
        for (ext, var entry) in missing where nextAction(for: entry) <= now {
            let exhausted = entry.requests >= settings.maxNackRetries
            if exhausted || now - entry.detectedAt >= settings.maxWait {
                missing[ext] = nil
                statistics.lostPackets += 1
                gaveUp = true
                continue
            }
            entry.requests += 1
            entry.lastRequestedAt = now
            missing[ext] = entry
            requests.append(ext)
        }
        if !requests.isEmpty {
            statistics.nackedPackets += requests.count
            events.append(.nack(requests.sorted().map { UInt16(truncatingIfNeeded: $0) }))
        }
        // The frame holding a lost packet is dropped when the drain reaches it; the keyframe
        // that repairs it is asked for now.
        if gaveUp { requestKeyframe(now: now, into: &events) }
        if let blockedSince, now - blockedSince >= blockedLimit {
            // Before the stream started, what is held precedes the keyframe that never came.
            giveUpHead(reason: next == nil ? .missingReference : .incomplete, now: now, into: &events)
        }
    }

    mutating func requestKeyframe(now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        if let last = lastKeyframeRequest, now - last < settings.keyframeRequestInterval { return }
        lastKeyframeRequest = now
        statistics.keyframeRequests += 1
        events.append(.keyframeRequest)
    }

    mutating func enterKeyframeWait(now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        isWaitingForKeyframe = true
        requestKeyframe(now: now, into: &events)
    }

    /// Drops everything from the head up to the next frame start after it (the frame blocking the
    /// buffer), stops asking for its missing packets and waits for a keyframe. Before the stream
    /// has started, the head is the oldest packet held. Returns false when nothing is held.
    @discardableResult
    mutating func giveUpHead(reason: DroppedVideoFrame.Reason, now: Instant,
                             into events: inout [VideoFrameAssemblerEvent]) -> Bool {
        guard let start = next ?? packets.keys.min() else { return false }
        let end = packets.keys.filter { $0 > start && packets[$0]?.info.startsFrame == true }.min()
            ?? ((highest ?? start) + 1)
        let abandoned = missing.keys.filter { $0 < end }
        for ext in abandoned { missing[ext] = nil }
        statistics.lostPackets += abandoned.filter { $0 >= start }.count
        dropStored(below: end, reason: reason, into: &events)
        next = max(end, start + 1)
        enterKeyframeWait(now: now, into: &events)
        return true
    }

    /// Drops every held packet below `end`, reporting each frame (run of one timestamp) once.
    mutating func dropStored(below end: Int64, reason: DroppedVideoFrame.Reason,
                             into events: inout [VideoFrameAssemblerEvent]) {
        let doomed = packets.keys.filter { $0 < end }.sorted()
        var run: (timestamp: UInt32, count: Int)?
        for ext in doomed {
            guard let packet = remove(ext) else { continue }
            if case .padding = packet.info.kind { continue }
            if let current = run, current.timestamp == packet.timestamp {
                run = (current.timestamp, current.count + 1)
            } else {
                if let current = run { reportDrop(current.timestamp, packets: current.count, reason: reason, into: &events) }
                run = (packet.timestamp, 1)
            }
        }
        if let current = run { reportDrop(current.timestamp, packets: current.count, reason: reason, into: &events) }
    }

    mutating func reportDrop(_ timestamp: UInt32, packets count: Int, reason: DroppedVideoFrame.Reason,
                             into events: inout [VideoFrameAssemblerEvent]) {
        // Pieces of one frame dropped one after another count once.
        guard lastDroppedTimestamp != timestamp else { return }
        lastDroppedTimestamp = timestamp
        statistics.framesDropped += 1
        events.append(.frameDropped(DroppedVideoFrame(timestamp: timestamp, receivedPackets: count, reason: reason)))
    }

    // MARK: Output

    enum Scan {
        /// Every packet from the head to `end` is here and they form one frame.
        case complete(end: Int64)
        /// A packet is still expected (missing and being asked for, or not yet sent).
        case pending
        /// The frame cannot be completed: it breaks before `at` for `reason`.
        case broken(at: Int64, reason: DroppedVideoFrame.Reason)
    }

    /// Looks at the frame starting at `start` (a held frame-start packet).
    func scanFrame(from start: Int64) -> Scan {
        guard let first = packets[start] else { return .pending }
        var ext = start
        while true {
            guard let packet = packets[ext] else {
                if missing[ext] != nil || ext > (highest ?? ext) { return .pending }
                return .broken(at: ext, reason: .incomplete)
            }
            if ext > start {
                if case .media = packet.info.kind {} else { return .broken(at: ext, reason: .malformed) }
                if packet.info.startsFrame || packet.timestamp != first.timestamp {
                    return .broken(at: ext, reason: .malformed)
                }
            }
            if packet.info.endsFrame { return .complete(end: ext) }
            if ext - start + 1 >= Int64(settings.maxPacketsPerFrame) { return .broken(at: ext + 1, reason: .malformed) }
            ext += 1
        }
    }

    /// Emits or drops frames from the head of the buffer for as long as it can progress.
    mutating func drain(now: Instant, into events: inout [VideoFrameAssemblerEvent]) {
        while true {
            if isWaitingForKeyframe, let key = keyframeStarts.filter({ $0 >= (next ?? Int64.min) }).min() {
                dropStored(below: key, reason: .missingReference, into: &events)
                for ext in missing.keys where ext < key { missing[ext] = nil }
                next = key
                isWaitingForKeyframe = false
            }
            guard let head = next else { return }
            guard let packet = packets[head] else {
                if missing[head] != nil || head > (highest ?? head) { return }
                // Given up on: whatever frame it belonged to is lost.
                next = head + 1
                if !isWaitingForKeyframe { enterKeyframeWait(now: now, into: &events) }
                continue
            }
            guard case .media = packet.info.kind, packet.info.startsFrame else {
                remove(head)
                next = head + 1
                let reason: DroppedVideoFrame.Reason
                switch packet.info.kind {
                case .padding: continue
                case .invalid: reason = .malformed
                case .media: reason = .incomplete  // a later packet of a frame whose start was lost
                }
                if !isWaitingForKeyframe { enterKeyframeWait(now: now, into: &events) }
                reportDrop(packet.timestamp, packets: 1, reason: reason, into: &events)
                continue
            }
            switch scanFrame(from: head) {
            case .pending:
                return
            case .broken(let end, let reason):
                if !isWaitingForKeyframe { enterKeyframeWait(now: now, into: &events) }
                dropStored(below: end, reason: reason, into: &events)
                next = end
            case .complete(let end):
                next = end + 1
                if isWaitingForKeyframe {
                    dropStored(below: end + 1, reason: .missingReference, into: &events)
                    requestKeyframe(now: now, into: &events)
                } else {
                    emitFrame(from: head, to: end, now: now, into: &events)
                }
            }
        }
    }

    private mutating func emitFrame(from start: Int64, to end: Int64, now: Instant,
                                    into events: inout [VideoFrameAssemblerEvent]) {
        var bytes: [UInt8] = []
        var held: [StoredPacket] = []
        for ext in start...end {
            guard let packet = remove(ext) else { continue }
            bytes.append(contentsOf: packet.info.data)
            held.append(packet)
        }
        guard let first = held.first, let last = held.last else { return }
        let summary: VideoFrameSummary
        do {
            summary = try VideoFrameSummary.read(bytes, codec: codec)
        } catch {
            enterKeyframeWait(now: now, into: &events)
            reportDrop(first.timestamp, packets: held.count, reason: .invalidHeader(error), into: &events)
            return
        }
        statistics.framesAssembled += 1
        if summary.isKeyframe { statistics.keyframesAssembled += 1 }
        events.append(.frame(AssembledVideoFrame(
            codec: codec, timestamp: first.timestamp, bytes: bytes, isKeyframe: summary.isKeyframe,
            width: summary.width ?? first.info.width, height: summary.height ?? first.info.height,
            pictureID: first.info.pictureID, spatialLayerID: first.info.spatialLayerID,
            temporalLayerID: first.info.temporalLayerID, firstSequenceNumber: first.sequenceNumber,
            lastSequenceNumber: last.sequenceNumber, packetCount: held.count, endsPicture: last.marker,
            firstPacketArrival: held.map(\.arrival).min() ?? first.arrival)))
    }

    /// Starts or stops the clock of a head that holds packets without progressing.
    mutating func updateBlockedClock(now: Instant) {
        if packets.isEmpty {
            blockedSince = nil
            blockedAt = nil
        } else if blockedSince == nil || blockedAt != next {
            blockedSince = now
            blockedAt = next
        }
    }
}
