import SansIO
import Testing
@testable import NetworkEmulator

@Suite struct LinkCapacityTests {
    @Test func constantSenderSaturatesAt1000kbpsWithBoundedQueueDelay() {
        let config = LinkConfiguration(capacity: .constant(kbps: 1000), queueLimit: .milliseconds(300))
        let (network, id, _, _) = oneWay(config, kbps: 1500)
        network.run(until: .seconds(10))
        let samples = network.samples(id)
        #expect(samples.count == 50)
        let delivered = meanDeliveredKbps(samples, from: .seconds(1), to: .seconds(10))
        #expect(abs(delivered - 1000) < 15, "delivered \(delivered) kbps")
        let stats = network.link(id).statistics
        let maxDelayUs = stats.queueDelaysUs.max() ?? 0
        #expect(maxDelayUs <= 300_000)
        #expect(maxDelayUs > 290_000, "the queue should fill up to its limit")
        #expect(stats.dropped(.queueFull) > 0)
        #expect(samples.allSatisfy { $0.capacityKbps == 1000 })
    }

    @Test func senderBelowCapacityLosesNothing() {
        let config = LinkConfiguration(capacity: .constant(kbps: 1000), queueLimit: .milliseconds(300))
        let (network, id, sender, sink) = oneWay(config, kbps: 500)
        network.run(until: .seconds(5))
        let delivered = meanDeliveredKbps(network.samples(id), from: .seconds(1), to: .seconds(5))
        #expect(abs(delivered - 500) < 10)
        #expect(network.link(id).statistics.packetsDropped == 0)
        // Everything sent more than one packet time ago has arrived.
        #expect(sink.arrivals.count >= sender.sent - 1)
        #expect(network.link(id).statistics.queueDelaysUs.allSatisfy { $0 == 0 })
    }

    @Test func stepTo2500kbpsRaisesTheDeliveredRate() {
        let steps = [CapacityStep(at: .zero, kbps: 1000), CapacityStep(at: .seconds(5), kbps: 2500)]
        let config = LinkConfiguration(capacity: .steps(steps), queueLimit: .milliseconds(300))
        let (network, id, _, _) = oneWay(config, kbps: 3000)
        network.run(until: .seconds(10))
        let samples = network.samples(id)
        let before = meanDeliveredKbps(samples, from: .seconds(1), to: .seconds(5))
        let after = meanDeliveredKbps(samples, from: .seconds(6), to: .seconds(10))
        #expect(abs(before - 1000) < 20, "before \(before)")
        #expect(abs(after - 2500) < 40, "after \(after)")
        #expect(samples[24].capacityKbps == 1000)
        #expect(samples[25].capacityKbps == 2500)
        #expect(network.link(id).capacityKbps(at: .seconds(4.9)) == 1000)
    }

    @Test func rfc8867VariableCapacityFollowsTheSteps() {
        let (network, id, _, sink) = oneWay(.rfc8867VariableCapacity(), kbps: 3000)
        network.run(until: .seconds(100))
        let samples = network.samples(id)
        #expect(samples.count == 500)
        for (from, to, kbps) in [(5.0, 40.0, 1000.0), (42.0, 60.0, 2500.0), (62.0, 80.0, 600.0), (82.0, 100.0, 1000.0)] {
            let delivered = meanDeliveredKbps(samples, from: .seconds(from), to: .seconds(to))
            #expect(abs(delivered - kbps) < kbps * 0.02, "\(from)-\(to) s: \(delivered) kbps")
        }
        // 50 ms of propagation on top of at most 300 ms of queue and one packet time.
        let first = sink.arrivals.first?.time ?? .zero
        #expect(first == Instant(microseconds: 59_600))
        #expect((network.link(id).statistics.queueDelaysUs.max() ?? 0) <= 300_000)
    }

    @Test func capacityChangeMidPacketSplitsTheBits() {
        // 10 000 bits: 5 ms at 1000 kbps carry 5000, the rest takes 2.5 ms at 2000 kbps.
        let steps = [CapacityStep(at: .zero, kbps: 1000), CapacityStep(at: .milliseconds(5), kbps: 2000)]
        var link = Link(LinkConfiguration(capacity: .steps(steps)))
        #expect(link.send(size: 1250, now: .zero) == .deliver(at: Instant(microseconds: 7500), queueDelay: .zero))
        // The next packet queues behind it and goes at 2000 kbps: 5 ms.
        #expect(link.send(size: 1250, now: .zero)
            == .deliver(at: Instant(microseconds: 12_500), queueDelay: .microseconds(7500)))
    }

    @Test func tailDropInBytesWhenTheSenderExceedsCapacity() {
        let config = LinkConfiguration(capacity: .constant(kbps: 1000), queueLimit: .bytes(12_000))
        let (network, id, _, _) = oneWay(config, kbps: 2000, stop: .seconds(4))
        network.run(until: .seconds(5))
        let stats = network.link(id).statistics
        #expect(stats.dropped(.queueFull) > 300)
        #expect(stats.dropped(.randomLoss) == 0)
        #expect(stats.packetsDelivered + stats.packetsDropped == stats.packetsOffered)
        // 12 000 bytes at 1000 kbps drain in 96 ms; a packet waits at most that.
        #expect((stats.queueDelaysUs.max() ?? 0) <= 96_000)
        let delivered = Double(stats.bytesDelivered * 8) / 4 / 1000
        #expect(abs(delivered - 1000) < 40, "delivered \(delivered) kbps")
    }

    @Test func crossTrafficSharesTheQueue() {
        let config = LinkConfiguration(capacity: .constant(kbps: 1000), queueLimit: .milliseconds(200),
                                       crossTraffic: .constant(kbps: 400))
        let (network, id, _, _) = oneWay(config, kbps: 500)
        network.run(until: .seconds(5))
        var link = network.link(id)
        link.advance(to: .seconds(5))
        let stats = link.statistics
        #expect(stats.crossTrafficBytesSent >= 400 * 5 * 1000 / 8 - 1200)
        #expect(stats.packetsDropped == 0)
        #expect(stats.queueDelaysUs.contains { $0 > 0 }, "cross traffic makes packets wait")
        // Over capacity: our share shrinks below what we send.
        let busy = LinkConfiguration(capacity: .constant(kbps: 1000), queueLimit: .milliseconds(200),
                                     crossTraffic: .onOff(kbps: 800, on: .seconds(1), off: .seconds(1)))
        let (network2, id2, _, _) = oneWay(busy, kbps: 600)
        network2.run(until: .seconds(4))
        let samples = network2.samples(id2)
        let during = meanDeliveredKbps(samples, from: .milliseconds(400), to: .seconds(1))
        let off = meanDeliveredKbps(samples, from: .milliseconds(1400), to: .seconds(2))
        #expect(during < 500, "on: \(during)")
        #expect(off > 590, "off: \(off)")
    }
}

@Suite struct LinkDelayTests {
    @Test func propagationDelayAddsExactly() {
        var unlimited = Link(LinkConfiguration(propagationDelay: .milliseconds(50)))
        #expect(unlimited.send(size: 1200, now: .milliseconds(3))
            == .deliver(at: .milliseconds(53), queueDelay: .zero))
        // 1200 bytes at 1000 kbps serialize in 9.6 ms, then 50 ms of flight.
        var slow = Link(LinkConfiguration(capacity: .constant(kbps: 1000), propagationDelay: .milliseconds(50)))
        #expect(slow.send(size: 1200, now: .zero) == .deliver(at: Instant(microseconds: 59_600), queueDelay: .zero))
    }

    @Test func jitterWithoutReorderingKeepsOrder() {
        let config = LinkConfiguration(propagationDelay: .milliseconds(50), jitter: .milliseconds(20), seed: 3)
        let (network, _, sender, sink) = oneWay(config, kbps: 4000, size: 500, stop: .seconds(2))
        network.run(until: .seconds(3))
        #expect(sink.arrivals.count == sender.sent)
        let sequences = sink.arrivals.map(\.sequence)
        #expect(sequences == sequences.sorted())
        let delays = Set(sink.arrivals.map { $0.time.microseconds % 1000 })
        #expect(delays.count > 10, "jitter should spread arrival times")
    }

    @Test func jitterWithReorderingAllowedReorders() {
        let config = LinkConfiguration(propagationDelay: .milliseconds(50), jitter: .milliseconds(20),
                                       allowReordering: true, seed: 3)
        let (network, _, sender, sink) = oneWay(config, kbps: 4000, size: 500, stop: .seconds(2))
        network.run(until: .seconds(3))
        #expect(sink.arrivals.count == sender.sent)
        let sequences = sink.arrivals.map(\.sequence)
        #expect(sequences != sequences.sorted())
        #expect(sink.arrivals.allSatisfy { $0.time >= .zero })
    }

    @Test func echoRoundTripIsTwiceTheDelay() {
        let network = Network()
        let pinger = Pinger(at: .milliseconds(10))
        network.attach(pinger, at: Hosts.a)
        network.attach(Echo(), at: Hosts.b)
        let path = LinkConfiguration(propagationDelay: .milliseconds(40))
        network.connect(Hosts.a.ip, Hosts.b.ip, uplink: path, downlink: path)
        network.run(until: .seconds(1))
        #expect(pinger.rtt == .milliseconds(80))
        #expect(network.clock.now == .seconds(1))
    }

    @Test func unroutableAndUndeliverableAreCounted() {
        let network = Network()
        let elsewhere = TransportAddress(ip: .v4(10, 0, 0, 9), port: 1)
        network.connect(from: Hosts.a.ip, to: Hosts.b.ip, LinkConfiguration())
        network.send([Datagram(bytes: [1], from: Hosts.a, to: elsewhere),
                      Datagram(bytes: [2], from: Hosts.a, to: Hosts.b)])
        network.run(until: .milliseconds(1))
        #expect(network.unroutable == 1)
        #expect(network.undeliverable == 1)
    }
}
