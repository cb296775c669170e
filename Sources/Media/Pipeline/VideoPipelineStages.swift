import SansIO

// The three stage objects of `VideoPipeline`. Each is `@unchecked Sendable` for the same reason:
// its mutable state (codec context, processor, flags) is created on the thread that calls
// `VideoPipeline.init`, handed to exactly one stage thread by `pthread_create` (which orders
// the two), touched only by that thread until `pthread_join` returns, and only then (if ever)
// again by the joining thread. Everything shared between threads goes through `StageQueue` and
// `ConditionLock`, which lock.

/// Decoder thread: compressed frames → pictures, skipping to a keyframe after any break.
final class DecodeStage: @unchecked Sendable {
    let input: StageQueue<Stamped<VideoPipeline.Input>>
    let output: StageQueue<Stamped<I420Frame>>
    private let decoder: VideoDecoder
    private let stats: ConditionLock<VideoPipelineRecord>
    private let clock: VideoPipeline.Clock
    private let keyframeRequest: @Sendable (VideoPipeline.KeyframeReason) -> Void
    /// Skipped frames after which an unanswered keyframe request is repeated.
    static let repeatRequestAfter = 30

    private var awaitingKeyframe = true
    private var lastReason = VideoPipeline.KeyframeReason.awaitingFirstKeyframe
    private var requested = false
    private var skippedSinceRequest = 0
    private var seenInputDrops = 0

    init(decoder: VideoDecoder, input: StageQueue<Stamped<VideoPipeline.Input>>,
         output: StageQueue<Stamped<I420Frame>>, stats: ConditionLock<VideoPipelineRecord>,
         clock: @escaping VideoPipeline.Clock,
         keyframeRequest: @escaping @Sendable (VideoPipeline.KeyframeReason) -> Void) {
        self.decoder = decoder
        self.input = input
        self.output = output
        self.stats = stats
        self.clock = clock
        self.keyframeRequest = keyframeRequest
    }

    func run() {
        defer { output.close() }
        while let batch = input.pop() {
            for item in batch { handle(item) }
        }
    }

    private func handle(_ item: Stamped<VideoPipeline.Input>) {
        // An eviction since the last frame removed a frame just before this one.
        let drops = input.dropped
        if drops != seenInputDrops {
            seenInputDrops = drops
            if !awaitingKeyframe && !item.value.isKeyframe { breakChain(.inputDropped) }
        }
        if awaitingKeyframe && !item.value.isKeyframe {
            skippedSinceRequest += 1
            stats.update { $0.counters.framesAwaitingKeyframe += 1 }
            if !requested || skippedSinceRequest >= Self.repeatRequestAfter { ask(lastReason) }
            return
        }
        let started = clock()
        do {
            let frames = try decoder.decode(item.value.bytes, timestamp: item.value.timestamp)
            awaitingKeyframe = false
            requested = false
            let end = clock()
            var evicted = 0
            for frame in frames where output.push(Stamped(value: frame, arrival: item.arrival, enqueued: end)) {
                evicted += 1
            }
            stats.update { record in
                record.counters.framesDecoded += frames.count
                record.counters.processorDrops += evicted
                record.decode.record(end - item.enqueued)
                record.decodeWork.record(end - started)
            }
        } catch {
            stats.update { $0.counters.decodeErrors += 1 }
            breakChain(.decodeError(error))
        }
    }

    private func breakChain(_ reason: VideoPipeline.KeyframeReason) {
        awaitingKeyframe = true
        lastReason = reason
        ask(reason)
    }

    private func ask(_ reason: VideoPipeline.KeyframeReason) {
        requested = true
        skippedSinceRequest = 0
        stats.update { $0.counters.keyframeRequests += 1 }
        keyframeRequest(reason)
    }
}

/// Processor thread: pictures → processed pictures, or the cheap path when late.
final class ProcessStage: @unchecked Sendable {
    let input: StageQueue<Stamped<I420Frame>>
    let output: StageQueue<Stamped<ProcessedPicture>>
    private let processor: any FrameProcessor
    private let stream: VideoStreamID
    private let deadline: Duration?
    private let batchSize: Int
    private let fallbackFilter: ScaleFilter
    private let stats: ConditionLock<VideoPipelineRecord>
    private let clock: VideoPipeline.Clock

    private var configuredSize: (width: Int, height: Int)?
    /// Recent processor time per frame (µs), exponentially weighted; nil before the first run.
    private var averageMicros: Double?

    init(configuration: VideoPipeline.Configuration, processor: any FrameProcessor,
         input: StageQueue<Stamped<I420Frame>>, output: StageQueue<Stamped<ProcessedPicture>>,
         stats: ConditionLock<VideoPipelineRecord>, clock: @escaping VideoPipeline.Clock) {
        self.processor = processor
        self.stream = configuration.stream
        self.deadline = configuration.deadline
        self.batchSize = max(1, configuration.batchSize)
        self.fallbackFilter = configuration.fallbackFilter
        self.input = input
        self.output = output
        self.stats = stats
        self.clock = clock
    }

    func warmUp(width: Int, height: Int) throws(FrameProcessorError) {
        try processor.warmUp(width: width, height: height)
    }

    func run() {
        defer {
            output.close()
            processor.remove(stream: stream)
        }
        while let batch = input.pop(maxCount: batchSize) {
            // Runs of one size: a size change reconfigures the processor between them.
            var start = 0
            while start < batch.count {
                let first = batch[start].value
                var end = start + 1
                while end < batch.count, batch[end].value.width == first.width,
                      batch[end].value.height == first.height { end += 1 }
                handle(batch[start..<end], width: first.width, height: first.height)
                start = end
            }
        }
    }

    private func handle(_ items: ArraySlice<Stamped<I420Frame>>, width: Int, height: Int) {
        let started = clock()
        var errors = 0
        if configuredSize.map({ $0.width != width || $0.height != height }) ?? true {
            do {
                try processor.configure(stream: stream, width: width, height: height)
                configuredSize = (width, height)
            } catch {
                configuredSize = nil
                errors += 1
            }
        }
        let target = processor.outputSize(width: width, height: height)
        let now = clock()
        var results: [(index: Int, frame: I420Frame?, fallback: Bool)] = []
        var onTime: [Int] = []
        var lateCount = 0
        for index in items.indices {
            if configuredSize == nil || isLate(items[index], now: now) {
                lateCount += configuredSize == nil ? 0 : 1
                results.append((index, nil, true))
            } else {
                onTime.append(index)
            }
        }
        if !onTime.isEmpty {
            let runStarted = clock()
            do {
                let frames = try processor.process(onTime.map { items[$0].value }, stream: stream)
                guard frames.count == onTime.count else {
                    throw FrameProcessorError.failed("\(processor.name) returned \(frames.count) frames for \(onTime.count)")
                }
                let perFrame = Double((clock() - runStarted).microseconds) / Double(onTime.count)
                averageMicros = averageMicros.map { 0.8 * $0 + 0.2 * perFrame } ?? perFrame
                for (index, frame) in zip(onTime, frames) { results.append((index, frame, false)) }
            } catch {
                errors += 1
                configuredSize = nil  // reconfigure before the next try
                for index in onTime { results.append((index, nil, true)) }
            }
        }
        results.sort { $0.index < $1.index }
        var ready: [(item: Stamped<I420Frame>, picture: ProcessedPicture)] = []
        var processed = 0, lost = 0
        for result in results {
            let item = items[result.index]
            var picture = result.frame
            if picture == nil || picture.map({ $0.width != target.width || $0.height != target.height }) == true {
                // The cheap path, or a processor that returned the wrong size: scale to the target.
                picture = try? (picture ?? item.value).scaled(width: target.width, height: target.height,
                                                              filter: fallbackFilter)
            }
            guard let picture else {
                lost += 1
                continue
            }
            if !result.fallback { processed += 1 }
            ready.append((item, ProcessedPicture(frame: picture, usedFallback: result.fallback)))
        }
        // Timed before handing on: on one core the encoder thread, woken by the push, may run
        // before this one resumes.
        let end = clock()
        let work = (end - started) / max(1, items.count)
        var evicted = 0
        for (item, picture) in ready where output.push(Stamped(value: picture, arrival: item.arrival, enqueued: end)) {
            evicted += 1
        }
        let latencies = ready.map { end - $0.item.enqueued }
        stats.update { record in
            for _ in items { record.processWork.record(work) }
            record.counters.framesProcessed += processed
            record.counters.deadlineFallbacks += lateCount
            record.counters.processorErrors += errors + lost
            record.counters.encoderDrops += evicted
            for latency in latencies { record.process.record(latency) }
        }
    }

    /// Already past its deadline, or (expensive chain) predicted to finish past it.
    private func isLate(_ item: Stamped<I420Frame>, now: Instant) -> Bool {
        guard let deadline else { return false }
        let due = item.arrival + deadline
        if now >= due { return true }
        guard processor.isExpensive, let averageMicros else { return false }
        return now + .microseconds(Int64(averageMicros)) > due
    }
}

/// Encoder thread: pictures → compressed frames (and RTP payloads) → the output callback.
final class EncodeStage: @unchecked Sendable {
    let input: StageQueue<Stamped<ProcessedPicture>>
    private let controls: ConditionLock<EncoderControls>
    private let stats: ConditionLock<VideoPipelineRecord>
    private let clock: VideoPipeline.Clock
    private let output: @Sendable (VideoPipeline.Output) -> Void
    private let codec: VideoCodec
    private let fps: Int
    private let keyframeInterval: Int
    private let threads: Int
    private let packetizes: Bool

    private var encoder: VideoEncoder?
    private var vp8: VP8Packetizer
    private var vp9: VP9Packetizer

    init(configuration: VideoPipeline.Configuration, input: StageQueue<Stamped<ProcessedPicture>>,
         controls: ConditionLock<EncoderControls>, stats: ConditionLock<VideoPipelineRecord>,
         clock: @escaping VideoPipeline.Clock, output: @escaping @Sendable (VideoPipeline.Output) -> Void) {
        self.input = input
        self.controls = controls
        self.stats = stats
        self.clock = clock
        self.output = output
        self.codec = configuration.outputCodec
        self.fps = configuration.fps
        self.keyframeInterval = configuration.keyframeInterval
        self.threads = configuration.encoderThreads
        self.packetizes = configuration.maxPayloadSize != nil
        let size = min(max(configuration.maxPayloadSize ?? 1200, 64), 65_000)
        vp8 = VP8Packetizer(maxPayloadSize: size)
        vp9 = VP9Packetizer(maxPayloadSize: size)
    }

    func run() {
        while let batch = input.pop() {
            for item in batch { handle(item) }
        }
    }

    private func handle(_ item: Stamped<ProcessedPicture>) {
        let (bitrate, keyframe) = controls.update { controls in
            defer { controls.keyframeRequested = false }
            return (controls.bitrateKbps, controls.keyframeRequested)
        }
        let frame = item.value.frame
        let encoded: [EncodedFrame]
        let started = clock()
        do {
            let encoder = try prepareEncoder(width: frame.width, height: frame.height, bitrateKbps: bitrate)
            encoded = try encoder.encode(frame, forceKeyframe: keyframe)
        } catch {
            // Start over with a fresh encoder (its first frame is a keyframe).
            encoder = nil
            stats.update { $0.counters.encodeErrors += 1 }
            return
        }
        let end = clock()
        for frame in encoded {
            output(VideoPipeline.Output(frame: frame, payloads: packetize(frame), arrival: item.arrival,
                                        usedFallback: item.value.usedFallback))
        }
        stats.update { record in
            record.counters.framesEncoded += 1
            record.counters.framesOutput += encoded.count
            record.counters.keyframesOutput += encoded.filter(\.isKeyframe).count
            record.counters.bytesOutput += encoded.reduce(0) { $0 + $1.bytes.count }
            record.encode.record(end - item.enqueued)
            record.encodeWork.record(end - started)
            if !encoded.isEmpty { record.total.record(end - item.arrival) }
        }
    }

    private func prepareEncoder(width: Int, height: Int, bitrateKbps: Int) throws(VideoCodecError) -> VideoEncoder {
        guard let encoder else {
            let fresh = try VideoEncoder(codec: codec, width: width, height: height, fps: fps,
                                         bitrateKbps: bitrateKbps, keyframeInterval: keyframeInterval,
                                         threads: threads)
            self.encoder = fresh
            return fresh
        }
        if encoder.width != width || encoder.height != height {
            try encoder.reconfigure(width: width, height: height)
        }
        if encoder.bitrateKbps != bitrateKbps {
            try encoder.setBitrate(kbps: bitrateKbps)
        }
        return encoder
    }

    private func packetize(_ frame: EncodedFrame) -> [VideoRTPPayload] {
        guard packetizes else { return [] }
        switch frame.codec {
        case .vp8: return vp8.packetize(frame.bytes)
        case .vp9: return vp9.packetize(frame.bytes, isKeyframe: frame.isKeyframe, width: frame.width, height: frame.height)
        }
    }
}
