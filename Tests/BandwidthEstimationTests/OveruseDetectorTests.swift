import Testing
import SansIO
@testable import BandwidthEstimation

@Test func thresholdFallsToFloorWithoutTrend() {
    var detector = OveruseDetector()
    for step in 0..<500 {
        detector.detect(modifiedTrend: 0, trend: 0, sendDeltaMs: 10, numberOfDeltas: 100,
                        now: .milliseconds(Int64(step) * 10))
        #expect(detector.threshold >= OveruseDetector.minThresholdMs)
    }
    #expect(detector.threshold == OveruseDetector.minThresholdMs)
    #expect(detector.state == .normal)
}

@Test func thresholdRisesTowardTrendButNotPast600() {
    var detector = OveruseDetector()
    // Keep |trend| just inside threshold + 15 so the threshold adapts upward every step.
    for step in 0..<20_000 {
        let trend = min(detector.threshold + 10, 700)
        detector.detect(modifiedTrend: trend, trend: 0, sendDeltaMs: 10, numberOfDeltas: 100,
                        now: .milliseconds(Int64(step) * 100))
        #expect(detector.threshold <= OveruseDetector.maxThresholdMs)
    }
    #expect(detector.threshold == OveruseDetector.maxThresholdMs)
}

@Test func spikeAboveThresholdPlus15DoesNotAdapt() {
    var detector = OveruseDetector()
    detector.detect(modifiedTrend: 0, trend: 0, sendDeltaMs: 10, numberOfDeltas: 100, now: .milliseconds(0))
    let before = detector.threshold
    detector.detect(modifiedTrend: before + 16, trend: 0.1, sendDeltaMs: 10, numberOfDeltas: 100,
                    now: .milliseconds(100))
    #expect(detector.threshold == before)
    // Just inside the offset it does adapt (k_up · (|m| − γ) · 100 ms).
    detector.detect(modifiedTrend: before + 14, trend: 0.1, sendDeltaMs: 10, numberOfDeltas: 100,
                    now: .milliseconds(200))
    #expect(abs(detector.threshold - (before + OveruseDetector.kUp * 14 * 100)) < 1e-9)
}

@Test func sustainedTrendFlagsOveruseAfterTenMilliseconds() {
    var detector = OveruseDetector()
    // 5 ms groups: 2.5 ms (half the first delta), 7.5 ms, then 12.5 ms > 10 ms.
    let states = (1...3).map { step in
        detector.detect(modifiedTrend: 20, trend: 0.1, sendDeltaMs: 5, numberOfDeltas: 100,
                        now: .milliseconds(Int64(step) * 5))
    }
    #expect(states == [.normal, .normal, .overusing])
}

@Test func decreasingTrendDoesNotFlagOveruse() {
    var detector = OveruseDetector()
    var states: [BandwidthUsage] = []
    for step in 1...5 {
        states.append(detector.detect(modifiedTrend: 20, trend: 0.5 - Double(step) * 0.05, sendDeltaMs: 5,
                                      numberOfDeltas: 100, now: .milliseconds(Int64(step) * 5)))
    }
    #expect(!states.contains(.overusing))
}

@Test func negativeTrendIsUnderuse() {
    var detector = OveruseDetector()
    #expect(detector.detect(modifiedTrend: -20, trend: -0.1, sendDeltaMs: 5, numberOfDeltas: 100,
                            now: .milliseconds(5)) == .underusing)
}

@Test func jitterAloneNeverFlagsOveruse() {
    // Groups sent every 10 ms, arrivals jittered by up to ±3 ms (no queue growth).
    var random = SplitMix64(state: 7)
    var trendline = TrendlineEstimator()
    var detector = OveruseDetector()
    var previousArrival = 50_000.0
    var arrival = 0.0
    for index in 1...3000 {
        let next = Double(index) * 10_000 + 50_000 + (random.unit() - 0.5) * 6000
        arrival = next
        let arrivalDelta = (arrival - previousArrival) / 1000
        previousArrival = arrival
        trendline.update(arrivalDeltaMs: arrivalDelta, sendDeltaMs: 10,
                         arrivalTime: Instant(microseconds: Int64(arrival)))
        let state = detector.detect(modifiedTrend: trendline.modifiedTrend, trend: trendline.trend,
                                    sendDeltaMs: 10, numberOfDeltas: trendline.numberOfDeltas,
                                    now: Instant(microseconds: Int64(arrival)))
        #expect(state != .overusing)
    }
}

@Test func fewerThanTwoDeltasIsNormal() {
    var detector = OveruseDetector()
    #expect(detector.detect(modifiedTrend: 100, trend: 1, sendDeltaMs: 5, numberOfDeltas: 1, now: .zero) == .normal)
}
