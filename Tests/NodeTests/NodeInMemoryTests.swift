import DTLS
import Foundation
import RTP
import SansIO
import Testing
@testable import Node

/// The whole node, driven in memory by peers doing real ICE, DTLS and SRTP.
@Suite struct NodeInMemoryTests {
    let nodeAddress = TransportAddress(ipv4: "127.0.0.1", port: 50000)!

    func makeNode() throws -> Node {
        let cert = try DTLSCertificate.generate(commonName: "node", unixTime: 1_800_000_000)
        return Node(configuration: NodeConfiguration(candidates: [nodeAddress]), certificate: cert, random: .seeded(1))
    }

    /// Publisher and subscriber in room "r", both through ICE + DTLS.
    func connectedRoom() throws -> (Wire, TestPeer, TestPeer) {
        let node = try makeNode()
        var wire = Wire(node: node)
        let pub = try TestPeer(address: TransportAddress(ipv4: "10.0.0.1", port: 1000)!, name: "pub1")
        let sub = try TestPeer(address: TransportAddress(ipv4: "10.0.0.2", port: 2000)!, name: "sub1")
        wire.add(pub)
        wire.add(sub)
        try pub.apply(answer: node.createSession(role: .publisher, room: "r", variant: .original,
                                                 offer: pub.offer(sending: true), now: .zero).answer)
        try sub.apply(answer: node.createSession(role: .subscriber, room: "r", variant: .original,
                                                 offer: sub.offer(sending: false), now: .zero).answer)
        for peer in [pub, sub] {
            try wire.deliver([try #require(peer.bindingRequest())], from: peer.address)
            #expect(peer.connected, "\(peer.ufrag) did not complete ICE + DTLS")
        }
        return (wire, pub, sub)
    }

    func vp8(seq: UInt16, ts: UInt32, marker: Bool = false, mid: String = "1") -> RTPPacket {
        var header = RTPHeader(marker: marker, payloadType: 96, sequenceNumber: seq, timestamp: ts, ssrc: 2222)
        header.headerExtension = RTPHeaderExtension(elements: [RTPExtensionElement(id: 4, data: Array(mid.utf8))])
        return RTPPacket(header: header, payload: [0x10, 0x00, 0x9d, 0x01, 0x2a] + [UInt8](repeating: UInt8(seq & 0xFF), count: 300))
    }

    @Test func forwardsWithTheSubscribersSSRCAndPayloadType() throws {
        var (wire, pub, sub) = try connectedRoom()
        sub.received.removeAll()
        for i in 0..<20 {
            try wire.deliver([try #require(try pub.rtp(vp8(seq: UInt16(truncatingIfNeeded: 65530 + i), ts: 3000 * UInt32(i))))], from: pub.address)
        }
        let packets = try sub.received.map { try RTPPacket.parse($0) }
        let video = packets.filter { $0.header.payloadType == 96 }
        #expect(video.count == 20)
        let videoSSRC = sub.answeredSSRCs[safe: 1]  // audio first, then video (media SSRC before RTX)
        #expect(Set(video.map(\.header.ssrc)).count == 1)
        #expect(videoSSRC.map { video.first?.header.ssrc == $0 } ?? false || sub.answeredSSRCs.contains(video.first?.header.ssrc ?? 0))
        for (a, b) in zip(video, video.dropFirst()) {
            #expect(b.header.sequenceNumber == a.header.sequenceNumber &+ 1)
            #expect(b.header.timestamp == a.header.timestamp &+ 3000)
        }
        #expect(video.first?.payload == vp8(seq: 65530, ts: 0).payload)
        #expect(wire.node.counters.rtpPacketsIn == 20 && wire.node.counters.rtpPacketsOut >= 20)
    }

    @Test func answersNackWithRTXCarryingTheOriginalSequenceNumber() throws {
        var (wire, pub, sub) = try connectedRoom()
        for i in 0..<5 { try wire.deliver([try #require(try pub.rtp(vp8(seq: UInt16(100 + i), ts: 0)))], from: pub.address) }
        let sent = try sub.received.map { try RTPPacket.parse($0) }.filter { $0.header.payloadType == 96 }
        let lost = try #require(sent.dropFirst(2).first)
        sub.received.removeAll()
        let nack = GenericNACK(senderSSRC: 9, mediaSSRC: lost.header.ssrc, lost: [lost.header.sequenceNumber])
        try wire.deliver([try #require(try sub.rtcp([.receiverReport(ReceiverReport(ssrc: 9)), .genericNACK(nack)]))], from: sub.address)
        let rtx = try #require(try sub.received.map { try RTPPacket.parse($0) }.first)
        #expect(rtx.header.payloadType == 97)
        #expect(rtx.header.ssrc != lost.header.ssrc)
        #expect(Array(rtx.payload.prefix(2)) == [UInt8(lost.header.sequenceNumber >> 8), UInt8(lost.header.sequenceNumber & 0xFF)])
        #expect(Array(rtx.payload.dropFirst(2)) == lost.payload)
        #expect(wire.node.counters.retransmissionsSent == 1)
    }

    @Test func subscriberPLIsReachThePublisherThrottled() throws {
        var (wire, pub, sub) = try connectedRoom()
        try wire.deliver([try #require(try pub.rtp(vp8(seq: 1, ts: 0)))], from: pub.address)
        let videoSSRC = try #require(try sub.received.map { try RTPPacket.parse($0) }.first { $0.header.payloadType == 96 }?.header.ssrc)
        pub.receivedRTCP.removeAll()
        let before = wire.node.counters.plisSent
        for _ in 0..<3 {
            let pli = RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: 9, mediaSSRC: videoSSRC))
            try wire.deliver([try #require(try sub.rtcp([.receiverReport(ReceiverReport(ssrc: 9)), pli]))], from: sub.address)
        }
        try wire.advance(to: wire.now + .seconds(1))
        let plis = pub.receivedRTCP.flatMap { $0 }.compactMap { packet -> PictureLossIndication? in
            if case let .pictureLossIndication(p) = packet { return p }
            return nil
        }
        #expect(plis.allSatisfy { $0.mediaSSRC == 2222 })
        // Three requests within 500 ms: at most one at once and one deferred.
        #expect(wire.node.counters.plisSent - before >= 1 && wire.node.counters.plisSent - before <= 2)
        #expect(wire.node.counters.plisReceived == 3)
    }

    @Test func publisherGetsTransportFeedbackAndReceiverReports() throws {
        var (wire, pub, _) = try connectedRoom()
        for i in 0..<10 {
            var p = vp8(seq: UInt16(i), ts: UInt32(i) * 3000)
            p.header.headerExtension = RTPHeaderExtension(elements: [
                RTPExtensionElement(id: 4, data: Array("1".utf8)),
                RTPExtensionElement(id: 3, data: TransportSequenceNumber(UInt16(i)).data)])
            wire.now = .milliseconds(Int64(i) * 33)
            try wire.deliver([try #require(try pub.rtp(p))], from: pub.address)
        }
        try wire.advance(to: .milliseconds(1500))
        let all = pub.receivedRTCP.flatMap { $0 }
        let feedback = all.compactMap { p -> TransportFeedback? in
            if case let .transportFeedback(f) = p { return f }
            return nil
        }
        #expect(feedback.flatMap(\.packets).filter { $0.status != .notReceived }.count == 10)
        #expect(all.contains { if case .receiverEstimatedMaxBitrate = $0 { return true } else { return false } })
        #expect(all.contains { if case let .receiverReport(rr) = $0 { return rr.reports.contains { $0.ssrc == 2222 } } else { return false } })
    }

    /// Each feedback starts where the previous one ended: packets lost between two feedbacks are
    /// reported as not received (libwebrtc's receiver does the same), and a packet that arrives
    /// after being reported lost is not reported again.
    @Test func transportFeedbackReportsPacketsLostBetweenFeedbacks() throws {
        var (wire, pub, _) = try connectedRoom()
        func send(_ sequences: [Int], at ms: Int64) throws {
            for (k, i) in sequences.enumerated() {
                var p = vp8(seq: UInt16(i), ts: UInt32(i) * 3000)
                p.header.headerExtension = RTPHeaderExtension(elements: [
                    RTPExtensionElement(id: 4, data: Array("1".utf8)),
                    RTPExtensionElement(id: 3, data: TransportSequenceNumber(UInt16(i)).data)])
                wire.now = .milliseconds(ms + Int64(k) * 5)
                try wire.deliver([try #require(try pub.rtp(p))], from: pub.address)
            }
        }
        func feedbacks() -> [TransportFeedback] {
            let all = pub.receivedRTCP.flatMap { $0 }.compactMap { p -> TransportFeedback? in
                if case let .transportFeedback(f) = p { return f }
                return nil
            }
            pub.receivedRTCP.removeAll()
            return all
        }
        try send([0, 1, 2, 3, 4], at: 0)
        try wire.advance(to: .milliseconds(500))
        let first = feedbacks()
        #expect(first.flatMap(\.packets).map(\.sequenceNumber) == [0, 1, 2, 3, 4])
        // 5 and 6 are lost; 7…9 arrive.
        try send([7, 8, 9], at: 600)
        try wire.advance(to: .milliseconds(1100))
        let second = feedbacks()
        let reported = second.flatMap(\.packets)
        #expect(second.first?.baseSequenceNumber == 5)
        #expect(reported.map(\.sequenceNumber) == [5, 6, 7, 8, 9])
        #expect(reported.map { $0.status == .notReceived } == [true, true, false, false, false])
        #expect(second.first.map { $0.feedbackPacketCount } == first.last.map { $0.feedbackPacketCount &+ 1 })
        // 6 turns up late, after a feedback reported it lost: the next one starts back at 6 and
        // reports it received, with 7…9 again and the new 10 (as libwebrtc's receiver does).
        try send([6, 10], at: 1200)
        try wire.advance(to: .milliseconds(1700))
        let third = feedbacks()
        #expect(third.first?.baseSequenceNumber == 6)
        #expect(third.flatMap(\.packets).map(\.sequenceNumber) == [6, 7, 8, 9, 10])
        #expect(third.flatMap(\.packets).allSatisfy { $0.status != .notReceived })
        // 11 and 13 arrive; 12 turns up more than 500 ms after the newest arrival the node had
        // when it last reported: too late to report, and the feedback after 13 is not reopened.
        try send([11, 13], at: 1800)
        try wire.advance(to: .milliseconds(2300))
        #expect(feedbacks().flatMap(\.packets).map(\.sequenceNumber) == [11, 12, 13])
        try send([14], at: 2900)
        try wire.advance(to: .milliseconds(3400))
        _ = feedbacks()
        try send([12], at: 3500)
        try wire.advance(to: .milliseconds(4000))
        #expect(feedbacks().isEmpty)
    }

    @Test func silentPeersAreReapedAfterConsentTimeout() throws {
        var (wire, _, _) = try connectedRoom()
        #expect(wire.node.rooms(now: wire.now).first?.publishers.count == 1)
        try wire.advance(to: .seconds(31))
        #expect(wire.node.rooms(now: wire.now).isEmpty)
        #expect(wire.node.counters.consentExpired == 2)
        // The goodbyes sent while reaping are counted once, like everything else the node sends.
        #expect(wire.node.counters.datagramsOut == wire.datagramsFromNode)
    }

    @Test func aSessionWhoseDTLSFailsEndsAtTheNextTick() throws {
        let node = try makeNode()
        var wire = Wire(node: node)
        let peer = try TestPeer(address: TransportAddress(ipv4: "10.0.0.1", port: 1000)!, name: "pub1")
        wire.add(peer)
        // The offer names another certificate: the node's DTLS check of the peer fails.
        let stranger = try DTLSCertificate.generate(commonName: "other", unixTime: 1_800_000_000)
        let offer = peer.offer(sending: true).replacingOccurrences(
            of: peer.certificate.fingerprint.sdpAttributeValue, with: stranger.fingerprint.sdpAttributeValue)
        try peer.apply(answer: node.createSession(role: .publisher, room: "r", variant: .original, offer: offer,
                                                  now: .zero).answer)
        do {
            try wire.deliver([try #require(peer.bindingRequest())], from: peer.address)
        } catch is TestPeerError {
            // The peer sees the node's fatal alert; what matters is the node's side.
        }
        #expect(!node.rooms(now: wire.now).isEmpty)
        try wire.advance(to: .milliseconds(100))
        #expect(node.rooms(now: wire.now).isEmpty, "a session with a dead DTLS association lingered")
    }

    @Test func garbageIsDroppedAndCounted() throws {
        var (wire, pub, sub) = try connectedRoom()
        let stranger = TransportAddress(ipv4: "203.0.113.9", port: 9)!
        _ = wire.node.handle(.datagram([0x80, 0x60, 1, 2, 3], from: stranger), now: wire.now)  // RTP from nobody
        _ = wire.node.handle(.datagram([0xFF, 0, 0], from: stranger), now: wire.now)
        _ = wire.node.handle(.datagram([0x00, 0x01, 0x00, 0x00], from: stranger), now: wire.now)
        _ = wire.node.handle(.datagram([0x80, 0x60] + [UInt8](repeating: 7, count: 40), from: pub.address), now: wire.now)
        // An encrypted DTLS record too short for the suite: dropped before OpenSSL (which would
        // fail the association on it), counted, and the session lives on.
        let shortRecord: [UInt8] = [23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 4, 1, 2, 3, 4]
        #expect(wire.node.handle(.datagram(shortRecord, from: pub.address), now: wire.now).isEmpty)
        let c = wire.node.counters.dropped
        #expect(c[.unknownAddress] == 1 && c[.unclassifiable] == 1 && c[.stunMalformed] == 1 && c[.srtpUnprotectFailed] == 1)
        #expect(c[.dtlsRejected] == 1)
        try wire.advance(to: wire.now + .milliseconds(100))
        #expect(wire.node.rooms(now: wire.now).first?.publishers.count == 1)
        // The session still works afterwards.
        sub.received.removeAll()
        try wire.deliver([try #require(try pub.rtp(vp8(seq: 7, ts: 0)))], from: pub.address)
        #expect(!sub.received.isEmpty)
    }

    @Test func deletingThePublisherFreesTheSubscribersStream() throws {
        var (wire, pub, sub) = try connectedRoom()
        let pubID = try #require(wire.node.rooms(now: wire.now).first?.publishers.first?.id)
        let bye = try wire.node.endSession(id: pubID, role: .publisher, room: "r", now: wire.now)
        try wire.deliverFromNode(bye)
        #expect(pub.receivedRTCP.flatMap { $0 }.contains { if case .goodbye = $0 { return true } else { return false } })
        #expect(throws: SignalingError.self) { try wire.node.endSession(id: pubID, role: .publisher, room: "r", now: wire.now) }
        #expect(wire.node.rooms(now: wire.now).first?.subscribers.count == 1)
        _ = sub
    }

    @Test func secondPublisherTakesOverWhenTheFirstLeaves() throws {
        var (wire, pub, sub) = try connectedRoom()
        let pub2 = try TestPeer(address: TransportAddress(ipv4: "10.0.0.3", port: 3000)!, name: "pub2")
        wire.add(pub2)
        try pub2.apply(answer: wire.node.createSession(role: .publisher, room: "r", variant: .original,
                                                       offer: pub2.offer(sending: true, videoSSRC: 5555, rtxSSRC: 6666, audioSSRC: 4444),
                                                       now: wire.now).answer)
        try wire.deliver([try #require(pub2.bindingRequest())], from: pub2.address)
        #expect(pub2.connected)
        // The subscriber's one video transceiver carries the first publisher; the second is not sent.
        sub.received.removeAll()
        var second = vp8(seq: 1, ts: 0)
        second.header.ssrc = 5555
        try wire.deliver([try #require(try pub2.rtp(second))], from: pub2.address)
        #expect(sub.received.isEmpty)
        // When the first publisher leaves, the second takes its place on the same outgoing SSRC.
        try wire.deliver([try #require(try pub.rtp(vp8(seq: 10, ts: 0)))], from: pub.address)
        let firstSSRC = try #require(try sub.received.map { try RTPPacket.parse($0) }.first?.header.ssrc)
        let id = try #require(wire.node.rooms(now: wire.now).first?.publishers.first?.id)
        _ = try wire.node.endSession(id: id, role: .publisher, room: "r", now: wire.now)
        sub.received.removeAll()
        second.header.sequenceNumber = 2
        try wire.deliver([try #require(try pub2.rtp(second))], from: pub2.address)
        let spliced = try sub.received.map { try RTPPacket.parse($0) }
        #expect(spliced.count == 1 && spliced.first?.header.ssrc == firstSSRC)
    }

    @Test func patchAcceptsCandidatesChecksETagAndRefusesICERestart() throws {
        let (wire, _, _) = try connectedRoom()
        let pubID = try #require(wire.node.rooms(now: wire.now).first?.publishers.first?.id)
        let etag = try wire.node.patchSession(id: pubID, role: .publisher, room: "r",
                                              fragment: "a=candidate:1 1 udp 1 10.0.0.1 1000 typ host\r\n",
                                              ifMatch: nil, now: wire.now)
        #expect(!etag.isEmpty)
        #expect(throws: SignalingError.self) {
            try wire.node.patchSession(id: pubID, role: .publisher, room: "r", fragment: "", ifMatch: "stale", now: wire.now)
        }
        #expect(throws: SignalingError.self) {
            try wire.node.patchSession(id: "nope", role: .publisher, room: "r", fragment: "", ifMatch: nil, now: wire.now)
        }
    }

    @Test(arguments: [
        ("no BUNDLE", "a=group:BUNDLE 0 1\r\n", ""),
        ("no fingerprint", "a=fingerprint:", "a=x-removed:"),
    ])
    func offersMissingMandatoryPartsAre422(_ name: String, _ remove: String, _ replace: String) throws {
        let node = try makeNode()
        let peer = try TestPeer(address: TransportAddress(ipv4: "10.0.0.1", port: 1)!, name: "peer")
        let offer = peer.offer(sending: true).replacingOccurrences(of: remove, with: replace)
        #expect("\(name) is refused with 422") {
            try node.createSession(role: .publisher, room: "r", variant: .original, offer: offer, now: .zero)
        } throws: { error in
            (error as? SignalingError)?.status == 422
        }
    }
}
