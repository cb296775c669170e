import Testing
import SansIO
@testable import Node

@Suite struct ReceiveStatisticsTests {
    @Test func countsLossAcrossSequenceWrap() {
        var stats = ReceiveStatistics(ssrc: 7, clockRate: 90_000)
        // 65530 … 65535, 0 … 9 with 65534 and 3 missing: 16 expected, 14 received.
        var seqs: [UInt16] = Array(65530...65535) + Array(0...9)
        seqs.removeAll { $0 == 65534 || $0 == 3 }
        for (i, s) in seqs.enumerated() {
            stats.record(sequence: s, rtpTimestamp: UInt32(i) * 3000, arrival: .milliseconds(Int64(i) * 33))
        }
        let report = stats.makeReport(now: .seconds(1))
        #expect(report.cumulativeLost == 2)
        #expect(report.extendedHighestSequenceNumber == (1 << 16) | 9)
        #expect(report.fractionLost == UInt8((2 << 8) / 16))
        // The next report covers only what came after this one.
        stats.record(sequence: 10, rtpTimestamp: 48_000, arrival: .milliseconds(600))
        let v1 = stats.makeReport(now: .seconds(2))
        #expect(v1.fractionLost == 0)
    }

    @Test func jitterIsZeroForPerfectlyPacedPackets() {
        var stats = ReceiveStatistics(ssrc: 1, clockRate: 90_000)
        for i in 0..<50 {
            stats.record(sequence: UInt16(i), rtpTimestamp: UInt32(i) * 3000,
                         arrival: Instant(microseconds: Int64(i) * 33_333 + 1))
        }
        let v2 = stats.makeReport(now: .seconds(2))
        #expect(v2.jitter <= 1)
    }

    @Test func jitterGrowsWithArrivalVariation() {
        var stats = ReceiveStatistics(ssrc: 1, clockRate: 90_000)
        for i in 0..<200 {
            let wobble: Int64 = i % 2 == 0 ? 0 : 10_000  // 10 ms late every other packet
            stats.record(sequence: UInt16(i), rtpTimestamp: UInt32(i) * 3000,
                         arrival: Instant(microseconds: Int64(i) * 33_333 + wobble))
        }
        // |D| = 900 units every packet; the estimator converges towards 900.
        let j = stats.makeReport(now: .seconds(8)).jitter
        #expect(j > 800 && j < 1000)
    }

    @Test func delaySinceLastSenderReportIn65536ths() {
        var stats = ReceiveStatistics(ssrc: 1, clockRate: 48_000)
        stats.record(sequence: 1, rtpTimestamp: 0, arrival: .zero)
        stats.recordSenderReport(ntpTimestamp: 0x1122_3344_5566_7788, at: .milliseconds(1000))
        let r = stats.makeReport(now: .milliseconds(1500))
        #expect(r.lastSenderReport == 0x3344_5566)
        #expect(r.delaySinceLastSenderReport == 32_768)
    }
}
