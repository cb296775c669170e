import Testing
import SansIO
@testable import Node

@Suite struct NackTrackerTests {
    @Test func requestsGapsOncePerRoundTrip() {
        var t = NackTracker()
        t.record(sequence: 100, now: .zero)
        t.record(sequence: 104, now: .milliseconds(10))
        #expect(t.missingSequences == [101, 102, 103])
        let v1 = t.due(now: .milliseconds(10), rtt: .milliseconds(50))
        #expect(v1 == [101, 102, 103])
        let v2 = t.due(now: .milliseconds(40), rtt: .milliseconds(50))
        #expect(v2.isEmpty)
        #expect(t.nextDeadline(rtt: .milliseconds(50)) == .milliseconds(60))
        t.record(sequence: 102, now: .milliseconds(45))
        let v3 = t.due(now: .milliseconds(60), rtt: .milliseconds(50))
        #expect(v3 == [101, 103])
        #expect(t.recovered == 1 && t.requested == 5)
    }

    @Test func handlesWrapAround() {
        var t = NackTracker()
        t.record(sequence: 65534, now: .zero)
        t.record(sequence: 1, now: .zero)
        #expect(t.missingSequences == [65535, 0])
    }

    @Test func reorderedPacketIsNotAGap() {
        var t = NackTracker()
        t.record(sequence: 10, now: .zero)
        t.record(sequence: 12, now: .zero)
        t.record(sequence: 11, now: .milliseconds(1))
        #expect(t.missingSequences.isEmpty)
        #expect(t.recovered == 0)
    }

    @Test func givesUpAfterMaxAgeAndAsksForKeyframe() {
        var t = NackTracker()
        t.record(sequence: 1, now: .zero)
        t.record(sequence: 3, now: .zero)
        _ = t.due(now: .zero, rtt: .milliseconds(100))
        #expect(!t.needsKeyframe)
        let v4 = t.due(now: .milliseconds(1001), rtt: .milliseconds(100))
        #expect(v4.isEmpty)
        #expect(t.needsKeyframe)
        #expect(t.missingSequences.isEmpty)
    }

    @Test func hugeGapAsksForKeyframeInsteadOfNacks() {
        var t = NackTracker()
        t.record(sequence: 0, now: .zero)
        t.record(sequence: 20_000, now: .zero)
        #expect(t.missingSequences.isEmpty)
        #expect(t.needsKeyframe)
    }
}
