public import SansIO

/// The processing path of one published video stream: decode → processors → encode, each stage
/// on its own thread, joined by bounded drop-oldest queues, so that a slow stage sheds frames
/// instead of building up latency and never blocks the caller (the node's event loop).
///
/// - `submit` never blocks: when the input queue is full the oldest compressed frame is
///   evicted, which breaks the reference chain, so the decoder skips to the next keyframe and
///   the pipeline asks for one (`keyframeRequest`). Decode errors do the same.
/// - Each frame has a deadline, `configuration.deadline` after its arrival. At the processor
///   stage a frame that is already late, or (for an expensive chain) that the chain's recent
///   run time says would be, takes the cheap path instead: a libyuv bilinear scale to the
///   chain's output size. Both are counted.
/// - The encoder's bitrate (`setBitrate`) and keyframes (`requestKeyframe`) can be changed from
///   any thread at any time; the encoder thread applies them before its next frame.
/// - Resolution changes: the processors are reconfigured and the encoder resized when a
///   decoded picture's size changes.
///
/// NOT sans-IO: it runs threads (see StageThread.swift). It reads no clock itself: `clock` is
/// injected (the server passes a monotonic clock, tests a manual one), so deadlines and
/// latencies are testable without waiting.
///
/// Callbacks run on the pipeline's threads: `output` on the encoder thread (in order),
/// `keyframeRequest` on the decoder thread. They must not call `stop` or `finish`.
///
/// `start`, `stop` and `finish` belong to the owner: call them from one thread at a time (and
/// never from a callback or a pipeline thread, which they would join). Everything else may be
/// called from any thread.
///
/// `@unchecked Sendable`: its mutable state is the three queues and three `ConditionLock`s (each
/// guarded by its own mutex), and `threads`, which only `start`, `stop` and `finish` touch (one
/// thread at a time, as above). The processor, decoder and encoder belong to the stage objects,
/// each used only by its own thread between `start` and the join in `stop`/`finish`.
public final class VideoPipeline: @unchecked Sendable {
    public typealias Clock = @Sendable () -> Instant

    public struct Configuration: Sendable, Hashable {
        /// The stream the processors are configured for.
        public var stream: VideoStreamID
        public var inputCodec: VideoCodec
        public var outputCodec: VideoCodec
        /// The encoder's initial target (1…100000 kbps).
        public var bitrateKbps: Int
        /// The nominal output frame rate (1…240) the encoder's rate control assumes.
        public var fps: Int
        /// Largest distance between automatic keyframes of the output, in frames (0: only on request).
        public var keyframeInterval: Int
        /// Time from a frame's arrival by which it should leave the processor stage; nil: none.
        public var deadline: Duration?
        /// Capacity of each of the three queues (input, processor, encoder).
        public var queueCapacity: Int
        /// Most frames handed to the processor chain in one `process` call.
        public var batchSize: Int
        public var decoderThreads: Int
        public var encoderThreads: Int
        /// Filter of the cheap path.
        public var fallbackFilter: ScaleFilter
        /// When set, each output also carries its RTP payloads, packetized to this size.
        public var maxPayloadSize: Int?
        /// How many recent frames the latency percentiles cover.
        public var latencySamples: Int

        public init(stream: VideoStreamID = "stream", inputCodec: VideoCodec = .vp8, outputCodec: VideoCodec = .vp8,
                    bitrateKbps: Int = 1500, fps: Int = 30, keyframeInterval: Int = 3000,
                    deadline: Duration? = .milliseconds(100), queueCapacity: Int = 4, batchSize: Int = 1,
                    decoderThreads: Int = 1, encoderThreads: Int = 1, fallbackFilter: ScaleFilter = .bilinear,
                    maxPayloadSize: Int? = 1200, latencySamples: Int = 512) {
            self.stream = stream
            self.inputCodec = inputCodec
            self.outputCodec = outputCodec
            self.bitrateKbps = bitrateKbps
            self.fps = fps
            self.keyframeInterval = keyframeInterval
            self.deadline = deadline
            self.queueCapacity = queueCapacity
            self.batchSize = batchSize
            self.decoderThreads = decoderThreads
            self.encoderThreads = encoderThreads
            self.fallbackFilter = fallbackFilter
            self.maxPayloadSize = maxPayloadSize
            self.latencySamples = latencySamples
        }
    }

    /// One compressed input frame.
    public struct Input: Sendable, Hashable {
        public var bytes: [UInt8]
        /// 90 kHz RTP timestamp; carried to the output.
        public var timestamp: UInt32
        public var isKeyframe: Bool
        /// When it arrived on the pipeline's clock: the deadline and `total` latency count from here.
        public var arrival: Instant

        public init(bytes: [UInt8], timestamp: UInt32, isKeyframe: Bool, arrival: Instant) {
            self.bytes = bytes
            self.timestamp = timestamp
            self.isKeyframe = isKeyframe
            self.arrival = arrival
        }
    }

    /// One compressed output frame.
    public struct Output: Sendable, Hashable {
        /// Ready for `VP8Packetizer.packets(for:…)` / `VP9Packetizer.packets(for:…)`.
        public var frame: EncodedFrame
        /// Its RTP payloads (empty unless `maxPayloadSize` is set), picture IDs continuing
        /// across the pipeline's outputs.
        public var payloads: [VideoRTPPayload]
        /// The input's arrival.
        public var arrival: Instant
        /// The picture took the cheap path.
        public var usedFallback: Bool
    }

    /// Why the pipeline asks for a keyframe.
    public enum KeyframeReason: Sendable, Hashable {
        /// The stream did not start with one.
        case awaitingFirstKeyframe
        /// A compressed frame was evicted from the full input queue.
        case inputDropped
        /// The decoder rejected a frame.
        case decodeError(VideoCodecError)
    }

    public let configuration: Configuration
    private let clock: Clock
    private let inputQueue: StageQueue<Stamped<Input>>
    private let stats: ConditionLock<VideoPipelineRecord>
    private let controls: ConditionLock<EncoderControls>
    private let lifecycle = ConditionLock(Lifecycle.created)
    private let decodeStage: DecodeStage
    private let processStage: ProcessStage
    private let encodeStage: EncodeStage
    private var threads: [StageThread] = []

    enum Lifecycle: Sendable { case created, running, stopped }

    /// Creates a pipeline (no threads yet: `start` them).
    /// - Parameters:
    ///   - processor: used only by the pipeline's processor thread from `start` until
    ///     `stop`/`finish` return; give each pipeline its own.
    ///   - output: each compressed output frame, on the encoder thread.
    ///   - keyframeRequest: ask the publisher for a keyframe (send a PLI), on the decoder thread.
    public init(configuration: Configuration, processor: any FrameProcessor, clock: @escaping Clock,
                output: @escaping @Sendable (Output) -> Void,
                keyframeRequest: @escaping @Sendable (KeyframeReason) -> Void = { _ in }) throws(VideoCodecError) {
        guard (1...100_000).contains(configuration.bitrateKbps) else {
            throw .invalidConfiguration("bitrate \(configuration.bitrateKbps) kbps not in 1...100000")
        }
        guard (1...240).contains(configuration.fps) else {
            throw .invalidConfiguration("fps \(configuration.fps) not in 1...240")
        }
        self.configuration = configuration
        self.clock = clock
        let capacity = max(1, configuration.queueCapacity)
        inputQueue = StageQueue(capacity: capacity)
        let processQueue = StageQueue<Stamped<I420Frame>>(capacity: capacity)
        let encodeQueue = StageQueue<Stamped<ProcessedPicture>>(capacity: capacity)
        stats = ConditionLock(VideoPipelineRecord(samples: max(1, configuration.latencySamples)))
        controls = ConditionLock(EncoderControls(bitrateKbps: configuration.bitrateKbps))
        let decoder = try VideoDecoder(codec: configuration.inputCodec, threads: configuration.decoderThreads)
        decodeStage = DecodeStage(decoder: decoder, input: inputQueue, output: processQueue, stats: stats,
                                  clock: clock, keyframeRequest: keyframeRequest)
        processStage = ProcessStage(configuration: configuration, processor: processor, input: processQueue,
                                    output: encodeQueue, stats: stats, clock: clock)
        encodeStage = EncodeStage(configuration: configuration, input: encodeQueue, controls: controls,
                                  stats: stats, clock: clock, output: output)
    }

    deinit {
        stop()
    }

    /// Runs `processor.warmUp` for inputs of this size, on the caller's thread. Call before `start`.
    public func warmUp(width: Int, height: Int) throws(FrameProcessorError) {
        guard lifecycle.read({ $0 == .created }) else { return }
        try processStage.warmUp(width: width, height: height)
    }

    /// Starts the three threads. Returns false when the system would not create them (the
    /// pipeline is then stopped).
    @discardableResult
    public func start() -> Bool {
        let starting: Bool = lifecycle.update { state in
            guard state == .created else { return false }
            state = .running
            return true
        }
        guard starting else { return false }
        let stats = self.stats
        let decode = decodeStage, process = processStage, encode = encodeStage
        let bodies: [@Sendable () -> Void] = [
            { decode.run(); stats.update { $0.counters.stagesExited += 1 } },
            { process.run(); stats.update { $0.counters.stagesExited += 1 } },
            { encode.run(); stats.update { $0.counters.stagesExited += 1 } },
        ]
        var started: [StageThread] = []
        for body in bodies {
            guard let thread = StageThread(body) else {
                threads = started
                stop()
                let missing = bodies.count - started.count
                stats.update { $0.counters.stagesExited += missing }
                return false
            }
            started.append(thread)
        }
        threads = started
        return true
    }

    /// Queues a compressed frame; never blocks. Frames submitted before `start` wait in the
    /// queue (subject to its bound); after `stop`/`finish` they are ignored.
    public func submit(_ input: Input) {
        let evicted = inputQueue.push(Stamped(value: input, arrival: input.arrival, enqueued: clock()))
        stats.update { record in
            record.counters.framesSubmitted += 1
            if evicted { record.counters.inputDrops += 1 }
        }
    }

    /// Queues a frame from the assembler, arriving now on the pipeline's clock.
    public func submit(_ frame: AssembledVideoFrame) {
        submit(Input(bytes: frame.bytes, timestamp: frame.timestamp, isKeyframe: frame.isKeyframe, arrival: clock()))
    }

    /// Changes the encoder's target (clamped to 1…100000 kbps) from its next frame on.
    public func setBitrate(kbps: Int) {
        let value = min(max(kbps, 1), 100_000)
        controls.update { $0.bitrateKbps = value }
    }

    /// Makes the encoder's next frame a keyframe.
    public func requestKeyframe() {
        controls.update { $0.keyframeRequested = true }
    }

    /// A snapshot of the counters and latency percentiles.
    public var statistics: VideoPipelineStatistics {
        let bitrate = controls.read { $0.bitrateKbps }
        return stats.read { record in
            VideoPipelineStatistics(counters: record.counters, decode: record.decode.summary,
                                    process: record.process.summary, encode: record.encode.summary,
                                    total: record.total.summary, decodeWork: record.decodeWork.summary,
                                    processWork: record.processWork.summary, encodeWork: record.encodeWork.summary,
                                    bitrateKbps: bitrate)
        }
    }

    /// Blocks until `condition` holds for the counters (true) or every stage thread has exited
    /// without it holding (false); before `start` it only checks. For tests and benchmarks;
    /// never call it from a callback.
    @discardableResult
    public func wait(until condition: (VideoPipelineCounters) -> Bool) -> Bool {
        if lifecycle.read({ $0 == .created }) { return stats.read { condition($0.counters) } }
        return stats.wait { record -> Bool? in
            if condition(record.counters) { return true }
            return record.counters.stagesExited >= 3 ? false : nil
        }
    }

    /// Stops at once: frames still queued are discarded, each thread finishes the frame it holds,
    /// and all are joined. Idempotent. A processor call that never returns blocks it.
    public func stop() {
        shutDown(discarding: true)
    }

    /// Lets every frame already submitted go through (minus what the queues drop), then stops.
    public func finish() {
        shutDown(discarding: false)
    }

    private func shutDown(discarding: Bool) {
        let wasRunning: Bool = lifecycle.update { state in
            defer { state = .stopped }
            return state == .running
        }
        // Closing the input lets the decoder drain it and then close its output, and so on down
        // the line; stopping also empties the queues behind it now.
        inputQueue.close(discardingPending: discarding)
        if discarding {
            decodeStage.output.close(discardingPending: true)
            processStage.output.close(discardingPending: true)
        }
        if wasRunning {
            for thread in threads { thread.join() }
        } else {
            // Never started: no thread will report, so `wait` must not wait for one.
            stats.update { $0.counters.stagesExited = 3 }
        }
        threads = []
    }
}

/// A queued item with when it arrived at the pipeline and when it entered this queue.
struct Stamped<Value: Sendable>: Sendable {
    var value: Value
    var arrival: Instant
    var enqueued: Instant
}

/// A picture ready for the encoder.
struct ProcessedPicture: Sendable {
    var frame: I420Frame
    var usedFallback: Bool
}

/// What other threads ask of the encoder thread.
struct EncoderControls: Sendable {
    var bitrateKbps: Int
    var keyframeRequested = false
}
