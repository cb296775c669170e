import Testing
@testable import Media

@Suite struct FrameProcessorTests {
    @Test("fitted size: fits unchanged, too wide, too tall, odd results made even", arguments: [
        (640, 360, 1280, 720, 640, 360),
        (1280, 720, 1280, 720, 1280, 720),
        (1920, 1080, 1280, 720, 1280, 720),
        (2000, 720, 1280, 720, 1280, 460),
        (720, 1280, 1280, 720, 404, 720),
        (1282, 722, 1280, 720, 1278, 720),
    ])
    func fitted(_ c: (Int, Int, Int, Int, Int, Int)) {
        let size = fittedOutputSize(width: c.0, height: c.1, maxWidth: c.2, maxHeight: c.3)
        #expect(size.width == c.4 && size.height == c.5)
    }

    @Test func bicubicDoublesBelowTheCap() throws {
        let processor = try BicubicProcessor(factor: 2, maxWidth: 1280, maxHeight: 720)
        try processor.configure(stream: "a", width: 64, height: 36)
        let input = pseudoRandomFrame(width: 64, height: 36, seed: 7)
        let out = try processor.process([input], stream: "a")
        #expect(out.count == 1)
        #expect(out.first == (try BicubicUpscaler(factor: 2).upscale(input)))
    }

    @Test func bicubicCapsTheOutputWithABoxDownscale() throws {
        let processor = try BicubicProcessor(factor: 2, maxWidth: 96, maxHeight: 54)
        #expect(processor.outputSize(width: 64, height: 36) == (96, 54))
        try processor.configure(stream: "a", width: 64, height: 36)
        var input = pseudoRandomFrame(width: 64, height: 36, seed: 9)
        input.timestamp = 1234
        let out = try #require(try processor.process([input], stream: "a").first)
        let expected = try BicubicUpscaler(factor: 2).upscale(input).scaled(width: 96, height: 54, filter: .box)
        #expect(out == expected)
        #expect(out.timestamp == 1234)
    }

    @Test func bicubicRejectsUnconfiguredStreamsAndWrongSizes() throws {
        let processor = try BicubicProcessor()
        let frame = I420Frame(width: 32, height: 16)
        #expect(throws: FrameProcessorError.streamNotConfigured("x")) { try processor.process([frame], stream: "x") }
        try processor.configure(stream: "x", width: 16, height: 16)
        #expect(throws: FrameProcessorError.unexpectedFrameSize(expectedWidth: 16, expectedHeight: 16,
                                                                width: 32, height: 16)) {
            try processor.process([frame], stream: "x")
        }
        processor.remove(stream: "x")
        #expect(throws: FrameProcessorError.streamNotConfigured("x")) { try processor.process([frame], stream: "x") }
    }

    @Test func bicubicRejectsBadFactorsAndCaps() {
        #expect(throws: FrameProcessorError.scaling(.invalidFactor(9))) { try BicubicProcessor(factor: 9) }
        #expect(throws: FrameProcessorError.self) { try BicubicProcessor(factor: 2, maxWidth: 0, maxHeight: 720) }
    }

    @Test func chainComposesScalesAndConfiguresEachWithItsInputSize() throws {
        let first = try BicubicProcessor(factor: 2, maxWidth: 4096, maxHeight: 4096)
        let second = try BicubicProcessor(factor: 2, maxWidth: 200, maxHeight: 200)
        let chain = ProcessorChain([first, second])
        #expect(chain.scale == 4)
        #expect(chain.name == "bicubic+bicubic")
        #expect(!chain.isExpensive)
        #expect(chain.outputSize(width: 40, height: 20) == (160, 80))
        #expect(chain.outputSize(width: 100, height: 50) == (200, 100))
        try chain.configure(stream: "s", width: 40, height: 20)
        let input = pseudoRandomFrame(width: 40, height: 20, seed: 3)
        let out = try #require(try chain.process([input, input], stream: "s").last)
        let up = try BicubicUpscaler(factor: 2)
        #expect(out == (try up.upscale(up.upscale(input))))
        #expect(ProcessorChain([]).outputSize(width: 7, height: 5) == (7, 5))
    }

    @Test func latencyPercentilesUseNearestRankOverTheRecentRing() {
        var samples = LatencySamples(capacity: 4)
        #expect(samples.percentile(50) == nil)
        for ms in [40, 10, 30, 20] { samples.record(.milliseconds(ms)) }
        #expect(samples.percentile(50) == .milliseconds(20))
        #expect(samples.percentile(95) == .milliseconds(40))
        #expect(samples.percentile(0) == .milliseconds(10))
        // The oldest (40 ms) is overwritten.
        samples.record(.milliseconds(1))
        #expect(samples.summary.max == .milliseconds(30))
        #expect(samples.summary.samples == 5)
        samples.record(.milliseconds(-5))
        #expect(samples.percentile(0) == .zero)
        #expect(LatencySummary(samples: 1, p50: .microseconds(1250), p95: nil, max: nil).description
                == "p50 1.3 ms, p95 – ms")
    }

    @Test func stageQueueEvictsTheOldestAndDrainsAfterClose() {
        let queue = StageQueue<Int>(capacity: 2)
        #expect(!queue.push(1))
        #expect(!queue.push(2))
        #expect(queue.push(3))
        #expect(queue.dropped == 1)
        #expect(queue.pop(maxCount: 5) == [2, 3])
        queue.push(4)
        queue.close()
        #expect(!queue.push(5))
        #expect(queue.pop() == [4])
        #expect(queue.pop() == nil)
        let other = StageQueue<Int>(capacity: 3)
        other.push(1)
        #expect(other.close(discardingPending: true) == 1)
        #expect(other.pop() == nil)
    }
}
