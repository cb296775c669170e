import Testing
import SansIO
@testable import Node

@Suite struct RetransmissionBufferTests {
    @Test func returnsStoredPacketOncePerInterval() {
        var b = RetransmissionBuffer(capacity: 8, maxAge: .seconds(1))
        b.store(sequence: 65535, packet: [1, 2, 3], sentAt: .zero)
        let v1 = b.packetForRetransmission(sequence: 65535, now: .milliseconds(10), minInterval: .milliseconds(50))
        #expect(v1 == [1, 2, 3])
        let v2 = b.packetForRetransmission(sequence: 65535, now: .milliseconds(30), minInterval: .milliseconds(50))
        #expect(v2 == nil)
        let v3 = b.packetForRetransmission(sequence: 65535, now: .milliseconds(70), minInterval: .milliseconds(50))
        #expect(v3 == [1, 2, 3])
    }

    @Test func forgetsOverwrittenAndOldPackets() {
        var b = RetransmissionBuffer(capacity: 8, maxAge: .seconds(1))
        b.store(sequence: 1, packet: [1], sentAt: .zero)
        b.store(sequence: 9, packet: [9], sentAt: .zero)  // same slot as 1
        let v4 = b.packetForRetransmission(sequence: 1, now: .zero, minInterval: .zero)
        #expect(v4 == nil)
        let v5 = b.packetForRetransmission(sequence: 9, now: .seconds(2), minInterval: .zero)
        #expect(v5 == nil)
        let v6 = b.packetForRetransmission(sequence: 4, now: .zero, minInterval: .zero)
        #expect(v6 == nil)
    }
}

@Suite struct KeyframeRequestThrottleTests {
    @Test func defersRequestsInsideTheInterval() {
        var t = KeyframeRequestThrottle(interval: .milliseconds(500))
        let v7 = t.request(now: .zero)
        #expect(v7)
        let v8 = t.request(now: .milliseconds(100))
        #expect(!v8)
        let v9 = t.request(now: .milliseconds(200))
        #expect(!v9)
        #expect(t.nextDeadline == .milliseconds(500))
        let v10 = t.poll(now: .milliseconds(499))
        #expect(!v10)
        let v11 = t.poll(now: .milliseconds(500))
        #expect(v11)
        #expect(t.nextDeadline == nil)
        let v12 = t.request(now: .milliseconds(1000))
        #expect(v12)
    }
}

@Suite struct StreamRewriterTests {
    @Test func keepsOffsetsForOneSourceIncludingReordering() {
        var r = StreamRewriter(outgoingSSRC: 99, clockRate: 90_000, initialSequence: 1000, initialTimestamp: 5000)
        let a = r.rewrite(source: 1, sequence: 65535, timestamp: 4_294_967_000, now: .zero)
        #expect(a.sequence == 1000)
        let b = r.rewrite(source: 1, sequence: 1, timestamp: 4_294_967_000 &+ 6000, now: .milliseconds(66))
        #expect(b.sequence == 1002)
        #expect(b.timestamp == a.timestamp &+ 6000)
        let late = r.rewrite(source: 1, sequence: 0, timestamp: 4_294_967_000 &+ 3000, now: .milliseconds(70))
        #expect(late.sequence == 1001)
        #expect(r.lastSent?.timestamp == b.timestamp)
    }

    @Test func splicesANewSourceAfterTheLastPacket() {
        var r = StreamRewriter(outgoingSSRC: 99, clockRate: 90_000, initialSequence: 10, initialTimestamp: 0)
        let a = r.rewrite(source: 1, sequence: 500, timestamp: 90_000, now: .zero)
        let b = r.rewrite(source: 2, sequence: 7, timestamp: 123, now: .milliseconds(100))
        #expect(b.sequence == a.sequence &+ 1)
        #expect(b.timestamp == a.timestamp &+ 9000)   // 100 ms at 90 kHz
        let c = r.rewrite(source: 2, sequence: 8, timestamp: 3123, now: .milliseconds(133))
        #expect(c.sequence == b.sequence &+ 1 && c.timestamp == b.timestamp &+ 3000)
    }
}
