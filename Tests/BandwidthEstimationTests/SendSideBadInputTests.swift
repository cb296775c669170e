import Testing
import SansIO
import RTP
@testable import BandwidthEstimation

private func feedback(base: UInt16, deltas: [Int64?], reference: Int32 = 1000, count: UInt8 = 0) -> TransportFeedback {
    TransportFeedback(
        senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: base, referenceTime: reference, feedbackPacketCount: count,
        packets: deltas.enumerated().map { offset, delta in
            TransportFeedback.PacketResult(
                sequenceNumber: base &+ UInt16(offset),
                status: delta == nil ? .notReceived : ((0...63_750).contains(delta ?? 0) ? .smallDelta : .largeDelta),
                deltaMicroseconds: delta)
        })
}

private func estimatorWithPackets(_ sequences: Range<Int64>, size: Int = 1200) -> SendSideBandwidthEstimator {
    var estimator = SendSideBandwidthEstimator(startBitrate: 500_000, minBitrate: 50_000, maxBitrate: 5_000_000)
    for sequence in sequences {
        estimator.onPacketSent(sequence: sequence, size: size, at: .milliseconds(sequence * 10), probeCluster: nil)
    }
    return estimator
}

@Test func feedbackBeforeAnyPacketIsIgnored() {
    var estimator = SendSideBandwidthEstimator(startBitrate: 500_000, minBitrate: 50_000, maxBitrate: 5_000_000)
    estimator.onTransportFeedback(feedback(base: 0, deltas: [1000, 1000, nil]), at: .milliseconds(100))
    #expect(estimator.unknownReports == 3)
    #expect(estimator.target == 500_000)
}

@Test func feedbackForUnknownSequenceNumbersIsCountedAndIgnored() {
    var estimator = estimatorWithPackets(0..<10)
    let before = estimator.target
    // 100…104 were never sent: they map to −65436… (before the history).
    estimator.onTransportFeedback(feedback(base: 100, deltas: [10_000, 10_000, nil, 10_000, 10_000]),
                                  at: .milliseconds(200))
    #expect(estimator.unknownReports == 5)
    #expect(estimator.target == before)
    #expect(estimator.lossBased.lastLossFraction == 0)
}

@Test func duplicatedFeedbackCountsOnce() {
    var estimator = estimatorWithPackets(0..<30)
    let report = feedback(base: 0, deltas: (0..<30).map { $0 % 10 == 9 ? nil : 10_000 })
    estimator.onTransportFeedback(report, at: .milliseconds(400))
    #expect(estimator.lossBased.lastLossFraction == 0.1)
    estimator.onTransportFeedback(report, at: .milliseconds(410))
    #expect(estimator.duplicateReports == 27)
    #expect(estimator.unknownReports == 0)
    // The lost packets were already reported: no new loss report (needs 20 new packets).
    #expect(estimator.lossBased.lastLossFraction == 0.1)
}

@Test func outOfOrderFeedbackDoesNotTrap() {
    var estimator = estimatorWithPackets(0..<40)
    let first = feedback(base: 0, deltas: Array(repeating: 10_000, count: 20), reference: 100, count: 0)
    let second = feedback(base: 20, deltas: Array(repeating: 10_000, count: 20), reference: 104, count: 1)
    estimator.onTransportFeedback(second, at: .milliseconds(500))
    estimator.onTransportFeedback(first, at: .milliseconds(510))
    #expect(estimator.unknownReports == 0)
    #expect(estimator.duplicateReports == 0)
    #expect(estimator.target >= 50_000 && estimator.target <= 5_000_000)
}

@Test func zeroSizePacketsAreFine() {
    var estimator = estimatorWithPackets(0..<50, size: 0)
    estimator.onTransportFeedback(feedback(base: 0, deltas: Array(repeating: 10_000, count: 50)),
                                  at: .milliseconds(600))
    estimator.process(now: .milliseconds(600))
    #expect(estimator.target >= 50_000)
    #expect(estimator.acknowledgedBitrate.map { $0 == 0 } ?? true)
}

@Test func arrivalTimesGoingBackwardsDoNotTrap() {
    var estimator = estimatorWithPackets(0..<60)
    // Large negative deltas (the receiver clock going back), then extreme positive ones.
    var deltas: [Int64?] = Array(repeating: -8_000_000, count: 30)
    deltas += Array(repeating: 8_000_000, count: 30)
    estimator.onTransportFeedback(feedback(base: 0, deltas: deltas, reference: -8_388_608), at: .milliseconds(700))
    estimator.onTransportFeedback(feedback(base: 0, deltas: deltas, reference: 8_388_607), at: .milliseconds(800))
    estimator.process(now: .milliseconds(900))
    #expect(estimator.target >= 50_000 && estimator.target <= 5_000_000)
}

@Test func sequenceNumbersAreMatchedAcrossThe16BitWrap() {
    var estimator = SendSideBandwidthEstimator(startBitrate: 500_000, minBitrate: 50_000, maxBitrate: 5_000_000)
    for sequence in Int64(65_530)..<65_560 {
        estimator.onPacketSent(sequence: sequence, size: 1000, at: .milliseconds(sequence - 65_530), probeCluster: nil)
    }
    estimator.onTransportFeedback(feedback(base: 65_530, deltas: Array(repeating: 1000, count: 30)),
                                  at: .milliseconds(100))
    #expect(estimator.unknownReports == 0)
    #expect(estimator.duplicateReports == 0)
}

@Test func rembCapsTheTarget() {
    var estimator = estimatorWithPackets(0..<5)
    estimator.onRemb(bitrate: 200_000)
    #expect(estimator.target == 200_000)
    #expect(estimator.pacingRate == 500_000)
    estimator.onRemb(bitrate: nil)
    estimator.process(now: .milliseconds(100))
    #expect(estimator.target >= 200_000)
}

@Test func deadlinesAndInitialProbeRequests() {
    var estimator = SendSideBandwidthEstimator(startBitrate: 300_000, minBitrate: 50_000, maxBitrate: 5_000_000)
    #expect(estimator.nextDeadline == nil)
    estimator.process(now: .milliseconds(10))
    #expect(estimator.nextDeadline == .milliseconds(35))
    #expect(estimator.takeProbeRequests().map(\.bitrate) == [900_000, 1_800_000])
    #expect(estimator.probeRequests.isEmpty)
    estimator.onRTT(.milliseconds(80))
    #expect(estimator.delayBased.rttMicroseconds == 80_000)
}

@Test func randomFeedbackNeverTraps() {
    var estimator = SendSideBandwidthEstimator(startBitrate: 500_000, minBitrate: 50_000, maxBitrate: 5_000_000)
    var random = SplitMix64(state: 2024)
    var sequence: Int64 = 65_000
    for round in 0..<300 {
        let now = Instant.milliseconds(Int64(round) * 20)
        for _ in 0..<Int(random.next() % 5) {
            estimator.onPacketSent(sequence: sequence, size: Int(random.next() % 1500), at: now,
                                   probeCluster: random.next() % 7 == 0 ? Int(random.next() % 4) : nil)
            sequence += 1
        }
        let count = Int(random.next() % 40)
        let base = UInt16(truncatingIfNeeded: sequence - Int64(random.next() % 60))
        let deltas: [Int64?] = (0..<count).map { _ in
            random.next() % 5 == 0 ? nil : (Int64(random.next() % 65_536) - 32_768) * 250
        }
        let reference = Int32(truncatingIfNeeded: Int64(random.next() % 16_777_216) - 8_388_608)
        estimator.onTransportFeedback(feedback(base: base, deltas: deltas, reference: reference,
                                               count: UInt8(truncatingIfNeeded: round)), at: now)
        estimator.process(now: now)
        _ = estimator.takeProbeRequests()
    }
    #expect(estimator.target >= 50_000 && estimator.target <= 5_000_000)
}
