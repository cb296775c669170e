import Testing
import SansIO
@testable import BandwidthEstimation

@Test func probeEstimateFromUnsaturatedLinkIsTheSendRate() {
    var estimator = ProbeBitrateEstimator()
    let cluster = ProbeCluster(id: 1, bitrate: 2_000_000, minPackets: 5, minBytes: 5000)
    var result: Double?
    // 1000-byte packets every 4 ms (2 Mbps), arriving at the same spacing.
    for index in 0..<5 {
        result = estimator.handle(cluster: cluster, sendTime: .milliseconds(Int64(index) * 4),
                                  arrival: .milliseconds(100 + Int64(index) * 4), size: 1000)
    }
    #expect(result.map { abs($0 - 2_000_000) < 1 } == true)
    #expect(estimator.fetchAndResetLastEstimate() != nil)
    #expect(estimator.fetchAndResetLastEstimate() == nil)
}

@Test func probeEstimateFromSaturatedLinkIs95PercentOfReceiveRate() {
    var estimator = ProbeBitrateEstimator()
    let cluster = ProbeCluster(id: 1, bitrate: 2_000_000, minPackets: 5, minBytes: 5000)
    var result: Double?
    // Sent at 2 Mbps, received at 1 Mbps (8 ms apart).
    for index in 0..<5 {
        result = estimator.handle(cluster: cluster, sendTime: .milliseconds(Int64(index) * 4),
                                  arrival: .milliseconds(100 + Int64(index) * 8), size: 1000)
    }
    #expect(result.map { abs($0 - 950_000) < 1 } == true)
}

@Test func probeNeedsEightyPercentOfItsPackets() {
    var estimator = ProbeBitrateEstimator()
    let cluster = ProbeCluster(id: 1, bitrate: 2_000_000, minPackets: 10, minBytes: 0)
    for index in 0..<7 {
        #expect(estimator.handle(cluster: cluster, sendTime: .milliseconds(Int64(index) * 4),
                                 arrival: .milliseconds(100 + Int64(index) * 4), size: 1000) == nil)
    }
    #expect(estimator.handle(cluster: cluster, sendTime: .milliseconds(28), arrival: .milliseconds(128),
                             size: 1000) != nil)
}

@Test func probeWithImpossibleReceiveRateIsRejected() {
    var estimator = ProbeBitrateEstimator()
    let cluster = ProbeCluster(id: 1, bitrate: 2_000_000, minPackets: 5, minBytes: 0)
    // Received 4× faster than sent.
    for index in 0..<5 {
        #expect(estimator.handle(cluster: cluster, sendTime: .milliseconds(Int64(index) * 4),
                                 arrival: .milliseconds(100 + Int64(index)), size: 1000) == nil)
    }
}

@Test func initialProbesAreThreeAndSixTimesStart() {
    var controller = ProbeController(startBitrate: 300_000, maxBitrate: 10_000_000)
    controller.start(now: .zero)
    #expect(controller.takeProbes().map(\.bitrate) == [900_000, 1_800_000])
    // An estimate above 70 % of the last probe continues exponentially at 2×.
    controller.onEstimate(1_500_000, now: .milliseconds(300))
    #expect(controller.takeProbes().map(\.bitrate) == [3_000_000])
}

@Test func initialProbesAreCappedAtMax() {
    var controller = ProbeController(startBitrate: 300_000, maxBitrate: 1_000_000)
    controller.start(now: .zero)
    #expect(controller.takeProbes().map(\.bitrate) == [900_000, 1_000_000])
}

@Test func largeDropInALRTriggersProbe() {
    var controller = ProbeController(startBitrate: 1_000_000, maxBitrate: 10_000_000)
    controller.start(now: .zero)
    _ = controller.takeProbes()
    controller.process(now: .seconds(2), inALR: true, lastDecrease: nil)
    _ = controller.takeProbes()  // the periodic ALR probe
    controller.onEstimate(2_000_000, now: .seconds(3))
    controller.process(now: .seconds(3.5), inALR: true, lastDecrease: nil)
    controller.onEstimate(1_000_000, now: .seconds(4))
    controller.process(now: .seconds(4.1), inALR: true, lastDecrease: nil)
    // 85 % of the rate before the drop.
    #expect(controller.takeProbes().map(\.bitrate) == [1_700_000])
}

@Test func alrDetectedWhenSendingWellBelowEstimate() {
    var detector = ALRDetector(estimate: 1_000_000)
    // 300 kbps: 1200-byte packets every 32 ms.
    for index in 0..<100 {
        detector.onBytesSent(1200, at: .milliseconds(Int64(index) * 32))
    }
    #expect(detector.inALR)
    // 900 kbps for 2 s: ALR ends.
    for index in 0..<200 {
        detector.onBytesSent(1200, at: .milliseconds(3200 + Int64(index) * 10))
    }
    #expect(!detector.inALR)
}

@Test func throughputIsTheSteadyRate() {
    var estimator = RobustThroughputEstimator()
    #expect(estimator.bitrate == nil)
    // 1200 bytes every 12 ms, sent and received at the same pace: 800 kbps.
    for index in 0..<300 {
        let t = Int64(index) * 12
        estimator.update(sendTime: .milliseconds(t), arrival: .milliseconds(t + 50), size: 1200)
    }
    #expect(estimator.bitrate.map { abs($0 - 800_000) < 1_000 } == true)
}

@Test func throughputFollowsALinkDropWithinOneWindow() {
    var estimator = RobustThroughputEstimator()
    // 2 Mbps for 2 s, then the link drops to 500 kbps: packets now leave the queue 19.2 ms apart.
    var t: Int64 = 0
    while t < 2_000_000 {
        estimator.update(sendTime: Instant(microseconds: t), arrival: Instant(microseconds: t + 50_000), size: 500)
        t += 2_000
    }
    #expect(estimator.bitrate.map { abs($0 - 2_000_000) < 20_000 } == true)
    var arrival = t + 50_000
    for _ in 0..<40 {  // 0.77 s of arrivals at 500 kbps (1200-byte packets)
        estimator.update(sendTime: Instant(microseconds: t), arrival: Instant(microseconds: arrival), size: 1200)
        t += 4_800
        arrival += 19_200
    }
    #expect(estimator.bitrate.map { abs($0 - 500_000) < 25_000 } == true)
}

@Test func throughputNeverExceedsTheSendRate() {
    // A burst sent over 100 ms but delivered back to back in 10 ms measures the send rate.
    var estimator = RobustThroughputEstimator()
    for index in 0..<21 {
        estimator.update(sendTime: .milliseconds(Int64(index) * 5), arrival: Instant(microseconds: Int64(index) * 500), size: 1000)
    }
    #expect(estimator.bitrate.map { abs($0 - 1_600_000) < 1_000 } == true)
    // Arrivals out of order and negative sizes neither trap nor go negative.
    estimator.update(sendTime: .zero, arrival: .milliseconds(-10), size: -3)
    #expect(estimator.bitrate.map { $0 >= 0 } == true)
}

@Test func standingQueueIsMeasuredAgainstTheSmallestOneWayDelay() {
    var tracker = QueueDelayTracker()
    // Receiver clock 7 s ahead; 40 ms propagation; empty queue.
    for index in 0..<50 {
        let t = Int64(index) * 20_000
        tracker.update(sendTime: Instant(microseconds: t), arrival: Instant(microseconds: t + 7_040_000))
    }
    #expect(tracker.queueDelay == 0)
    #expect(!tracker.standingQueue)
    // A queue of 200 ms that no longer grows: no gradient, but it stands above the limit.
    for index in 50..<100 {
        let t = Int64(index) * 20_000
        tracker.update(sendTime: Instant(microseconds: t), arrival: Instant(microseconds: t + 7_240_000))
    }
    #expect(tracker.queueDelay == 200_000)
    #expect(tracker.standingQueue)
    // After two 10 s windows a longer path (a route change) becomes the new base.
    for index in 100..<1200 {
        let t = Int64(index) * 20_000
        tracker.update(sendTime: Instant(microseconds: t), arrival: Instant(microseconds: t + 7_090_000))
    }
    #expect(tracker.queueDelay == 0)
}

@Test func standingQueueDecreasesTheDelayBasedEstimate() {
    var estimator = DelayBasedEstimator(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 1_000_000)
    let result = estimator.update(acknowledgedBitrate: 600_000, probeBitrate: nil, standingQueue: true, now: .seconds(1))
    #expect(result.bitrate == 510_000)
    #expect(estimator.lastDecrease == .seconds(1))
}

@Test func saturatedProbeLowersTheEstimate() {
    // libwebrtc's DelayBasedBwe takes a probe result even below the estimate: a probe that
    // saturated the link measured it.
    var estimator = DelayBasedEstimator(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 300_000)
    let result = estimator.update(acknowledgedBitrate: nil, probeBitrate: 230_000, now: .seconds(1))
    #expect(result.probe)
    #expect(result.bitrate == 230_000)
}

@Test func lossBasedRules() {
    // < 2 %: grows by about 8 % per second from the minimum of the last second.
    var low = LossBasedControl(startBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 10_000_000)
    low.updateEstimate(now: .zero)
    low.updatePacketsLost(lost: 0, total: 100, now: .seconds(3))
    #expect(low.bitrate == 1_081_000)
    // 2–10 %: holds.
    var mid = LossBasedControl(startBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 10_000_000)
    mid.updatePacketsLost(lost: 5, total: 100, now: .seconds(3))
    #expect(mid.bitrate == 1_000_000)
    // > 10 %: × (1 − loss / 2), once per report.
    var high = LossBasedControl(startBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 10_000_000)
    high.updatePacketsLost(lost: 20, total: 100, now: .seconds(3))
    #expect(high.bitrate == 900_000)
    high.updateEstimate(now: .seconds(4))
    #expect(high.bitrate == 900_000)
    // Fewer than 20 packets: no report yet.
    var few = LossBasedControl(startBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 10_000_000)
    few.updatePacketsLost(lost: 10, total: 19, now: .seconds(3))
    #expect(few.lastLossFraction == 0)
}

@Test func targetIsMinimumOfLossDelayAndREMB() {
    var control = LossBasedControl(startBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 10_000_000)
    control.updateDelayBased(700_000, now: .seconds(3))
    #expect(control.bitrate == 700_000)
    control.updateReceiverLimit(500_000, now: .seconds(3))
    #expect(control.bitrate == 500_000)
    control.updateReceiverLimit(5, now: .seconds(3))
    #expect(control.bitrate == 10_000)
}
