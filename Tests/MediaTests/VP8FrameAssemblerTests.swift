import RTP
import Testing
@testable import Media

/// A fake VP8 keyframe: a valid 640x360 keyframe header followed by filler.
private func fakeKeyframe(count: Int, seed: UInt8) -> [UInt8] {
    [0x10, 0x7D, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0x68, 0x01]
        + (0..<max(0, count - 10)).map { UInt8(truncatingIfNeeded: $0) &+ seed }
}

private func packets(_ frame: [UInt8], timestamp: UInt32, firstSequence: UInt16,
                     packetizer: inout VP8Packetizer) -> [RTPPacket] {
    var sequence = firstSequence
    let encoded = EncodedFrame(codec: .vp8, bytes: frame, isKeyframe: true, rtpTimestamp: timestamp,
                               width: 640, height: 360)
    return packetizer.packets(for: encoded, payloadType: 96, ssrc: 1, sequenceNumber: &sequence)
}

private func frames(_ events: [VP8FrameAssemblerEvent]) -> [AssembledVP8Frame] {
    events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
}

private func incompletes(_ events: [VP8FrameAssemblerEvent]) -> [IncompleteVP8Frame] {
    events.compactMap { if case .incomplete(let f) = $0 { f } else { nil } }
}

struct VP8FrameAssemblerTests {
    @Test func reorderedPacketsAcrossSequenceWrap() {
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        let frame = fakeKeyframe(count: 450, seed: 3)
        let rtp = packets(frame, timestamp: 9000, firstSequence: 65533, packetizer: &packetizer)
        #expect(rtp.count == 5)
        var assembler = VP8FrameAssembler()
        var events: [VP8FrameAssemblerEvent] = []
        for index in [4, 1, 3, 0, 2] { events += assembler.insert(rtp[index]) }
        let done = frames(events)
        #expect(done.count == 1)
        #expect(done.first?.bytes == frame)
        #expect(done.first?.isKeyframe == true)
        #expect(done.first?.width == 640)
        #expect(done.first?.height == 360)
        #expect(done.first?.firstSequenceNumber == 65533)
        #expect(done.first?.lastSequenceNumber == 1)
        #expect(done.first?.pictureID == 0)
        #expect(assembler.pendingFrames == 0)
        // The frame was already reported: a retransmitted copy is ignored.
        #expect(assembler.insert(rtp[2]).isEmpty)
        #expect(assembler.latePackets == 1)
    }

    @Test func missingPacketMakesFrameIncomplete() {
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        let first = packets(fakeKeyframe(count: 300, seed: 1), timestamp: 0, firstSequence: 10,
                            packetizer: &packetizer)
        let second = packets(fakeKeyframe(count: 300, seed: 2), timestamp: 3000, firstSequence: 14,
                             packetizer: &packetizer)
        #expect(first.count == 4)
        var assembler = VP8FrameAssembler()
        var events: [VP8FrameAssemblerEvent] = []
        for (i, p) in first.enumerated() where i != 2 { events += assembler.insert(p) }
        #expect(events.isEmpty)
        #expect(assembler.pendingFrames == 1)
        for p in second { events += assembler.insert(p) }
        let lost = incompletes(events)
        #expect(lost.count == 1)
        #expect(lost.first?.timestamp == 0)
        #expect(lost.first?.missingSequenceNumbers == [12])
        #expect(lost.first?.hasFirstPacket == true)
        #expect(lost.first?.hasLastPacket == true)
        #expect(lost.first?.receivedPackets == 3)
        #expect(frames(events).map(\.timestamp) == [3000])
        // The incomplete frame is reported before the newer complete one.
        if case .incomplete = events.first {} else { Issue.record("expected incomplete first") }
    }

    @Test func flushReportsMissingEnd() {
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        let rtp = packets(fakeKeyframe(count: 300, seed: 1), timestamp: 0, firstSequence: 0,
                          packetizer: &packetizer)
        var assembler = VP8FrameAssembler()
        _ = assembler.insert(rtp[0])
        _ = assembler.insert(rtp[2])
        let lost = incompletes(assembler.flush())
        #expect(lost.count == 1)
        #expect(lost.first?.hasLastPacket == false)
        #expect(lost.first?.missingSequenceNumbers == [1])
        #expect(assembler.pendingFrames == 0)
    }

    @Test func duplicatesAreIgnored() {
        var packetizer = VP8Packetizer(maxPayloadSize: 100)
        let rtp = packets(fakeKeyframe(count: 150, seed: 1), timestamp: 0, firstSequence: 0,
                          packetizer: &packetizer)
        var assembler = VP8FrameAssembler()
        #expect(assembler.insert(rtp[0]).isEmpty)
        #expect(assembler.insert(rtp[0]).isEmpty)
        #expect(assembler.duplicatePackets == 1)
        #expect(frames(assembler.insert(rtp[1])).count == 1)
    }

    @Test func invalidPayloadIsReportedAndDropped() {
        var assembler = VP8FrameAssembler()
        let events = assembler.insert(payload: [0x90], sequenceNumber: 7, timestamp: 0, marker: true)
        #expect(events == [.invalidPayload(sequenceNumber: 7, .truncatedExtension)])
        #expect(assembler.pendingFrames == 0)
    }

    @Test func completeFrameWithBadKeyframeHeaderIsInvalid() {
        var assembler = VP8FrameAssembler()
        // S=1 PID=0, keyframe tag but wrong start code.
        let payload: [UInt8] = [0x10, 0x10, 0x00, 0x00, 0x9D, 0x01, 0x2B, 0x80, 0x02, 0x68, 0x01]
        let events = assembler.insert(payload: payload, sequenceNumber: 1, timestamp: 0, marker: true)
        #expect(events == [.invalidFrame(timestamp: 0, .badStartCode)])
    }

    @Test func pendingFramesAreBounded() {
        var assembler = VP8FrameAssembler(maxPendingFrames: 2)
        var events: [VP8FrameAssemblerEvent] = []
        for i in 0..<4 {
            // Only the start packet of each frame arrives.
            events += assembler.insert(payload: [0x10, 0x31, 0, 0], sequenceNumber: UInt16(i * 2),
                                       timestamp: UInt32(i * 3000), marker: false)
        }
        #expect(assembler.pendingFrames == 2)
        #expect(incompletes(events).map(\.timestamp) == [0, 3000])
    }
}
