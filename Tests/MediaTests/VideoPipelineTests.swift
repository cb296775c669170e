import Dispatch
import SansIO
import Synchronization
import Testing
@testable import Media

/// A clock the test sets by hand: deadlines and latencies without waiting.
private final class ManualClock: Sendable {
    private let now = Mutex<Int64>(0)
    func set(_ instant: Instant) { now.withLock { $0 = instant.microseconds } }
    var read: VideoPipeline.Clock { { [self] in Instant(microseconds: now.withLock { $0 }) } }
}

/// Outputs and keyframe requests collected from the pipeline's threads.
private final class Collector: Sendable {
    private let outputs = Mutex<[VideoPipeline.Output]>([])
    private let reasons = Mutex<[VideoPipeline.KeyframeReason]>([])
    var output: @Sendable (VideoPipeline.Output) -> Void { { [self] out in outputs.withLock { $0.append(out) } } }
    var keyframeRequest: @Sendable (VideoPipeline.KeyframeReason) -> Void {
        { [self] reason in reasons.withLock { $0.append(reason) } }
    }
    var frames: [VideoPipeline.Output] { outputs.withLock { $0 } }
    var requests: [VideoPipeline.KeyframeReason] { reasons.withLock { $0 } }
}

/// The bicubic processor behind a gate the test opens: each `process` call announces itself on
/// `entered` and then waits for one `gate.signal()`.
private final class GatedProcessor: FrameProcessor, @unchecked Sendable {
    // @unchecked: `inner` is used only by the pipeline's processor thread; the semaphores are
    // thread-safe.
    let inner: BicubicProcessor
    let gate = DispatchSemaphore(value: 0)
    let entered = DispatchSemaphore(value: 0)
    let name = "gated"
    var scale: Int { inner.scale }
    let isExpensive: Bool

    init(isExpensive: Bool) throws {
        inner = try BicubicProcessor()
        self.isExpensive = isExpensive
    }

    func outputSize(width: Int, height: Int) -> (width: Int, height: Int) { inner.outputSize(width: width, height: height) }
    func configure(stream: VideoStreamID, width: Int, height: Int) throws(FrameProcessorError) {
        try inner.configure(stream: stream, width: width, height: height)
    }
    func process(_ frames: [I420Frame], stream: VideoStreamID) throws(FrameProcessorError) -> [I420Frame] {
        entered.signal()
        gate.wait()
        return try inner.process(frames, stream: stream)
    }
}

/// 640×360 VP8 frames of the synthetic scene, encoded once at 600 kbps (keyframes at 0 and 30).
private let encodedScene: [EncodedFrame] = {
    let scene = SyntheticScene(width: 640, height: 360, fps: 30, noise: 2)
    guard let encoder = try? VideoEncoder(codec: .vp8, width: 640, height: 360, fps: 30, bitrateKbps: 600) else { return [] }
    return (0..<60).flatMap { i in (try? encoder.encode(scene.frame(i), forceKeyframe: i == 30)) ?? [] }
}()

private func input(_ frame: EncodedFrame, arrival: Instant = .zero) -> VideoPipeline.Input {
    VideoPipeline.Input(bytes: frame.bytes, timestamp: frame.rtpTimestamp, isKeyframe: frame.isKeyframe, arrival: arrival)
}

@Suite(.serialized) struct VideoPipelineTests {
    @Test func bicubicPathDoublesEveryFrameWithGoodQuality() throws {
        #expect(encodedScene.count == 60)
        let clock = ManualClock()
        let collector = Collector()
        let config = VideoPipeline.Configuration(bitrateKbps: 2500, deadline: nil, queueCapacity: 64)
        let pipeline = try VideoPipeline(configuration: config, processor: BicubicProcessor(), clock: clock.read,
                                         output: collector.output, keyframeRequest: collector.keyframeRequest)
        try pipeline.warmUp(width: 640, height: 360)
        #expect(pipeline.start())
        for (i, frame) in encodedScene.enumerated() {
            clock.set(.milliseconds(Int64(i) * 33))
            pipeline.submit(input(frame, arrival: .milliseconds(Int64(i) * 33)))
        }
        pipeline.finish()

        // Reference: the decoded input, bicubic ×2.
        let referenceDecoder = try VideoDecoder(codec: .vp8)
        let upscaler = try BicubicUpscaler(factor: 2)
        var reference: [UInt32: I420Frame] = [:]
        for frame in encodedScene {
            for picture in try referenceDecoder.decode(frame) { reference[picture.timestamp] = try upscaler.upscale(picture) }
        }
        let outputs = collector.frames
        #expect(outputs.count * 10 >= encodedScene.count * 9)
        #expect(outputs.first?.frame.isKeyframe == true)
        #expect(outputs.allSatisfy { !$0.payloads.isEmpty && !$0.usedFallback })
        let decoder = try VideoDecoder(codec: .vp8)
        var psnr: [Double] = []
        for output in outputs {
            #expect(output.frame.width == 1280 && output.frame.height == 720)
            for picture in try decoder.decode(output.frame) {
                #expect(picture.width == 1280 && picture.height == 720)
                let expected = try #require(reference[picture.timestamp])
                psnr.append(try #require(picture.psnrY(expected)))
            }
        }
        #expect(psnr.count == outputs.count)
        let mean = psnr.reduce(0, +) / Double(max(1, psnr.count))
        #expect(mean > 30, "mean Y-PSNR \(mean) dB")

        let stats = pipeline.statistics
        #expect(stats.counters.framesSubmitted == 60)
        #expect(stats.counters.framesDecoded == 60)
        #expect(stats.counters.framesProcessed == 60)
        #expect(stats.counters.framesOutput == outputs.count)
        #expect(stats.counters.deadlineFallbacks == 0)
        #expect(stats.counters.inputDrops + stats.counters.processorDrops + stats.counters.encoderDrops == 0)
        #expect(stats.counters.decodeErrors == 0 && stats.counters.keyframeRequests == 0)
        #expect(stats.counters.stagesExited == 3)
        #expect(stats.decode.samples == 60 && stats.process.samples == 60 && stats.encode.samples == 60)
        #expect(stats.decodeWork.samples == 60 && stats.processWork.samples == 60 && stats.encodeWork.samples == 60)
        #expect(collector.requests.isEmpty)
    }

    @Test func slowProcessorDropsTheOldestAndLateFramesTakeTheCheapPath() throws {
        let clock = ManualClock()
        let collector = Collector()
        let processor = try GatedProcessor(isExpensive: false)
        let config = VideoPipeline.Configuration(deadline: .milliseconds(100), queueCapacity: 2)
        let pipeline = try VideoPipeline(configuration: config, processor: processor, clock: clock.read,
                                         output: collector.output, keyframeRequest: collector.keyframeRequest)
        pipeline.start()
        // Frame 0 reaches the processor, which blocks on it.
        pipeline.submit(input(encodedScene[0]))
        processor.entered.wait()
        // Frames 1…9 are decoded one by one into a processor queue of two: seven are evicted.
        for i in 1..<10 {
            pipeline.submit(input(encodedScene[i]))
            #expect(pipeline.wait { $0.framesDecoded == i + 1 })
        }
        #expect(pipeline.statistics.counters.processorDrops == 7)
        // Time passes beyond every frame's deadline; the two frames still queued (8 and 9) are late.
        clock.set(.seconds(1))
        processor.gate.signal()
        pipeline.finish()

        let stats = pipeline.statistics.counters
        #expect(stats.inputDrops == 0)
        #expect(stats.framesProcessed == 1)
        #expect(stats.deadlineFallbacks == 2)
        // Frames 0, 8 and 9 go to an encoder queue of two: when the encoder thread has not taken
        // frame 0 yet as 9 arrives, 0 is evicted in turn.
        #expect(stats.framesOutput + stats.encoderDrops == 3)
        #expect(stats.encoderDrops <= 1)
        let outputs = collector.frames
        let timestamps = [0, 8, 9].map { encodedScene[$0].rtpTimestamp }
        #expect(outputs.map(\.frame.rtpTimestamp) == Array(timestamps.suffix(outputs.count)))
        #expect(outputs.map(\.usedFallback) == Array([false, true, true].suffix(outputs.count)))
        #expect(outputs.allSatisfy { $0.frame.width == 1280 && $0.frame.height == 720 })
        // The fallback pictures decode at full size.
        let decoder = try VideoDecoder(codec: .vp8)
        for output in outputs {
            let pictures = try decoder.decode(output.frame)
            #expect(pictures.count == 1 && pictures.first?.width == 1280)
        }
    }

    @Test func expensiveChainIsSkippedWhenItsRecentRunTimePredictsAMiss() throws {
        let clock = ManualClock()
        let collector = Collector()
        let processor = try GatedProcessor(isExpensive: true)
        let config = VideoPipeline.Configuration(deadline: .milliseconds(100), queueCapacity: 8)
        let pipeline = try VideoPipeline(configuration: config, processor: processor, clock: clock.read,
                                         output: collector.output)
        pipeline.start()
        // Frame 0 takes 80 ms of (manual) processor time.
        pipeline.submit(input(encodedScene[0]))
        processor.entered.wait()
        clock.set(.milliseconds(80))
        processor.gate.signal()
        #expect(pipeline.wait { $0.framesEncoded == 1 })
        // Frame 1 arrives at 50 ms and is taken at 80 ms: 80 + 80 > 150, so it falls back though
        // not yet late. Frame 2 arrives at 80 ms: 160 < 180, processed.
        pipeline.submit(input(encodedScene[1], arrival: .milliseconds(50)))
        #expect(pipeline.wait { $0.framesEncoded == 2 })
        pipeline.submit(input(encodedScene[2], arrival: .milliseconds(80)))
        processor.entered.wait()
        processor.gate.signal()
        pipeline.finish()
        #expect(collector.frames.map(\.usedFallback) == [false, true, false])
        #expect(pipeline.statistics.counters.deadlineFallbacks == 1)
    }

    @Test func stopWithFramesInFlightReturnsAndIsIdempotent() throws {
        let clock = ManualClock()
        let collector = Collector()
        let pipeline = try VideoPipeline(configuration: .init(queueCapacity: 4), processor: BicubicProcessor(),
                                         clock: clock.read, output: collector.output)
        pipeline.start()
        for frame in encodedScene { pipeline.submit(input(frame)) }
        pipeline.stop()
        pipeline.stop()
        pipeline.submit(input(encodedScene[0]))
        let stats = pipeline.statistics.counters
        #expect(stats.stagesExited == 3)
        #expect(stats.framesSubmitted == 61)
        #expect(stats.framesOutput <= 60)
        #expect(collector.frames.count == stats.framesOutput)
        #expect(!pipeline.start())

        // A processor blocked with frames queued behind it: released, then stopped.
        let gated = try GatedProcessor(isExpensive: false)
        let second = try VideoPipeline(configuration: .init(queueCapacity: 4), processor: gated, clock: clock.read,
                                       output: collector.output)
        second.start()
        second.submit(input(encodedScene[0]))
        gated.entered.wait()
        for frame in encodedScene[1..<10] { second.submit(input(frame)) }
        for _ in 0..<100 { gated.gate.signal() }
        second.stop()
        #expect(second.statistics.counters.stagesExited == 3)

        // Never started: `wait` does not block, stop and deinit do nothing.
        let idle = try VideoPipeline(configuration: .init(), processor: BicubicProcessor(), clock: clock.read,
                                     output: collector.output)
        idle.submit(input(encodedScene[0]))
        #expect(!idle.wait { $0.framesOutput > 0 })
        idle.stop()
        #expect(!idle.wait { $0.framesOutput > 0 })
        #expect(idle.statistics.counters.stagesExited == 3)
        #expect(idle.statistics.counters.framesDecoded == 0)
    }

    @Test func corruptFrameIsCountedAndTheStreamResumesAtTheNextKeyframe() throws {
        #expect(encodedScene[30].isKeyframe)
        #expect(!encodedScene[10].isKeyframe)
        let clock = ManualClock()
        let collector = Collector()
        let config = VideoPipeline.Configuration(deadline: nil, queueCapacity: 64)
        let pipeline = try VideoPipeline(configuration: config, processor: BicubicProcessor(), clock: clock.read,
                                         output: collector.output, keyframeRequest: collector.keyframeRequest)
        pipeline.start()
        for (i, frame) in encodedScene.enumerated() {
            var item = input(frame)
            // Frame 10 truncated: its first partition runs past the end.
            if i == 10 { item.bytes = Array(frame.bytes.prefix(12)) }
            pipeline.submit(item)
        }
        pipeline.finish()
        let stats = pipeline.statistics.counters
        #expect(stats.decodeErrors == 1)
        #expect(stats.framesAwaitingKeyframe == 19)
        #expect(stats.framesDecoded == 40)
        #expect(stats.keyframeRequests == 1)
        let requests = collector.requests
        #expect(requests.count == 1)
        if case .decodeError = requests.first {} else { Issue.record("expected a decode-error request, got \(requests)") }
        let expected = Array(0..<10) + Array(30..<60)
        #expect(collector.frames.map(\.frame.rtpTimestamp) == expected.map { encodedScene[$0].rtpTimestamp })
        // The output stream itself never breaks: it decodes from start to end.
        let decoder = try VideoDecoder(codec: .vp8)
        for output in collector.frames { #expect(try decoder.decode(output.frame).count == 1) }
    }

    @Test func streamWithoutKeyframeAsksForOneAndDropsUntilItComes() throws {
        let clock = ManualClock()
        let collector = Collector()
        let pipeline = try VideoPipeline(configuration: .init(deadline: nil, queueCapacity: 64),
                                         processor: BicubicProcessor(), clock: clock.read,
                                         output: collector.output, keyframeRequest: collector.keyframeRequest)
        pipeline.start()
        for frame in encodedScene[1..<35] { pipeline.submit(input(frame)) }
        pipeline.finish()
        let stats = pipeline.statistics.counters
        #expect(stats.framesAwaitingKeyframe == 29)
        #expect(stats.framesDecoded == 5)
        #expect(collector.requests.first == .awaitingFirstKeyframe)
        // Asked once, and again after 30 unanswered frames would be: 29 < 30, so once.
        #expect(stats.keyframeRequests == 1)
    }

    @Test func bitrateAndKeyframesCanBeChangedBetweenFrames() throws {
        let clock = ManualClock()
        let collector = Collector()
        let pipeline = try VideoPipeline(configuration: .init(bitrateKbps: 3000, deadline: nil, queueCapacity: 64),
                                         processor: BicubicProcessor(), clock: clock.read, output: collector.output)
        pipeline.start()
        for (i, frame) in encodedScene.enumerated() {
            if i == 20 { pipeline.requestKeyframe() }
            if i == 30 { pipeline.setBitrate(kbps: 150) }
            pipeline.submit(input(frame))
            #expect(pipeline.wait { $0.framesEncoded == i + 1 })
        }
        pipeline.finish()
        #expect(pipeline.statistics.bitrateKbps == 150)
        let outputs = collector.frames
        #expect(outputs.count == 60)
        #expect(outputs.indices.filter { outputs[$0].frame.isKeyframe } == [0, 20])
        let early = outputs[5..<20].reduce(0) { $0 + $1.frame.bytes.count }
        let late = outputs[45..<60].reduce(0) { $0 + $1.frame.bytes.count }
        #expect(late * 3 < early, "bytes of 15 frames at 3000 kbps: \(early), at 150 kbps: \(late)")
    }
}
