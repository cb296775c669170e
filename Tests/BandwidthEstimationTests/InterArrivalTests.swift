import Testing
import SansIO
@testable import BandwidthEstimation

private func ms(_ value: Double) -> Instant { Instant(microseconds: Int64(value * 1000)) }

@Test func packetsWithinFiveMillisecondsFormOneGroup() {
    var groups = InterArrival()
    // Group A: sent 0, 2, 4 ms; group B: sent 20, 22 ms; group C starts at 40 ms.
    #expect(groups.add(sendTime: ms(0), arrivalTime: ms(100), size: 100) == nil)
    #expect(groups.add(sendTime: ms(2), arrivalTime: ms(103), size: 100) == nil)
    #expect(groups.add(sendTime: ms(4), arrivalTime: ms(106), size: 100) == nil)
    #expect(groups.add(sendTime: ms(20), arrivalTime: ms(121), size: 200) == nil)
    #expect(groups.add(sendTime: ms(22), arrivalTime: ms(125), size: 200) == nil)
    let deltas = groups.add(sendTime: ms(40), arrivalTime: ms(141), size: 50)
    // Last send 22 − 4, last arrival 125 − 106, size 400 − 300.
    #expect(deltas == InterArrival.Deltas(sendDelta: 18_000, arrivalDelta: 19_000, sizeDelta: 100,
                                          arrivalTime: ms(125)))
}

@Test func reorderedPacketIsIgnored() {
    var groups = InterArrival()
    _ = groups.add(sendTime: ms(0), arrivalTime: ms(100), size: 100)
    _ = groups.add(sendTime: ms(20), arrivalTime: ms(120), size: 100)
    // Sent before the current group began: dropped.
    #expect(groups.add(sendTime: ms(10), arrivalTime: ms(121), size: 100) == nil)
    let deltas = groups.add(sendTime: ms(40), arrivalTime: ms(140), size: 100)
    #expect(deltas?.sendDelta == 20_000)
    #expect(deltas?.sizeDelta == 0)
}

@Test func burstArrivalsJoinTheGroup() {
    var groups = InterArrival()
    _ = groups.add(sendTime: ms(0), arrivalTime: ms(100), size: 100)
    // Sent 10 ms later but arrived 1 ms later (queued behind the first): same group.
    _ = groups.add(sendTime: ms(10), arrivalTime: ms(101), size: 100)
    _ = groups.add(sendTime: ms(30), arrivalTime: ms(130), size: 100)
    let deltas = groups.add(sendTime: ms(50), arrivalTime: ms(150), size: 100)
    #expect(deltas?.sendDelta == 20_000)  // 30 − 10: the burst's last send time
    #expect(deltas?.arrivalDelta == 29_000)
}

@Test func arrivalClockJumpResets() {
    var groups = InterArrival()
    _ = groups.add(sendTime: ms(0), arrivalTime: ms(100), size: 100, systemTime: ms(100))
    _ = groups.add(sendTime: ms(20), arrivalTime: ms(120), size: 100, systemTime: ms(120))
    // The arrival clock leaps 10 s while the local clock moves 20 ms.
    _ = groups.add(sendTime: ms(40), arrivalTime: ms(10_140), size: 100, systemTime: ms(140))
    #expect(groups.add(sendTime: ms(60), arrivalTime: ms(10_160), size: 100, systemTime: ms(160)) == nil)
    #expect(groups.add(sendTime: ms(80), arrivalTime: ms(10_180), size: 100, systemTime: ms(180)) == nil)
    #expect(groups.add(sendTime: ms(100), arrivalTime: ms(10_200), size: 100, systemTime: ms(200)) != nil)
}

@Test func arrivalsGoingBackwardsNeverTrap() {
    var groups = InterArrival()
    var produced = 0
    for index in 0..<100 {
        // Send times advance; arrival times go backwards.
        if groups.add(sendTime: ms(Double(index) * 20), arrivalTime: ms(10_000 - Double(index) * 20),
                      size: index % 3 == 0 ? 0 : 1200) != nil {
            produced += 1
        }
    }
    #expect(produced == 0)
}
