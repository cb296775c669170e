import Testing
import SansIO
@testable import BandwidthEstimation

/// Feeds `count` group deltas with the given send and arrival spacing (ms); returns the slope.
private func slope(sendDeltaMs: Double, arrivalDeltaMs: Double, count: Int) -> TrendlineEstimator {
    var estimator = TrendlineEstimator()
    var arrival = 0.0
    for _ in 0..<count {
        arrival += arrivalDeltaMs
        estimator.update(arrivalDeltaMs: arrivalDeltaMs, sendDeltaMs: sendDeltaMs,
                         arrivalTime: Instant(microseconds: Int64(arrival * 1000)))
    }
    return estimator
}

@Test func constantDelayHasZeroSlope() {
    let estimator = slope(sendDeltaMs: 10, arrivalDeltaMs: 10, count: 100)
    #expect(abs(estimator.trend) < 1e-9)
    #expect(abs(estimator.modifiedTrend) < 1e-6)
}

@Test func growingDelayHasPositiveSlope() {
    // Each 12 ms of arrival time adds 2 ms of queuing: slope 2/12.
    let estimator = slope(sendDeltaMs: 10, arrivalDeltaMs: 12, count: 200)
    #expect(abs(estimator.trend - 2.0 / 12.0) < 0.01)
    // Modified trend: slope × min(deltas, 60) × 4.
    #expect(abs(estimator.modifiedTrend - estimator.trend * 60 * 4) < 1e-9)
}

@Test func drainingQueueHasNegativeSlope() {
    // Groups sent 10 ms apart arrive 8 ms apart: the queue drains 2 ms per 8 ms.
    let estimator = slope(sendDeltaMs: 10, arrivalDeltaMs: 8, count: 200)
    #expect(abs(estimator.trend + 2.0 / 8.0) < 0.01)
}

@Test func trendStaysZeroUntilWindowIsFull() {
    let estimator = slope(sendDeltaMs: 10, arrivalDeltaMs: 12, count: 19)
    #expect(estimator.trend == 0)
    let full = slope(sendDeltaMs: 10, arrivalDeltaMs: 12, count: 20)
    #expect(full.trend > 0)
}

@Test func linearFitOfIdenticalXIsNil() {
    #expect(TrendlineEstimator.linearFitSlope([(1, 2), (1, 3)]) == nil)
    #expect(TrendlineEstimator.linearFitSlope([(0, 0), (1, 2), (2, 4)]) == 2)
}
