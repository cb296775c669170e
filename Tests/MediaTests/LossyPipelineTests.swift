import RTP
import SansIO
import Testing
@testable import Media

/// The sender side of the pipeline tests: libvpx encoder and the codec's packetizer.
private struct Sender {
    let encoder: VideoEncoder
    var vp8 = VP8Packetizer(maxPayloadSize: 1200, firstPictureID: 0x7FF0)
    var vp9 = VP9Packetizer(maxPayloadSize: 1200, firstPictureID: 0x7FF0)
    var sequenceNumber: UInt16 = 65_500
    /// Every packet sent, for retransmission.
    var history: [UInt16: RTPPacket] = [:]

    mutating func packets(for frame: EncodedFrame) -> [RTPPacket] {
        let packets = switch frame.codec {
        case .vp8: vp8.packets(for: frame, payloadType: 96, ssrc: 0x1234, sequenceNumber: &sequenceNumber)
        case .vp9: vp9.packets(for: frame, payloadType: 98, ssrc: 0x1234, sequenceNumber: &sequenceNumber)
        }
        for packet in packets { history[packet.header.sequenceNumber] = packet }
        return packets
    }

    /// Padding-only packets (empty payload), as senders send to probe; they reveal a lost tail.
    mutating func padding(count: Int, timestamp: UInt32) -> [RTPPacket] {
        (0..<count).map { _ in
            defer { sequenceNumber = sequenceNumber &+ 1 }
            let packet = RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: sequenceNumber,
                                                     timestamp: timestamp, ssrc: 0x1234),
                                   payload: [], paddingLength: 200)
            history[packet.header.sequenceNumber] = packet
            return packet
        }
    }
}

/// What one run of encode → packetize → lossy channel → assemble → decode produced.
private struct PipelineRun {
    /// The encoder's output decoded directly, one picture per frame, by frame index.
    var reference: [I420Frame] = []
    /// The pictures decoded from the assembler's frames, with their frame index.
    var received: [(index: Int, picture: I420Frame)] = []
    var keyframeIndices: [Int] = []
    var keyframeRequestTimes: [Instant] = []
    var statistics = VideoFrameAssemblerStatistics()
    var dropped: [DroppedVideoFrame] = []
    var channel: LossyReorderingChannel
    var pendingAtEnd = 0
}

/// Runs `frameCount` frames of the synthetic scene at 30 fps through the pipeline on a virtual
/// clock. Keyframe requests reach the encoder one channel delay after they are made.
private func runPipeline(codec: VideoCodec, frameCount: Int, channel: LossyReorderingChannel,
                         neverDeliver: (frame: Int, packet: Int)? = nil) throws -> PipelineRun {
    let scene = SyntheticScene(width: 640, height: 360, fps: 30)
    var sender = Sender(encoder: try VideoEncoder(codec: codec, width: 640, height: 360, fps: 30, bitrateKbps: 1000))
    let referenceDecoder = try VideoDecoder(codec: codec)
    let decoder = try VideoDecoder(codec: codec)
    var settings = VideoFrameAssembler.Settings()
    settings.nackDelay = .milliseconds(5)
    var assembler = VideoFrameAssembler(codec: codec, settings: settings, roundTripTime: .milliseconds(50))
    var run = PipelineRun(channel: channel)
    let frameInterval = Duration.microseconds(33_333)
    var nextFrameAt = Instant.zero
    var frameIndex = 0
    var keyframeWantedAt: Instant?
    var now = Instant.zero

    func process(_ events: [VideoFrameAssemblerEvent]) throws {
        for event in events {
            switch event {
            case .frame(let frame):
                let index = Int(frame.timestamp / 3000)
                for picture in try decoder.decode(frame.bytes, timestamp: frame.timestamp) {
                    run.received.append((index, picture))
                }
            case .nack(let sequenceNumbers):
                for sequenceNumber in sequenceNumbers {
                    if let packet = sender.history[sequenceNumber] { run.channel.retransmit(packet, now: now) }
                }
            case .keyframeRequest:
                run.keyframeRequestTimes.append(now)
                if keyframeWantedAt == nil { keyframeWantedAt = now + run.channel.delay }
            case .frameDropped(let dropped):
                run.dropped.append(dropped)
            case .invalidPayload(let sequenceNumber, let error):
                Issue.record("packet \(sequenceNumber) did not parse: \(error)")
            }
        }
    }

    let end = Instant.zero + frameInterval * (frameCount + 60)
    while now < end {
        var candidates = [run.channel.nextDelivery, assembler.nextDeadline].compactMap { $0 }
        if frameIndex < frameCount { candidates.append(nextFrameAt) }
        guard let next = candidates.min() else { break }
        now = max(now, next)
        if frameIndex < frameCount && nextFrameAt <= now {
            let force = keyframeWantedAt.map { $0 <= now } ?? false
            if force { keyframeWantedAt = nil }
            let encoded = try sender.encoder.encode(scene.frame(frameIndex), forceKeyframe: force)
            #expect(encoded.count == 1, "frame \(frameIndex)")
            for frame in encoded {
                if frame.isKeyframe { run.keyframeIndices.append(frameIndex) }
                run.reference += try referenceDecoder.decode(frame)
                var packets = sender.packets(for: frame)
                if let neverDeliver, neverDeliver.frame == frameIndex {
                    let lost = packets[min(neverDeliver.packet, packets.count - 1)]
                    run.channel.neverDeliver.insert(lost.header.sequenceNumber)
                }
                if frameIndex == frameCount - 1 {
                    packets += sender.padding(count: 3, timestamp: frame.rtpTimestamp)
                }
                run.channel.send(packets, now: now)
            }
            frameIndex += 1
            nextFrameAt = nextFrameAt + frameInterval
            if frameIndex == frameCount { run.channel.flush(now: now) }
        }
        for packet in run.channel.deliveries(upTo: now) {
            try process(assembler.insert(packet, now: now))
        }
        if let deadline = assembler.nextDeadline, deadline <= now {
            try process(assembler.handle(.timeout, now: now))
        }
        if frameIndex == frameCount && run.channel.isIdle && assembler.nextDeadline == nil { break }
    }
    run.statistics = assembler.statistics
    run.pendingAtEnd = assembler.pendingPackets
    return run
}

/// Positions where two picture sequences differ (a length difference counts as one more), so a
/// failure names frames instead of printing megabytes of samples.
private func differingPictures(_ a: [I420Frame], _ b: [I420Frame]) -> [Int] {
    zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset) + (a.count == b.count ? [] : [-1])
}

struct LossyPipelineTests {
    /// Loss, reordering and retransmission: every frame arrives, and decodes bit for bit as
    /// the encoder's own output does.
    @Test(arguments: [VideoCodec.vp8, .vp9])
    func everyFrameDecodesIdenticallyThroughLossAndReordering(codec: VideoCodec) throws {
        let channel = LossyReorderingChannel(seed: codec == .vp8 ? 7 : 11, window: 6, lossRate: 0.08)
        let run = try runPipeline(codec: codec, frameCount: 60, channel: channel)
        #expect(run.reference.count == 60)
        #expect(run.received.map(\.index) == Array(0..<60))
        #expect(differingPictures(run.received.map(\.picture), run.reference).isEmpty)
        // The channel really lost and reordered packets and the assembler really repaired it.
        #expect(run.channel.lost > 8, "lost \(run.channel.lost)")
        #expect(run.channel.retransmissionsLost > 0)
        #expect(run.channel.reordered > 20, "reordered \(run.channel.reordered)")
        #expect(run.statistics.recoveredPackets >= run.channel.lost - 3)
        #expect(run.statistics.nackedPackets >= run.statistics.recoveredPackets)
        #expect(run.statistics.keyframeRequests == 0)
        #expect(run.statistics.framesDropped == 0)
        #expect(run.statistics.framesAssembled == 60)
        #expect(run.statistics.keyframesAssembled == 1)
        #expect(run.statistics.lostPackets == 0)
        #expect(run.statistics.paddingPackets > 0)
        #expect(run.dropped.isEmpty)
        #expect(run.pendingAtEnd == 0)
    }

    /// One packet of delta frame 20 never arrives: the assembler retries, gives up, asks for a
    /// keyframe once, drops the frames that depend on the lost one, and decoding resumes bit for
    /// bit at the keyframe the encoder made on request.
    @Test(arguments: [VideoCodec.vp8, .vp9])
    func recoversAtRequestedKeyframeWhenAPacketNeverArrives(codec: VideoCodec) throws {
        let channel = LossyReorderingChannel(seed: codec == .vp8 ? 3 : 5, window: 4, lossRate: 0.03)
        let run = try runPipeline(codec: codec, frameCount: 60, channel: channel, neverDeliver: (20, 1))
        #expect(run.reference.count == 60)
        #expect(run.keyframeRequestTimes.count == 1)
        #expect(run.statistics.keyframeRequests == 1)
        #expect(run.keyframeIndices.count == 2)
        let recovery = try #require(run.keyframeIndices.last)
        // Given up after 3 NACKs spaced by the 50 ms RTT, then one channel delay for the PLI.
        #expect(recovery > 20 && recovery <= 30, "keyframe at frame \(recovery)")
        let expected = Array(0..<20) + Array(recovery..<60)
        #expect(run.received.map(\.index) == expected)
        #expect(differingPictures(run.received.map(\.picture), expected.map { run.reference[$0] }).isEmpty)
        #expect(run.statistics.framesDropped == recovery - 20)
        #expect(run.dropped.first?.timestamp == UInt32(20 * 3000))
        #expect(run.dropped.first?.reason == .incomplete)
        #expect(run.dropped.dropFirst().allSatisfy { $0.reason == .missingReference })
        #expect(run.statistics.lostPackets == 1)
        #expect(run.pendingAtEnd == 0)
    }
}

