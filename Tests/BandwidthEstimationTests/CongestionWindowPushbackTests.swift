import Testing
import SansIO
import RTP
@testable import BandwidthEstimation

/// A pushback whose window is 50 000 bytes: 800 kbps × (150 ms + 350 ms) / 8.
private func pushbackWith50kBWindow() -> CongestionWindowPushback {
    var pushback = CongestionWindowPushback()
    pushback.onFeedback(maxRoundTrip: 150_000)
    pushback.updateWindow(target: 800_000)
    return pushback
}

@Suite struct CongestionWindowPushbackTests {
    @Test func withoutARoundTripTheTargetPassesUnchanged() {
        var pushback = CongestionWindowPushback()
        pushback.updateWindow(target: 800_000)
        pushback.setDataInFlight(1_000_000)
        #expect(pushback.window == nil)
        let rate = pushback.pushBack(target: 800_000)
        #expect(rate == 800_000)
        #expect(pushback.scale == 1)
    }

    @Test func windowIsTargetTimesSmallestRoundTripPlusAllowanceAveragedWithThePrevious() {
        var pushback = CongestionWindowPushback()
        pushback.onFeedback(maxRoundTrip: 200_000)
        pushback.onFeedback(maxRoundTrip: 150_000)
        pushback.onFeedback(maxRoundTrip: 300_000)
        #expect(pushback.roundTrip == 150_000)
        // 800 000 bps × 0.5 s / 8 = 50 000 bytes.
        pushback.updateWindow(target: 800_000)
        #expect(pushback.window == 50_000)
        // 400 000 × 0.5 / 8 = 25 000, averaged with 50 000.
        pushback.updateWindow(target: 400_000)
        #expect(pushback.window == 37_500)
    }

    @Test func windowIsNeverUnderTwoFullPackets() {
        var pushback = CongestionWindowPushback()
        pushback.onFeedback(maxRoundTrip: 100_000)
        pushback.updateWindow(target: 10_000)  // 10 000 × 0.45 / 8 = 562 bytes
        #expect(pushback.window == 3000)
    }

    @Test func roundTripIsTheMinimumOfTheLast32Feedbacks() {
        var pushback = CongestionWindowPushback(queueAllowance: 0)
        pushback.onFeedback(maxRoundTrip: 10_000)
        for _ in 0..<31 { pushback.onFeedback(maxRoundTrip: 200_000) }
        #expect(pushback.roundTrip == 10_000)
        pushback.onFeedback(maxRoundTrip: 200_000)
        #expect(pushback.roundTrip == 200_000)
        pushback.updateWindow(target: 800_000)
        #expect(pushback.window == 20_000)
    }

    @Test func scaleStepsByTheWindowsFill() {
        var pushback = pushbackWith50kBWindow()
        pushback.setDataInFlight(80_000)  // fill 1.6: × 0.9
        var rate = pushback.pushBack(target: 800_000)
        #expect(rate == 720_000)
        pushback.setDataInFlight(75_000)  // fill 1.5 exactly: × 0.95 (not over 1.5)
        rate = pushback.pushBack(target: 800_000)
        #expect(abs(rate - 684_000) <= 1)
        pushback.setDataInFlight(60_000)  // fill 1.2: × 0.95 → 0.81225
        rate = pushback.pushBack(target: 800_000)
        #expect(abs(rate - 649_800) <= 1)
        pushback.setDataInFlight(50_000)  // fill 1 exactly: × 1.05 → 0.8528625
        rate = pushback.pushBack(target: 800_000)
        #expect(abs(rate - 682_290) <= 1)
        pushback.setDataInFlight(25_000)  // fill 0.5: × 1.05 → 0.895505625
        rate = pushback.pushBack(target: 600_000)
        #expect(abs(rate - 537_303) <= 1)
        pushback.setDataInFlight(4_999)  // fill under 0.1: back to 1 at once
        rate = pushback.pushBack(target: 800_000)
        #expect(rate == 800_000)
        #expect(pushback.scale == 1)
    }

    @Test func recoveryIsCappedAtTheFullTarget() {
        var pushback = pushbackWith50kBWindow()
        pushback.setDataInFlight(80_000)
        _ = pushback.pushBack(target: 800_000)  // 0.9
        pushback.setDataInFlight(10_000)  // fill 0.2
        _ = pushback.pushBack(target: 800_000)  // 0.945
        var rate = pushback.pushBack(target: 800_000)  // 0.99225
        #expect(abs(rate - 793_800) <= 1)
        rate = pushback.pushBack(target: 800_000)  // 1.0418625, capped at 1
        #expect(rate == 800_000)
        #expect(pushback.scale == 1)
    }

    @Test func pushedBackRateStopsAtTheFloorAndTheScaleDoesNotWindDownPastIt() {
        var pushback = pushbackWith50kBWindow()
        pushback.setDataInFlight(200_000)
        for _ in 0..<40 { _ = pushback.pushBack(target: 200_000) }
        // 0.9^40 ≈ 0.015 would be 3 kbps: held at 30 kbps, the scale at 30 000 / 200 000.
        var rate = pushback.pushBack(target: 200_000)
        #expect(rate == 30_000)
        #expect(abs(pushback.scale - 0.15) < 1e-12)
        pushback.setDataInFlight(25_000)
        rate = pushback.pushBack(target: 200_000)  // 0.15 × 1.05
        #expect(abs(rate - 31_500) <= 1)
    }

    @Test func targetUnderTheFloorIsNotRaised() {
        var pushback = pushbackWith50kBWindow()
        pushback.setDataInFlight(200_000)
        var rate = pushback.pushBack(target: 20_000)
        #expect(rate == 20_000)
        rate = pushback.pushBack(target: 0)
        #expect(rate == 0)
    }
}

@Suite struct PushbackFrameDropperTests {
    @Test func noPushbackDropsNothing() {
        var dropper = PushbackFrameDropper()
        let encoderRate = dropper.update(target: 1_000_000, pushedBack: 1_000_000)
        #expect(encoderRate == 1_000_000)
        #expect(dropper.dropInterval == nil)
        let dropped = (0..<10).contains { _ in dropper.shouldDrop() }
        #expect(!dropped)
    }

    @Test func pushbackOfOnePercentOrLessDropsNothing() {
        var dropper = PushbackFrameDropper()
        let encoderRate = dropper.update(target: 1_000_000, pushedBack: 990_000)
        #expect(encoderRate == 1_000_000)
        #expect(dropper.dropInterval == nil)
    }

    @Test func aQuarterPushedBackDropsOneFrameInFour() {
        var dropper = PushbackFrameDropper()
        // Reduction 0.25: 250 kbps to take away, 1 000 000 / 250 000 = 4.
        let encoderRate = dropper.update(target: 1_000_000, pushedBack: 750_000)
        #expect(encoderRate == 750_000)
        #expect(dropper.dropInterval == 4)
        let drops = (0..<8).map { _ in dropper.shouldDrop() }
        #expect(drops == [true, false, false, false, true, false, false, false])
        #expect(dropper.dropped == 2)
    }

    @Test func atMostEveryOtherFrameIsDropped() {
        var dropper = PushbackFrameDropper()
        // Reduction 0.7: 1 000 000 / 700 000 = 1, raised to 2; the encoder gets half.
        let encoderRate = dropper.update(target: 1_000_000, pushedBack: 300_000)
        #expect(encoderRate == 500_000)
        #expect(dropper.dropInterval == 2)
    }

    @Test func reductionIsLimitedToWhatLeavesTheCodecMinimum() {
        var dropper = PushbackFrameDropper(codecMinBitrate: 30_000)
        // 40 kbps pushed back to 1 kbps: at most 10 kbps taken away, 40 000 / 10 000 = 4.
        var encoderRate = dropper.update(target: 40_000, pushedBack: 1_000)
        #expect(encoderRate == 30_000)
        #expect(dropper.dropInterval == 4)
        // At or under the codec minimum nothing is dropped.
        encoderRate = dropper.update(target: 30_000, pushedBack: 10_000)
        #expect(encoderRate == 30_000)
        #expect(dropper.dropInterval == nil)
        let dropped = dropper.shouldDrop()
        #expect(!dropped)
    }

    @Test func droppingStopsWhenThePushbackEnds() {
        var dropper = PushbackFrameDropper()
        _ = dropper.update(target: 600_000, pushedBack: 300_000)
        var dropped = dropper.shouldDrop()
        #expect(dropped)
        let encoderRate = dropper.update(target: 600_000, pushedBack: 600_000)
        #expect(encoderRate == 600_000)
        dropped = (0..<6).contains { _ in dropper.shouldDrop() }
        #expect(!dropped)
    }
}

private func feedback(base: UInt16, deltas: [Int64?], reference: Int32 = 1000) -> TransportFeedback {
    TransportFeedback(
        senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: base, referenceTime: reference, feedbackPacketCount: 0,
        packets: deltas.enumerated().map { offset, delta in
            TransportFeedback.PacketResult(
                sequenceNumber: base &+ UInt16(offset),
                status: delta == nil ? .notReceived : .smallDelta, deltaMicroseconds: delta)
        })
}

@Suite struct SendSideCongestionWindowTests {
    @Test func dataInFlightIsWhatNoFeedbackCoveredYet() {
        var estimator = SendSideBandwidthEstimator(startBitrate: 500_000, minBitrate: 30_000, maxBitrate: 5_000_000,
                                                   congestionWindow: CongestionWindowPushback())
        for sequence in Int64(1)...6 {
            estimator.onPacketSent(sequence: sequence, size: 1000, at: .milliseconds(sequence), probeCluster: nil)
        }
        #expect(estimator.dataInFlight == 6000)
        // Reports 2 (received) and 3 (lost): 1, never mentioned but older, is settled with them.
        estimator.onTransportFeedback(feedback(base: 2, deltas: [1000, nil]), at: .milliseconds(100))
        #expect(estimator.dataInFlight == 3000)
        // 3 arriving late changes nothing; 5 settles 4 and 5.
        estimator.onTransportFeedback(feedback(base: 3, deltas: [1000]), at: .milliseconds(110))
        #expect(estimator.dataInFlight == 3000)
        estimator.onTransportFeedback(feedback(base: 5, deltas: [1000]), at: .milliseconds(120))
        #expect(estimator.dataInFlight == 1000)
    }

    @Test func fullWindowPushesTheEncoderTargetBackAndFeedbackReleasesIt() throws {
        var estimator = SendSideBandwidthEstimator(startBitrate: 800_000, minBitrate: 30_000, maxBitrate: 5_000_000,
                                                   congestionWindow: CongestionWindowPushback())
        estimator.onPacketSent(sequence: 1, size: 1200, at: .milliseconds(0), probeCluster: nil)
        // Round trip 100 ms: window 800 000 × 0.45 s / 8 = 45 000 bytes.
        estimator.onTransportFeedback(feedback(base: 1, deltas: [50_000]), at: .milliseconds(100))
        let window = try #require(estimator.congestionWindow?.window)
        #expect(abs(window - estimator.target * 45 / 100 / 8) <= 1)
        #expect(estimator.encoderTarget == estimator.target)
        // 100 more packets, 120 000 bytes, with no feedback: the window is 2.7 × full.
        for sequence in Int64(2)...101 {
            estimator.onPacketSent(sequence: sequence, size: 1200, at: .milliseconds(100 + sequence), probeCluster: nil)
        }
        #expect(estimator.dataInFlight == 120_000)
        #expect(estimator.encoderTarget < estimator.target / 4)
        #expect(estimator.encoderTarget >= 30_000)
        #expect(estimator.pacingRate == Int(Double(estimator.target) * 2.5))
        // Feedback for all of them: nothing in flight, the full target at once.
        estimator.onTransportFeedback(feedback(base: 2, deltas: Array(repeating: 1000, count: 100)), at: .milliseconds(300))
        #expect(estimator.dataInFlight == 0)
        #expect(estimator.encoderTarget == estimator.target)
    }

    @Test func withoutAPushbackTheEncoderTargetIsTheTarget() {
        var estimator = SendSideBandwidthEstimator(startBitrate: 800_000, minBitrate: 30_000, maxBitrate: 5_000_000)
        for sequence in Int64(1)...200 {
            estimator.onPacketSent(sequence: sequence, size: 1200, at: .milliseconds(sequence), probeCluster: nil)
        }
        estimator.onTransportFeedback(feedback(base: 1, deltas: [50_000]), at: .milliseconds(300))
        #expect(estimator.encoderTarget == estimator.target)
        #expect(estimator.congestionWindow == nil)
    }
}
