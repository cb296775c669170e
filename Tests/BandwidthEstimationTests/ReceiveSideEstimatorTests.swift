import Testing
import SansIO
import RTP
@testable import BandwidthEstimation

@Test func absSendTimeUnwrapsAcrossThe64SecondWrap() {
    var unwrapper = AbsSendTimeUnwrapper()
    let before = unwrapper.unwrap(AbsSendTime(microseconds: 63_990_000))
    let after = unwrapper.unwrap(AbsSendTime(microseconds: 64_010_000))  // wire value ≈ 10 ms
    #expect(AbsSendTime(microseconds: 64_010_000).rawValue < AbsSendTime(microseconds: 63_990_000).rawValue)
    let delta = after.microseconds - before.microseconds
    #expect(abs(delta - 20_000) <= 8)  // 2^-18 s resolution
    // A reordered older packet lands before, and does not move the reference.
    let older = unwrapper.unwrap(AbsSendTime(microseconds: 63_995_000))
    #expect(abs(older.microseconds - before.microseconds - 5_000) <= 8)
    let next = unwrapper.unwrap(AbsSendTime(microseconds: 64_020_000))
    #expect(abs(next.microseconds - after.microseconds - 10_000) <= 8)
}

@Test func absSendTimeUnwrapsBackwardAcrossTheWrap() {
    var unwrapper = AbsSendTimeUnwrapper()
    let after = unwrapper.unwrap(AbsSendTime(microseconds: 64_005_000))
    let before = unwrapper.unwrap(AbsSendTime(microseconds: 63_995_000))
    #expect(abs(after.microseconds - before.microseconds - 10_000) <= 8)
}

/// Sends `rate` bps of 1200-byte packets with abs-send-time through `link`, the sender's clock
/// starting at `sendClockStart` µs (its abs-send-time wraps 64 s later), for `duration` µs.
private func runReceiveSide(rate: (Int64) -> Double, capacity: Double, sendClockStart: Int64,
                            duration: Int64, startBitrate: Int?) -> (ReceiveSideEstimator, [BandwidthUsage], [Int]) {
    var estimator = ReceiveSideEstimator(minBitrate: 30_000, maxBitrate: 5_000_000, startBitrate: startBitrate)
    var link = BottleneckLink(capacity: { _ in capacity }, propagationDelay: 40_000)
    var time: Int64 = 0
    var states: [BandwidthUsage] = []
    var estimates: [Int] = []
    while time < duration {
        // The node's clock is unrelated to the sender's.
        if let arrival = link.send(size: 1200, at: time) {
            estimator.onPacket(arrival: Instant(microseconds: arrival + 777_000_000),
                               sendTime: AbsSendTime(microseconds: sendClockStart + time), size: 1200)
            states.append(estimator.usage)
            estimates.append(estimator.estimate)
        }
        time += Int64(9600 / rate(time) * 1_000_000)
    }
    return (estimator, states, estimates)
}

@Test func receiveSideStaysNormalUnderCapacityAcrossTheWrap() {
    // 800 kbps into 1000 kbps, sender clock starting 2 s before the wrap, for 6 s.
    let (estimator, states, _) = runReceiveSide(rate: { _ in 800_000 }, capacity: 1_000_000,
                                                sendClockStart: 62_000_000, duration: 6_000_000,
                                                startBitrate: 800_000)
    #expect(!states.contains(.overusing))
    // Every packet (≈ 83/s, each its own group) kept producing deltas after the wrap.
    #expect(estimator.delayBased.trendline.numberOfDeltas > 450)
    #expect(estimator.estimate >= 800_000)
}

@Test func receiveSideDetectsOveruseAfterTheWrap() {
    // 800 kbps, then 1300 kbps into 1000 kbps from 3 s (1 s after the wrap).
    let (estimator, states, estimates) = runReceiveSide(
        rate: { $0 < 3_000_000 ? 800_000 : 1_300_000 }, capacity: 1_000_000,
        sendClockStart: 62_000_000, duration: 6_000_000, startBitrate: 1_200_000)
    #expect(states.contains(.overusing))
    #expect(estimator.estimate < 1_000_000)
    #expect(estimates.min().map { $0 >= 500_000 } == true)
}

@Test func receiveSideWithoutStartBitrateDoesNotCapUntilItKnows() {
    let (estimator, _, estimates) = runReceiveSide(rate: { _ in 500_000 }, capacity: 2_000_000,
                                                   sendClockStart: 0, duration: 8_000_000, startBitrate: nil)
    #expect(estimates.first == 5_000_000)
    // Initialized from the incoming rate after 5 s, then limited to 1.5 × incoming + 10 kbps.
    #expect(estimator.estimate <= 800_000)
    #expect(estimator.estimate >= 500_000)
}

@Test func receiveSidePacketsWithoutAbsSendTimeOnlyCountRate() {
    var estimator = ReceiveSideEstimator(startBitrate: 1_000_000)
    for index in 0..<200 {
        estimator.onPacket(arrival: .milliseconds(Int64(index) * 10), sendTime: nil, size: 1200)
    }
    #expect(estimator.estimate == 1_000_000)
    #expect(estimator.delayBased.trendline.numberOfDeltas == 0)
    var incoming = estimator.incoming
    let rate = incoming.rate(at: .milliseconds(1990))
    #expect(rate.map { abs($0 - 960_000) < 20_000 } == true)
}

@Test func receiveSideSurvivesHostileInput() {
    var estimator = ReceiveSideEstimator(startBitrate: 1_000_000)
    var random = SplitMix64(state: 99)
    for _ in 0..<5000 {
        let arrival = Instant(microseconds: Int64(bitPattern: random.next()) >> 20)
        let send = random.next() % 4 == 0 ? nil : AbsSendTime(rawValue: UInt32(truncatingIfNeeded: random.next()))
        estimator.onPacket(arrival: arrival, sendTime: send, size: Int(random.next() % 3000) - 100)
    }
    #expect(estimator.estimate >= 30_000 && estimator.estimate <= 30_000_000)
}

/// 30 fps video at `rate` bps in 1200-byte packets sent back to back per frame, 90 kHz RTP
/// timestamps starting just below the 32-bit wrap, through a `capacity` bottleneck.
private func runRTPTimestampStream(rate: Double, capacity: Double, seconds: Int) -> [BandwidthUsage] {
    var estimator = ReceiveSideEstimator(startBitrate: Int(rate))
    var link = BottleneckLink(capacity: { _ in capacity }, propagationDelay: 30_000)
    var states: [BandwidthUsage] = []
    let packetsPerFrame = Int((rate / 30 / 9600).rounded(.up))
    for frame in 0..<(seconds * 30) {
        let captured = Int64(frame) * 33_333
        let timestamp = UInt32(truncatingIfNeeded: UInt64(UInt32.max - 90_000) &+ UInt64(frame) * 3000)
        for index in 0..<packetsPerFrame {
            guard let arrival = link.send(size: 1200, at: captured + 5_000 + Int64(index) * 500) else { continue }
            estimator.onPacket(arrival: Instant(microseconds: arrival), rtpTimestamp: timestamp, clockRate: 90_000,
                               size: 1200)
            states.append(estimator.usage)
        }
    }
    return states
}

@Test func rtpTimestampsDriveTheEstimateWithoutAbsSendTime() {
    #expect(!runRTPTimestampStream(rate: 700_000, capacity: 1_000_000, seconds: 6).contains(.overusing))
    #expect(runRTPTimestampStream(rate: 1_300_000, capacity: 1_000_000, seconds: 6).contains(.overusing))
}

@Test func zeroClockRateIsIgnored() {
    var estimator = ReceiveSideEstimator(startBitrate: 500_000)
    estimator.onPacket(arrival: .zero, rtpTimestamp: 1, clockRate: 0, size: 100)
    estimator.onPacket(arrival: .milliseconds(10), rtpTimestamp: 9000, clockRate: -5, size: 100)
    #expect(estimator.delayBased.trendline.numberOfDeltas == 0)
}
