import Testing
import SansIO
@testable import BandwidthEstimation

@Test func overuseDecreasesToBetaTimesAcknowledged() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 1_000_000)
    aimd.update(usage: .normal, throughput: 1_000_000, now: .milliseconds(0))
    let before = aimd.bitrate
    aimd.update(usage: .overusing, throughput: 800_000, now: .milliseconds(100))
    #expect(aimd.bitrate == 680_000)
    #expect(aimd.state == .hold)
    #expect(aimd.lastDecrease == Double(before - 680_000))
}

@Test func overuseNeverRaisesTheRate() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 500_000)
    aimd.update(usage: .overusing, throughput: 900_000, now: .milliseconds(0))
    #expect(aimd.bitrate == 500_000)
}

@Test func growsEightPercentPerSecondFarFromLastDecrease() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 500_000)
    for step in 0...30 {
        aimd.update(usage: .normal, throughput: 1_000_000, now: .milliseconds(Int64(step) * 100))
    }
    // First step adds the 1 kbps floor, then 1.08^3 over 3 s.
    let expected = 501_000 * 1.08 * 1.08 * 1.08
    #expect(abs(Double(aimd.bitrate) - expected) / expected < 0.01)
}

@Test func growsAdditivelyNearLastDecrease() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 1_000_000)
    aimd.rttMicroseconds = 100_000
    aimd.update(usage: .overusing, throughput: 1_000_000, now: .milliseconds(0))
    let afterDecrease = aimd.bitrate
    #expect(afterDecrease == 850_000)
    let rate = aimd.nearMaxIncreaseRateBpsPerSecond
    for step in 1...10 {
        aimd.update(usage: .normal, throughput: 900_000, now: .milliseconds(Int64(step) * 100))
    }
    // One average packet (≤ 1200 bytes of a 1/30 s frame) per RTT + 100 ms: ≈ 47 kbps/s here.
    #expect(rate > 40_000 && rate < 50_000)
    let grown = Double(aimd.bitrate - afterDecrease)
    // 0.9 s of growth (the first step only leaves hold); the packet count per frame rises
    // from 3 to 4 on the way, so the rate drops a little.
    #expect(grown > 0.7 * 0.9 * rate && grown < 1.1 * 0.9 * rate)
    #expect(aimd.linkCapacity.hasEstimate)
}

@Test func neverAboveOneAndAHalfTimesAcknowledged() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 50_000_000, startBitrate: 300_000)
    for step in 0...300 {
        aimd.update(usage: .normal, throughput: 400_000, now: .milliseconds(Int64(step) * 100))
    }
    #expect(aimd.bitrate == 610_000)
    // Above the limit already: no increase (and no decrease without overuse).
    var high = AIMDRateControl(minBitrate: 10_000, maxBitrate: 50_000_000, startBitrate: 1_000_000)
    high.update(usage: .normal, throughput: 400_000, now: .milliseconds(0))
    high.update(usage: .normal, throughput: 400_000, now: .milliseconds(1000))
    #expect(high.bitrate == 1_000_000)
}

@Test func staysWithinBounds() {
    var aimd = AIMDRateControl(minBitrate: 100_000, maxBitrate: 600_000, startBitrate: 5_000_000)
    #expect(aimd.bitrate == 600_000)
    for step in 0...100 {
        aimd.update(usage: .overusing, throughput: 1000, now: .milliseconds(Int64(step) * 300))
    }
    #expect(aimd.bitrate == 100_000)
}

@Test func underuseHolds() {
    var aimd = AIMDRateControl(minBitrate: 10_000, maxBitrate: 5_000_000, startBitrate: 500_000)
    for step in 0...20 {
        aimd.update(usage: .underusing, throughput: 500_000, now: .milliseconds(Int64(step) * 100))
    }
    #expect(aimd.bitrate == 500_000)
    #expect(aimd.state == .hold)
}
