import DTLS
import Media
import RTP
import SansIO
import Testing
@testable import Node

/// The node's side of the restored rendition, driven in memory: which tracks it hands to
/// processing, the frames it assembles from real VP8 RTP, and how it sends the encoded
/// rendition to restored subscribers only.
@Suite struct NodeProcessingTests {
    let nodeAddress = TransportAddress(ipv4: "127.0.0.1", port: 50000)!

    struct Room {
        var wire: Wire
        var publisher: TestPeer
        var original: TestPeer
        var restored: TestPeer
        var node: Node { wire.node }
    }

    /// A publisher, an original and a restored subscriber in room "r", all connected.
    func room(processing: Bool = true) throws -> Room {
        let cert = try DTLSCertificate.generate(commonName: "node", unixTime: 1_800_000_000)
        var configuration = NodeConfiguration(candidates: [nodeAddress])
        configuration.processing.enabled = processing
        let node = Node(configuration: configuration, certificate: cert, random: .seeded(3))
        var wire = Wire(node: node)
        let pub = try TestPeer(address: TransportAddress(ipv4: "10.0.0.1", port: 1000)!, name: "pub1")
        let orig = try TestPeer(address: TransportAddress(ipv4: "10.0.0.2", port: 2000)!, name: "sub1")
        let rest = try TestPeer(address: TransportAddress(ipv4: "10.0.0.3", port: 3000)!, name: "sub2")
        for peer in [pub, orig, rest] { wire.add(peer) }
        try pub.apply(answer: node.createSession(role: .publisher, room: "r", variant: .original,
                                                 offer: pub.offer(sending: true), now: .zero).answer)
        try orig.apply(answer: node.createSession(role: .subscriber, room: "r", variant: .original,
                                                  offer: orig.offer(sending: false), now: .zero).answer)
        try rest.apply(answer: node.createSession(role: .subscriber, room: "r", variant: .restored,
                                                  offer: rest.offer(sending: false), now: .zero).answer)
        for peer in [pub, orig, rest] {
            try wire.deliver([try #require(peer.bindingRequest())], from: peer.address)
            #expect(peer.connected, "\(peer.ufrag) did not complete ICE + DTLS")
        }
        return Room(wire: wire, publisher: pub, original: orig, restored: rest)
    }

    /// Real VP8: `count` frames of a 160×96 synthetic scene, the first a keyframe, as RTP
    /// packets of the publisher's video (SSRC 2222, PT 96, MID 1), ~300-byte payloads.
    func vp8Packets(frames count: Int) throws -> (frames: [EncodedFrame], packets: [[RTPPacket]]) {
        let scene = SyntheticScene(width: 160, height: 96)
        let encoder = try VideoEncoder(codec: .vp8, width: 160, height: 96, fps: 30, bitrateKbps: 600)
        var packetizer = VP8Packetizer(maxPayloadSize: 300)
        var sequence: UInt16 = 65_530
        var frames: [EncodedFrame] = []
        var packets: [[RTPPacket]] = []
        for i in 0..<count {
            for frame in try encoder.encode(scene.frame(i)) {
                frames.append(frame)
                var group = packetizer.packets(for: frame, payloadType: 96, ssrc: 2222, sequenceNumber: &sequence)
                for j in group.indices {
                    group[j].header.headerExtension = RTPHeaderExtension(elements: [RTPExtensionElement(id: 4, data: Array("1".utf8))])
                }
                packets.append(group)
            }
        }
        return (frames, packets)
    }

    func video(_ peer: TestPeer) throws -> [RTPPacket] {
        try peer.received.map { try RTPPacket.parse($0) }.filter { $0.header.payloadType == 96 }
    }

    @Test func aRestoredSubscriberStartsTheTracksRenditionAndOnlyIt() throws {
        let r = try room()
        let commands = r.node.takeProcessingCommands()
        guard case let .start(track, room, codec, bitrate)? = commands.first else {
            Issue.record("expected a start command, got \(commands)")
            return
        }
        #expect(track.hasSuffix("/1") && room == "r" && codec == .vp8 && bitrate == 1_000_000)
        // The restored subscriber connected: its rendition starts with a keyframe.
        #expect(commands.dropFirst() == [.keyframe(track: track)])
        // Nothing more while nothing changes.
        #expect(r.node.takeProcessingCommands().isEmpty)
    }

    @Test func noRestoredSubscriberOrProcessingOffMeansNoRendition() throws {
        let off = try room(processing: false)
        #expect(off.node.takeProcessingCommands().isEmpty)
        #expect(!off.node.isProcessingEnabled(room: "r"))
    }

    @Test func publisherFramesGoToProcessingAndOnlyToOriginalSubscribers() throws {
        var r = try room()
        _ = r.node.takeProcessingCommands()
        let (frames, packets) = try vp8Packets(frames: 5)
        r.original.received.removeAll()
        r.restored.received.removeAll()
        for group in packets {
            for packet in group {
                try r.wire.deliver([try #require(try r.publisher.rtp(packet))], from: r.publisher.address)
            }
        }
        let assembled = r.node.takeProcessingCommands().compactMap { command -> AssembledVideoFrame? in
            if case let .frame(_, frame) = command { return frame }
            return nil
        }
        // Every frame, whole and byte for byte what the encoder made, in order.
        #expect(assembled.map(\.bytes) == frames.map(\.bytes))
        #expect(assembled.first?.isKeyframe == true && assembled.first?.width == 160)
        #expect(r.node.counters.processingFramesIn == frames.count)
        // The original subscriber gets the publisher's packets; the restored one none of them.
        #expect(try video(r.original).count == packets.joined().count)
        #expect(try video(r.restored).isEmpty)
    }

    @Test func theRenditionGoesToRestoredSubscribersOnTheirOwnStream() throws {
        var r = try room()
        guard case let .start(track, _, _, _)? = r.node.takeProcessingCommands().first else {
            Issue.record("no start command")
            return
        }
        r.original.received.removeAll()
        r.restored.received.removeAll()
        let payloads = (0..<3).map { VideoRTPPayload(payload: [0x90, 0x80, UInt8($0), 1, 2, 3], marker: $0 == 2) }
        for (i, ts) in [UInt32(90_000), 93_000].enumerated() {
            let frame = ProcessedVideoFrame(timestamp: ts, payloads: payloads, isKeyframe: i == 0, width: 320, height: 192)
            try r.wire.deliverFromNode(r.node.handle(.processedVideo(track: track, frame), now: r.wire.now))
        }
        let sent = try video(r.restored)
        #expect(sent.count == 6)
        #expect(try video(r.original).isEmpty)
        #expect(sent.map(\.payload) == payloads.map(\.payload) + payloads.map(\.payload))
        #expect(sent.map(\.header.marker) == [false, false, true, false, false, true])
        #expect(Set(sent.map(\.header.ssrc)).count == 1 && r.restored.answeredSSRCs.contains(sent[0].header.ssrc))
        for (a, b) in zip(sent, sent.dropFirst()) { #expect(b.header.sequenceNumber == a.header.sequenceNumber &+ 1) }
        #expect(sent[3].header.timestamp &- sent[0].header.timestamp == 3000)
        #expect(r.node.counters.processingFramesOut == 2)

        // A NACK from the restored subscriber is answered from its retransmission buffer.
        let lost = sent[1]
        r.restored.received.removeAll()
        let nack = GenericNACK(senderSSRC: 9, mediaSSRC: lost.header.ssrc, lost: [lost.header.sequenceNumber])
        try r.wire.deliver([try #require(try r.restored.rtcp([.receiverReport(ReceiverReport(ssrc: 9)), .genericNACK(nack)]))],
                           from: r.restored.address)
        let rtx = try #require(try r.restored.received.map { try RTPPacket.parse($0) }.first)
        #expect(rtx.header.payloadType == 97 && Array(rtx.payload.dropFirst(2)) == lost.payload)

        // A frame for a track no longer processed is dropped, not sent.
        try r.wire.deliverFromNode(r.node.handle(.processedVideo(track: "nobody/1", ProcessedVideoFrame(
            timestamp: 0, payloads: payloads, isKeyframe: true, width: 2, height: 2)), now: r.wire.now))
        #expect(r.node.counters.processingFramesOut == 2)
    }

    @Test func aRestoredSubscribersPLIAsksTheEncoderNotThePublisher() throws {
        var r = try room()
        guard case let .start(track, _, _, _)? = r.node.takeProcessingCommands().first else {
            Issue.record("no start command")
            return
        }
        let frame = ProcessedVideoFrame(timestamp: 1, payloads: [VideoRTPPayload(payload: [0x10, 0], marker: true)],
                                        isKeyframe: true, width: 2, height: 2)
        try r.wire.deliverFromNode(r.node.handle(.processedVideo(track: track, frame), now: r.wire.now))
        let ssrc = try #require(try video(r.restored).first?.header.ssrc)
        try r.wire.advance(to: r.wire.now + .seconds(2))
        let plisBefore = r.node.counters.plisSent
        let requestsBefore = r.node.counters.processingKeyframeRequests
        _ = r.node.takeProcessingCommands()
        for _ in 0..<2 {
            let pli = RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: 9, mediaSSRC: ssrc))
            try r.wire.deliver([try #require(try r.restored.rtcp([.receiverReport(ReceiverReport(ssrc: 9)), pli]))],
                               from: r.restored.address)
        }
        // Two PLIs at once: one keyframe request to the encoder (throttled), none to the publisher.
        #expect(r.node.takeProcessingCommands() == [.keyframe(track: track)])
        #expect(r.node.counters.plisSent == plisBefore)
        #expect(r.node.counters.processingKeyframeRequests == requestsBefore + 1)
    }

    /// The admin API keeps a setting per room name, rooms or not: bounded, and nil frees one.
    @Test func perRoomProcessingSettingsAreBounded() throws {
        let r = try room()
        for index in 0..<(Node.maximumProcessingOverrides - 1) {
            #expect(r.node.setProcessing(room: "empty-\(index)", enabled: false, now: r.wire.now))
        }
        #expect(r.node.setProcessing(room: "r", enabled: false, now: r.wire.now))
        #expect(!r.node.setProcessing(room: "one-too-many", enabled: true, now: r.wire.now))
        #expect(r.node.isProcessingEnabled(room: "one-too-many"))   // the configuration's value
        #expect(r.node.setProcessing(room: "r", enabled: true, now: r.wire.now))   // a room with one: changed
        #expect(r.node.setProcessing(room: "empty-0", enabled: nil, now: r.wire.now))
        #expect(r.node.setProcessing(room: "one-too-many", enabled: false, now: r.wire.now))
        #expect(!r.node.isProcessingEnabled(room: "one-too-many"))
    }

    @Test func theRenditionStopsWhenItsLastRestoredSubscriberLeavesOrTheRoomTurnsItOff() throws {
        var r = try room()
        guard case let .start(track, _, _, _)? = r.node.takeProcessingCommands().first else {
            Issue.record("no start command")
            return
        }
        // Off through the admin API: stopped, and the restored subscriber gets the original.
        r.node.setProcessing(room: "r", enabled: false, now: r.wire.now)
        #expect(r.node.takeProcessingCommands() == [.stop(track: track)])
        let (_, packets) = try vp8Packets(frames: 1)
        r.restored.received.removeAll()
        for packet in packets[0] {
            try r.wire.deliver([try #require(try r.publisher.rtp(packet))], from: r.publisher.address)
        }
        #expect(try video(r.restored).count == packets[0].count)
        // Back to the configuration: started again, with a new rendition state.
        r.node.setProcessing(room: "r", enabled: nil, now: r.wire.now)
        guard case .start(track, "r", .vp8, _)? = r.node.takeProcessingCommands().first else {
            Issue.record("not restarted")
            return
        }
        // The restored subscriber leaves: nobody needs the rendition.
        let restoredID = try #require(r.node.rooms(now: r.wire.now).first?.subscribers.last?.id)
        _ = try r.node.endSession(id: restoredID, role: .subscriber, room: "r", now: r.wire.now)
        #expect(r.node.takeProcessingCommands() == [.stop(track: track)])
    }

    @Test func aBackendThatTakesNothingCostsBoundedMemory() throws {
        var r = try room()
        let (_, packets) = try vp8Packets(frames: 300)
        for group in packets {
            for packet in group {
                try r.wire.deliver([try #require(try r.publisher.rtp(packet))], from: r.publisher.address)
            }
        }
        let held = r.node.takeProcessingCommands()
        #expect(held.count == Node.maxPendingProcessingCommands)
        let heldFrames = held.filter { if case .frame = $0 { true } else { false } }.count
        #expect(heldFrames > 200)
        #expect(r.node.counters.processingFramesDroppedByQueue == packets.count - heldFrames)
    }

    @Test func corruptPayloadsOfAProcessedTrackAreDroppedCountedAndCostOneKeyframeRequest() throws {
        var r = try room()
        _ = r.node.takeProcessingCommands()
        try r.wire.advance(to: r.wire.now + .seconds(1))  // past the start's own keyframe request
        let plisBefore = r.node.counters.plisSent
        let (_, packets) = try vp8Packets(frames: 3)
        // Truncated descriptors, a keyframe flag on garbage, then the real stream.
        var sequence: UInt16 = 65_526  // right before the real stream (65530…)
        for payload: [UInt8] in [[0x80], [0x90, 0x80], [0x10, 0xFF, 0xFF, 0xFF], []] {
            var header = RTPHeader(marker: true, payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(sequence) * 3000, ssrc: 2222)
            header.headerExtension = RTPHeaderExtension(elements: [RTPExtensionElement(id: 4, data: Array("1".utf8))])
            sequence &+= 1
            try r.wire.deliver([try #require(try r.publisher.rtp(RTPPacket(header: header, payload: payload)))], from: r.publisher.address)
        }
        try r.wire.advance(to: r.wire.now + .seconds(1))
        #expect(r.node.counters.plisSent > plisBefore, "the assembler asks for a keyframe")
        for packet in packets.joined() {
            try r.wire.deliver([try #require(try r.publisher.rtp(packet))], from: r.publisher.address)
        }
        let frames = r.node.takeProcessingCommands().filter { if case .frame = $0 { true } else { false } }
        #expect(frames.count == 3, "the real stream, from its keyframe, goes through")
    }
}
