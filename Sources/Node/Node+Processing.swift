public import Media
import RTP
public import SansIO

/// Work the node hands to its processing backend: the server runs one `VideoPipeline` per
/// track (decode → processors → encode on their own threads); a simulation may run none.
///
/// The node stays sans-IO: it assembles frames from RTP itself (jitter buffer, loss handling),
/// emits these commands in order, and takes the encoded result back as
/// `NodeInput.processedVideo`, which it packetizes onto each restored subscriber's stream.
public enum ProcessingCommand: Sendable, Equatable {
    /// Start processing `track` (`session/mid`) of `room`, whose frames are in `codec`; encode
    /// the rendition in the same codec at `bitrate` bps.
    case start(track: String, room: String, codec: VideoCodec, bitrate: Int)
    /// The next complete frame of `track`, in decode order.
    case frame(track: String, AssembledVideoFrame)
    /// A new encoder target for the rendition (bps).
    case setBitrate(track: String, bitrate: Int)
    /// A restored subscriber lost the picture: the next encoded frame must be a keyframe.
    case keyframe(track: String)
    /// Nobody needs the rendition any more (or the publisher left): stop and free it.
    case stop(track: String)
}

/// One encoded frame of a restored rendition, ready for RTP: what `VideoPipeline` outputs.
public struct ProcessedVideoFrame: Sendable, Equatable {
    /// The RTP timestamp of the publisher's frame it was made from.
    public var timestamp: UInt32
    /// RTP payloads in order (payload descriptor included); the last one carries the marker.
    public var payloads: [VideoRTPPayload]
    public var isKeyframe: Bool
    public var width: Int
    public var height: Int

    public init(timestamp: UInt32, payloads: [VideoRTPPayload], isKeyframe: Bool, width: Int, height: Int) {
        self.timestamp = timestamp
        self.payloads = payloads
        self.isKeyframe = isKeyframe
        self.width = width
        self.height = height
    }
}

/// The node's side of one track's restored rendition.
final class TrackProcessing {
    let codec: VideoCodec
    /// The jitter buffer and frame assembler fed with the track's RTP (after RTX unwrapping).
    var assembler: VideoFrameAssembler
    /// The "source" the subscribers' stream rewriters see for processed packets, and the
    /// sequence numbers given to them: restored subscribers get one continuous stream.
    let source: UInt32
    var sequence: UInt16
    /// The encoder target last sent (bps), and when the next rate update is due.
    var bitrate: Int
    var nextRateUpdate: Instant
    var lastEncoderKeyframeRequest: Instant?

    init(codec: VideoCodec, source: UInt32, sequence: UInt16, bitrate: Int, now: Instant) {
        self.codec = codec
        self.assembler = VideoFrameAssembler(codec: codec)
        self.source = source
        self.sequence = sequence
        self.bitrate = bitrate
        self.nextRateUpdate = now + .seconds(1)
    }
}

extension Node {
    /// Most commands held for the backend; past that, frames are dropped (and counted) until it
    /// catches up, so a backend that stops taking them never grows the node's memory.
    static let maxPendingProcessingCommands = 256
    /// Least time between two keyframes asked of one rendition's encoder.
    static let encoderKeyframeInterval: Duration = .milliseconds(250)

    /// Takes the commands for the processing backend, oldest first. Call after every
    /// `handle`, `createSession`, `endSession`, `setProcessing` and `shutdown`.
    public func takeProcessingCommands() -> [ProcessingCommand] {
        defer { processingCommands.removeAll(keepingCapacity: true) }
        return processingCommands
    }

    /// Whether `room` serves its restored rendition: the admin API's choice for the room, else
    /// the configuration.
    public func isProcessingEnabled(room: String) -> Bool {
        processingOverrides[room] ?? configuration.processing.enabled
    }

    /// Rooms that may have their own processing setting at once (each is kept until set back
    /// to `nil`, whether or not the room exists, so the admin API cannot grow the node unbounded).
    public static let maximumProcessingOverrides = 1024

    /// Switches the restored rendition of `room` on or off (`nil`: back to the configuration).
    /// Restored subscribers of a room without it receive the original. Returns false, changing
    /// nothing, when `room` has no setting yet and `maximumProcessingOverrides` rooms do.
    @discardableResult
    public func setProcessing(room: String, enabled: Bool?, now: Instant) -> Bool {
        if enabled != nil, processingOverrides[room] == nil,
           processingOverrides.count >= Node.maximumProcessingOverrides { return false }
        processingOverrides[room] = enabled
        updateProcessing(room: room, now: now)
        return true
    }

    func enqueueProcessing(_ command: ProcessingCommand) {
        if case .frame = command, processingCommands.count >= Node.maxPendingProcessingCommands {
            counters.processingFramesDroppedByQueue += 1
            return
        }
        processingCommands.append(command)
    }

    /// Starts the rendition of each video track of `room` that has a restored subscriber, and
    /// stops those that no longer have one.
    func updateProcessing(room: String, now: Instant) {
        let enabled = isProcessingEnabled(room: room)
        for id in rooms[room] ?? [] {
            guard let publisher = sessions[id], publisher.role == .publisher else { continue }
            for section in publisher.sections {
                guard let track = publisher.tracks[section.mid], track.kind == .video else { continue }
                let wanted = enabled && track.receivers.contains { sessions[$0.session]?.variant == .restored }
                if wanted, track.processing == nil, let codec = mediaCodec(of: track) {
                    let bitrate = clampedProcessingBitrate(configuration.processing.startBitrate)
                    track.processing = TrackProcessing(
                        codec: codec, source: random.ssrc(), sequence: UInt16(truncatingIfNeeded: random.next()),
                        bitrate: bitrate, now: now)
                    enqueueProcessing(.start(track: track.id, room: room, codec: codec, bitrate: bitrate))
                    track.keyframeWanted = true  // the decoder starts at a keyframe
                } else if !wanted, track.processing != nil {
                    stopProcessing(track)
                }
            }
        }
    }

    func stopProcessing(_ track: PublishedTrack) {
        guard track.processing != nil else { return }
        track.processing = nil
        enqueueProcessing(.stop(track: track.id))
        // Restored subscribers still here now get the original: it must start at a keyframe.
        if track.receivers.contains(where: { sessions[$0.session]?.variant == .restored }) { track.keyframeWanted = true }
    }

    private func mediaCodec(of track: PublishedTrack) -> VideoCodec? {
        switch (track.codec ?? track.section.codecs.first)?.name {
        case .vp8: .vp8
        case .vp9: .vp9
        default: nil
        }
    }

    private func clampedProcessingBitrate(_ bps: Int) -> Int {
        let settings = configuration.processing
        return min(max(bps, settings.minBitrate), max(settings.minBitrate, settings.maxBitrate))
    }

    /// Whether packets of `track` skip `subscriber`: a restored subscriber of a processed track
    /// gets the rendition instead.
    func receivesRendition(_ subscriber: PeerSession, of track: PublishedTrack) -> Bool {
        subscriber.variant == .restored && track.processing != nil
    }

    // MARK: Publisher RTP → frames

    /// One RTP packet of a processed track (RTX already unwrapped) into its assembler.
    func feedProcessing(_ packet: RTPPacket, track: PublishedTrack, now: Instant) -> [Transmit] {
        guard let processing = track.processing else { return [] }
        let events = processing.assembler.handle(.packet(packet), now: now)
        return assemblerEvents(events, track: track, now: now)
    }

    private func assemblerEvents(_ events: [VideoFrameAssemblerEvent], track: PublishedTrack, now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        for event in events {
            switch event {
            case let .frame(frame):
                counters.processingFramesIn += 1
                enqueueProcessing(.frame(track: track.id, frame))
            case .keyframeRequest:
                out += requestKeyframe(track, now: now)
            case .frameDropped:
                counters.processingFramesDroppedByAssembler += 1
            case .nack, .invalidPayload:
                // The node already NACKs the publisher for every track (NackTracker); a bad
                // payload shows up as a dropped frame.
                break
            }
        }
        return out
    }

    /// Every tick: the assemblers' timers; every second: each rendition's encoder target from
    /// its restored subscribers' downlink estimates (one shared encoding per track, at the
    /// lowest of them, so no restored subscriber is sent more than its link carries).
    func processingTick(_ publisher: PeerSession, now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        for section in publisher.sections {
            guard let track = publisher.tracks[section.mid], let processing = track.processing else { continue }
            if let deadline = processing.assembler.nextDeadline, now >= deadline {
                out += assemblerEvents(processing.assembler.handle(.timeout, now: now), track: track, now: now)
            }
            guard now >= processing.nextRateUpdate else { continue }
            processing.nextRateUpdate = now + .seconds(1)
            let estimates = track.receivers.compactMap { key -> Int? in
                guard let sub = sessions[key.session], sub.variant == .restored, sub.state == .connected else { return nil }
                return sub.downlink?.target
            }
            guard let lowest = estimates.min() else { continue }
            let target = clampedProcessingBitrate(Int(Double(lowest) * configuration.processing.estimateShare))
            if abs(target - processing.bitrate) * 20 > processing.bitrate {
                processing.bitrate = target
                enqueueProcessing(.setBitrate(track: track.id, bitrate: target))
            }
        }
        return out
    }

    /// A restored subscriber asked for a keyframe (PLI/FIR): the rendition's encoder makes one.
    func renditionKeyframeRequested(_ track: PublishedTrack, now: Instant) {
        guard let processing = track.processing else { return }
        if let last = processing.lastEncoderKeyframeRequest, now - last < Node.encoderKeyframeInterval { return }
        processing.lastEncoderKeyframeRequest = now
        counters.processingKeyframeRequests += 1
        enqueueProcessing(.keyframe(track: track.id))
    }

    // MARK: Rendition → restored subscribers

    /// Sends an encoded rendition frame to every connected restored subscriber of `trackID`.
    /// A frame for a track no longer processed (it stopped while the frame was in flight) is
    /// dropped.
    func sendProcessed(track trackID: String, frame: ProcessedVideoFrame, now: Instant) -> [Transmit] {
        guard let track = track(id: trackID), let processing = track.processing, !frame.payloads.isEmpty else { return [] }
        counters.processingFramesOut += 1
        let name: NegotiatedCodec.Name = processing.codec == .vp8 ? .vp8 : .vp9
        let first = processing.sequence
        processing.sequence &+= UInt16(truncatingIfNeeded: frame.payloads.count)
        var out: [Transmit] = []
        for key in track.receivers {
            guard let sub = sessions[key.session], sub.variant == .restored else { continue }
            for (i, payload) in frame.payloads.enumerated() {
                let sequence = first &+ UInt16(truncatingIfNeeded: i)
                if let t = sendMedia(payload: payload.payload, marker: payload.marker, paddingLength: 0,
                                     source: processing.source, sequence: sequence, timestamp: frame.timestamp,
                                     codec: name, to: key, now: now) {
                    out.append(t)
                }
            }
        }
        return out
    }

    /// Forgets the state of a track whose publisher leaves.
    func processingTrackRemoved(_ track: PublishedTrack) {
        stopProcessing(track)
    }
}
