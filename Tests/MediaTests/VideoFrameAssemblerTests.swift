import RTP
import SansIO
import Testing
@testable import Media

/// A fake VP8 frame: a valid 640x360 keyframe header (or a delta frame tag) followed by filler.
private func fakeVP8Frame(count: Int, seed: UInt8, keyframe: Bool = true) -> [UInt8] {
    let header: [UInt8] = keyframe ? [0x10, 0x7D, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01] : [0x31, 0x02, 0x00]
    return header + (0..<max(0, count - header.count)).map { UInt8(truncatingIfNeeded: $0) &+ seed }
}

/// A fake VP9 frame: a 640x360 profile-0 keyframe header (or an inter frame header) + filler.
private func fakeVP9Frame(count: Int, seed: UInt8, keyframe: Bool = true) -> [UInt8] {
    let header: [UInt8] = keyframe ? [0x82, 0x49, 0x83, 0x42, 0x40, 0x27, 0xF0, 0x16, 0x70] : [0x86, 0x00]
    return header + (0..<max(0, count - header.count)).map { UInt8(truncatingIfNeeded: $0) &+ seed }
}

/// Packetizes fake frames of one codec with consecutive sequence numbers.
private struct FakeStream {
    let codec: VideoCodec
    var sequenceNumber: UInt16
    var vp8 = VP8Packetizer(maxPayloadSize: 100)
    var vp9 = VP9Packetizer(maxPayloadSize: 100)

    init(codec: VideoCodec, firstSequenceNumber: UInt16 = 0) {
        self.codec = codec
        self.sequenceNumber = firstSequenceNumber
    }

    /// Frame `index` (timestamp index × 3000), `count` bytes.
    mutating func frame(_ index: Int, count: Int = 250, keyframe: Bool = false) -> [RTPPacket] {
        let seed = UInt8(truncatingIfNeeded: index)
        let bytes = codec == .vp8 ? fakeVP8Frame(count: count, seed: seed, keyframe: keyframe)
            : fakeVP9Frame(count: count, seed: seed, keyframe: keyframe)
        let encoded = EncodedFrame(codec: codec, bytes: bytes, isKeyframe: keyframe,
                                   rtpTimestamp: UInt32(index * 3000), width: 640, height: 360)
        return codec == .vp8
            ? vp8.packets(for: encoded, payloadType: 96, ssrc: 1, sequenceNumber: &sequenceNumber)
            : vp9.packets(for: encoded, payloadType: 98, ssrc: 1, sequenceNumber: &sequenceNumber)
    }
}

private func frames(_ events: [VideoFrameAssemblerEvent]) -> [AssembledVideoFrame] {
    events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
}

private func drops(_ events: [VideoFrameAssemblerEvent]) -> [DroppedVideoFrame] {
    events.compactMap { if case .frameDropped(let d) = $0 { d } else { nil } }
}

private func nacks(_ events: [VideoFrameAssemblerEvent]) -> [[UInt16]] {
    events.compactMap { if case .nack(let s) = $0 { s } else { nil } }
}

private func ms(_ value: Int64) -> Instant { .milliseconds(value) }

struct VideoFrameAssemblerTests {
    @Test(arguments: [VideoCodec.vp8, .vp9])
    func reorderedPacketsAcrossSequenceWrap(codec: VideoCodec) throws {
        var stream = FakeStream(codec: codec, firstSequenceNumber: 65533)
        let rtp = stream.frame(0, count: 450, keyframe: true)
        #expect(rtp.count == 5)
        var assembler = VideoFrameAssembler(codec: codec, settings: .init(), roundTripTime: .milliseconds(40))
        var events: [VideoFrameAssemblerEvent] = []
        for index in [4, 1, 3, 0, 2] { events += assembler.insert(rtp[index], now: ms(1)) }
        let done = frames(events)
        #expect(done.count == 1)
        let frame = try #require(done.first)
        #expect(frame.bytes == (codec == .vp8 ? fakeVP8Frame(count: 450, seed: 0) : fakeVP9Frame(count: 450, seed: 0)))
        #expect(frame.isKeyframe)
        #expect(frame.width == 640 && frame.height == 360)
        #expect(frame.firstSequenceNumber == 65533 && frame.lastSequenceNumber == 1)
        #expect(frame.pictureID == 0 && frame.packetCount == 5 && frame.endsPicture)
        #expect(assembler.pendingPackets == 0)
        // Before the stream starts, the packet before the oldest non-start packet is asked for
        // (the frame's start must precede it), as are gaps: packet 4 (seq 1) arriving first
        // makes seq 0 missing; packet 1 (65534) then reveals 65535 and, not being a start, 65533.
        // All NACKed at once (nackDelay 0) and filled before anything was given up.
        #expect(nacks(events) == [[0], [65533, 65535]])
        #expect(assembler.statistics.keyframeRequests == 0)
        // The frame was emitted: a retransmitted copy is late.
        #expect(assembler.insert(rtp[2], now: ms(2)).isEmpty)
        #expect(assembler.statistics.latePackets == 1)
    }

    @Test func duplicatesAreCountedAndIgnored() {
        var stream = FakeStream(codec: .vp8)
        let rtp = stream.frame(0, count: 150, keyframe: true)
        var assembler = VideoFrameAssembler(codec: .vp8)
        #expect(assembler.insert(rtp[0], now: ms(0)).isEmpty)
        #expect(assembler.insert(rtp[0], now: ms(1)).isEmpty)
        #expect(assembler.statistics.duplicatePackets == 1)
        #expect(frames(assembler.insert(rtp[1], now: ms(2))).count == 1)
    }

    /// Frames complete out of order come out in decode order once the gap is filled.
    @Test func laterFrameWaitsForEarlierOne() {
        var stream = FakeStream(codec: .vp9, firstSequenceNumber: 100)
        let key = stream.frame(0, count: 150, keyframe: true)
        let first = stream.frame(1, count: 150), second = stream.frame(2, count: 150)
        var assembler = VideoFrameAssembler(codec: .vp9)
        var events: [VideoFrameAssemblerEvent] = []
        for packet in key + [first[0]] + second { events += assembler.insert(packet, now: ms(0)) }
        #expect(frames(events).map(\.timestamp) == [0])
        #expect(nacks(events) == [[first[1].header.sequenceNumber]])
        #expect(assembler.missingSequenceNumbers == [first[1].header.sequenceNumber])
        let late = assembler.insert(first[1], now: ms(30))
        #expect(frames(late).map(\.timestamp) == [3000, 6000])
        #expect(frames(late).allSatisfy { !$0.isKeyframe })
        #expect(assembler.statistics.recoveredPackets == 1)
        #expect(assembler.nextDeadline == nil)
    }

    /// NACK after `nackDelay`, retry every RTT, give up after the last retry: keyframe request,
    /// dependent frames dropped, resume at the next keyframe.
    @Test func retriesThenGivesUpAndResumesAtKeyframe() {
        var settings = VideoFrameAssembler.Settings()
        settings.nackDelay = .milliseconds(10)
        settings.maxNackRetries = 3
        var assembler = VideoFrameAssembler(codec: .vp8, settings: settings, roundTripTime: .milliseconds(50))
        var stream = FakeStream(codec: .vp8, firstSequenceNumber: 1000)
        let key = stream.frame(0, count: 150, keyframe: true)
        let lostFrame = stream.frame(1, count: 150)
        let dependent = stream.frame(2, count: 150)
        let nextKey = stream.frame(3, count: 150, keyframe: true)
        var events: [VideoFrameAssemblerEvent] = []
        for packet in key + [lostFrame[0]] + dependent { events += assembler.insert(packet, now: ms(0)) }
        #expect(frames(events).count == 1)
        #expect(nacks(events).isEmpty)
        let missingSequence = lostFrame[1].header.sequenceNumber
        #expect(assembler.nextDeadline == ms(10))
        #expect(nacks(assembler.handle(.timeout, now: ms(9))).isEmpty)
        #expect(nacks(assembler.handle(.timeout, now: ms(10))) == [[missingSequence]])
        #expect(assembler.nextDeadline == ms(60))
        #expect(nacks(assembler.handle(.timeout, now: ms(60))) == [[missingSequence]])
        #expect(nacks(assembler.handle(.timeout, now: ms(110))) == [[missingSequence]])
        #expect(assembler.statistics.nackedPackets == 3)
        #expect(assembler.nextDeadline == ms(160))
        events = assembler.handle(.timeout, now: ms(160))
        #expect(events.contains(.keyframeRequest))
        #expect(drops(events) == [
            DroppedVideoFrame(timestamp: 3000, receivedPackets: 1, reason: .incomplete),
            DroppedVideoFrame(timestamp: 6000, receivedPackets: 2, reason: .missingReference),
        ])
        #expect(assembler.isWaitingForKeyframe)
        #expect(assembler.statistics.lostPackets == 1)
        // The lost packet turning up now is late; the next keyframe restarts the stream.
        #expect(assembler.insert(lostFrame[1], now: ms(170)).isEmpty)
        events = nextKey.flatMap { assembler.insert($0, now: ms(200)) }
        #expect(frames(events).map(\.timestamp) == [9000])
        #expect(!assembler.isWaitingForKeyframe)
        #expect(assembler.statistics.keyframeRequests == 1)
        #expect(assembler.statistics.framesDropped == 2)
        #expect(assembler.statistics.latePackets == 1)
        #expect(assembler.pendingPackets == 0 && assembler.nextDeadline == nil)
    }

    /// A stream joined mid-way: delta frames are held for `startupWait`, then dropped with a
    /// keyframe request; the keyframe starts the stream.
    @Test func streamStartingWithDeltaFramesAsksForKeyframe() {
        var assembler = VideoFrameAssembler(codec: .vp9)
        var stream = FakeStream(codec: .vp9, firstSequenceNumber: 40)
        var events: [VideoFrameAssemblerEvent] = []
        for index in 0..<3 { events += stream.frame(index).flatMap { assembler.insert($0, now: ms(Int64(index) * 33)) } }
        #expect(events.isEmpty)
        #expect(assembler.nextDeadline == ms(200))
        events = assembler.handle(.timeout, now: ms(200))
        #expect(events.filter { $0 == .keyframeRequest }.count == 1)
        #expect(drops(events).map(\.timestamp) == [0, 3000, 6000])
        events = stream.frame(3, keyframe: true).flatMap { assembler.insert($0, now: ms(230)) }
        events += stream.frame(4).flatMap { assembler.insert($0, now: ms(260)) }
        #expect(frames(events).map(\.timestamp) == [9000, 12000])
        #expect(frames(events).map(\.isKeyframe) == [true, false])
    }

    /// Reordering at the very start: the keyframe's first packet arrives after later ones.
    @Test func keyframeStartArrivingLateStillStartsTheStream() {
        var assembler = VideoFrameAssembler(codec: .vp8)
        var stream = FakeStream(codec: .vp8, firstSequenceNumber: 65534)
        let key = stream.frame(0, count: 300, keyframe: true), delta = stream.frame(1, count: 150)
        var events: [VideoFrameAssemblerEvent] = []
        for packet in [key[2], delta[0], key[1], key[3], delta[1], key[0]] { events += assembler.insert(packet, now: ms(0)) }
        #expect(frames(events).map(\.timestamp) == [0, 3000])
        #expect(assembler.statistics.keyframeRequests == 0 && assembler.statistics.framesDropped == 0)
    }

    /// Two spatial layers of one VP9 picture: two layer frames, same timestamp, emitted in order.
    @Test func spatialLayerFramesOfOnePictureComeOutSeparately() throws {
        let base = VP9PayloadDescriptor(
            isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: true, pictureID: .long(5),
            layerIndices: .init(spatialLayerID: 0), tl0PicIndex: 0,
            scalabilityStructure: VP9ScalabilityStructure(
                spatialLayerCount: 2, resolutions: [.init(width: 320, height: 180), .init(width: 640, height: 360)]))
        let upper = VP9PayloadDescriptor(
            isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: true, pictureID: .long(5),
            layerIndices: .init(spatialLayerID: 1, dependsOnLowerSpatialLayer: true), tl0PicIndex: 0)
        let baseFrame = fakeVP9Frame(count: 30, seed: 1), upperFrame = fakeVP9Frame(count: 30, seed: 2, keyframe: false)
        let packets = [
            RTPPacket(header: RTPHeader(marker: false, payloadType: 98, sequenceNumber: 10, timestamp: 9000, ssrc: 1),
                      payload: base.serialize() + baseFrame),
            RTPPacket(header: RTPHeader(marker: true, payloadType: 98, sequenceNumber: 11, timestamp: 9000, ssrc: 1),
                      payload: upper.serialize() + upperFrame),
        ]
        var assembler = VideoFrameAssembler(codec: .vp9)
        let events = assembler.insert(packets[1], now: ms(0)) + assembler.insert(packets[0], now: ms(1))
        let out = frames(events)
        #expect(out.map(\.bytes) == [baseFrame, upperFrame])
        #expect(out.map(\.spatialLayerID) == [0, 1])
        #expect(out.map(\.isKeyframe) == [true, false])
        #expect(out.map(\.endsPicture) == [false, true])
        #expect(out.map(\.timestamp) == [9000, 9000])
        #expect(out.map(\.pictureID) == [5, 5])
    }

    /// The stream's very first packet (the keyframe's start) is lost: it is asked for by
    /// walking back from the oldest packet held, and the stream starts at it.
    @Test func lostFirstPacketOfTheStreamIsAskedFor() {
        var assembler = VideoFrameAssembler(codec: .vp8)
        var stream = FakeStream(codec: .vp8, firstSequenceNumber: 500)
        let key = stream.frame(0, count: 300, keyframe: true)
        var events = key.dropFirst().flatMap { assembler.insert($0, now: ms(0)) }
        #expect(nacks(events) == [[500]])
        #expect(assembler.missingSequenceNumbers == [500])
        events = assembler.insert(key[0], now: ms(40))
        #expect(frames(events).map(\.timestamp) == [0])
        #expect(assembler.statistics.recoveredPackets == 1 && assembler.statistics.keyframeRequests == 0)
    }

    @Test func paddingBetweenFramesDoesNotBlock() {
        var assembler = VideoFrameAssembler(codec: .vp9)
        var stream = FakeStream(codec: .vp9)
        var events = stream.frame(0, keyframe: true).flatMap { assembler.insert($0, now: ms(0)) }
        let padding = RTPPacket(header: RTPHeader(payloadType: 98, sequenceNumber: stream.sequenceNumber, timestamp: 0,
                                                  ssrc: 1), payload: [], paddingLength: 100)
        stream.sequenceNumber &+= 1
        let delta = stream.frame(1)
        events += delta.flatMap { assembler.insert($0, now: ms(1)) }
        #expect(frames(events).count == 1)
        events = assembler.insert(padding, now: ms(2))
        #expect(frames(events).map(\.timestamp) == [3000])
        #expect(assembler.statistics.paddingPackets == 1)
    }

    @Test func invalidPayloadBreaksItsFrame() {
        var assembler = VideoFrameAssembler(codec: .vp9)
        var stream = FakeStream(codec: .vp9, firstSequenceNumber: 7)
        var events = stream.frame(0, keyframe: true).flatMap { assembler.insert($0, now: ms(0)) }
        var delta = stream.frame(1, count: 250)
        delta[1].payload = [0x80]  // I = 1 and nothing else
        events = delta.flatMap { assembler.insert($0, now: ms(1)) }
        #expect(events.contains(.invalidPayload(sequenceNumber: delta[1].header.sequenceNumber, .vp9(.truncatedPictureID))))
        #expect(events.contains(.keyframeRequest))
        #expect(drops(events).map(\.reason) == [.malformed])
        #expect(assembler.statistics.invalidPackets == 1)
        #expect(assembler.isWaitingForKeyframe)
    }

    @Test func completeFrameWithBadHeaderIsDropped() {
        var assembler = VideoFrameAssembler(codec: .vp8)
        // S=1 PID=0, keyframe tag but the start code is wrong.
        let payload: [UInt8] = [0x10, 0x10, 0x00, 0x00, 0x9D, 0x01, 0x2B, 0x80, 0x02, 0x68, 0x01]
        let packet = RTPPacket(header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 1),
                               payload: payload)
        let events = assembler.insert(packet, now: ms(0))
        #expect(drops(events) == [DroppedVideoFrame(timestamp: 0, receivedPackets: 1,
                                                    reason: .invalidHeader(.vp8(.badStartCode)))])
        #expect(events.contains(.keyframeRequest))
    }

    /// The head frame's tail never comes and nothing follows it: given up after `maxWait`.
    @Test func blockedHeadIsGivenUpAfterMaxWait() {
        var assembler = VideoFrameAssembler(codec: .vp8)
        var stream = FakeStream(codec: .vp8)
        _ = stream.frame(0, keyframe: true).flatMap { assembler.insert($0, now: ms(0)) }
        let delta = stream.frame(1, count: 250)
        #expect(assembler.insert(delta[0], now: ms(40)).isEmpty)
        #expect(assembler.nextDeadline == ms(1040))
        let events = assembler.handle(.timeout, now: ms(1040))
        #expect(drops(events) == [DroppedVideoFrame(timestamp: 3000, receivedPackets: 1, reason: .incomplete)])
        #expect(events.contains(.keyframeRequest))
        #expect(assembler.pendingPackets == 0 && assembler.nextDeadline == nil)
    }

    @Test func sequenceJumpRestartsTheStream() {
        var assembler = VideoFrameAssembler(codec: .vp8)
        var stream = FakeStream(codec: .vp8)
        _ = stream.frame(0, keyframe: true).flatMap { assembler.insert($0, now: ms(0)) }
        stream.sequenceNumber = 30_000
        var events = stream.frame(1).flatMap { assembler.insert($0, now: ms(33)) }
        #expect(events.contains(.keyframeRequest))
        #expect(nacks(events).isEmpty)
        events = stream.frame(2, keyframe: true).flatMap { assembler.insert($0, now: ms(66)) }
        #expect(frames(events).map(\.timestamp) == [6000])
    }

    @Test func memoryStaysWithinBounds() {
        var settings = VideoFrameAssembler.Settings()
        settings.maxPendingPackets = 16
        settings.maxPendingFrames = 4
        var assembler = VideoFrameAssembler(codec: .vp8, settings: settings)
        var stream = FakeStream(codec: .vp8)
        _ = stream.frame(0, keyframe: true).flatMap { assembler.insert($0, now: ms(0)) }
        var events: [VideoFrameAssemblerEvent] = []
        for index in 1..<12 {
            // Frame 1 loses its middle packet: everything after it waits.
            let packets = stream.frame(index)
            let sent = index == 1 ? [packets[0], packets[2]] : packets
            events += sent.flatMap { assembler.insert($0, now: ms(Int64(index))) }
            #expect(assembler.pendingPackets <= 16 && assembler.pendingFrames <= 4)
        }
        #expect(drops(events).contains { $0.reason == .overflow })
        #expect(events.contains(.keyframeRequest))
    }

    /// Random payloads, sequence numbers, timestamps and times: never traps, stays bounded.
    @Test(arguments: [VideoCodec.vp8, .vp9])
    func randomInputNeverTraps(codec: VideoCodec) {
        var settings = VideoFrameAssembler.Settings()
        settings.maxPendingPackets = 64
        settings.maxPendingFrames = 8
        settings.maxPacketsPerFrame = 16
        var assembler = VideoFrameAssembler(codec: codec, settings: settings)
        var rng = SplitMix64(state: 99)
        var now = Instant.zero
        var base: UInt16 = 0
        for _ in 0..<20_000 {
            now = now + .microseconds(Int64(rng.next() % 5000))
            let length = Int(rng.next() % 24)
            var payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !payload.isEmpty && rng.chance(0.5) { payload[0] &= 0x9F }
            if rng.chance(0.01) { base = UInt16(truncatingIfNeeded: rng.next()) }
            let sequenceNumber = base &+ UInt16(rng.next() % 40)
            base &+= UInt16(rng.next() % 3)
            let packet = RTPPacket(header: RTPHeader(marker: rng.chance(0.3), payloadType: 96,
                                                     sequenceNumber: sequenceNumber,
                                                     timestamp: UInt32(truncatingIfNeeded: rng.next() % 4) &* 3000,
                                                     ssrc: 1), payload: payload)
            _ = assembler.insert(packet, now: now)
            if rng.chance(0.1) { _ = assembler.handle(.timeout, now: now) }
            #expect(assembler.pendingPackets <= 64)
            #expect(assembler.pendingFrames <= 8)
            #expect(assembler.missingSequenceNumbers.count <= 64)
        }
    }
}
