/// Event counts of a `VideoPipeline` since it was created.
public struct VideoPipelineCounters: Sendable, Hashable {
    /// Compressed frames handed to `submit`.
    public var framesSubmitted = 0
    /// Compressed frames evicted from the full input queue (each breaks the reference chain:
    /// the decoder then waits for a keyframe).
    public var inputDrops = 0
    /// Pictures the decoder produced.
    public var framesDecoded = 0
    /// Frames libvpx rejected (corrupt, truncated); the decoder then waits for a keyframe.
    public var decodeErrors = 0
    /// Frames not decoded because the decoder was waiting for a keyframe.
    public var framesAwaitingKeyframe = 0
    /// Times the pipeline asked for a keyframe (its `keyframeRequest` callback).
    public var keyframeRequests = 0
    /// Decoded pictures evicted from the full processor queue.
    public var processorDrops = 0
    /// Pictures run through the processor chain.
    public var framesProcessed = 0
    /// Pictures that took the cheap path (libyuv scale) because of the deadline.
    public var deadlineFallbacks = 0
    /// Processor failures (the batch then took the cheap path).
    public var processorErrors = 0
    /// Processed pictures evicted from the full encoder queue.
    public var encoderDrops = 0
    /// Pictures given to the encoder.
    public var framesEncoded = 0
    /// Encoder failures (picture lost).
    public var encodeErrors = 0
    /// Compressed frames delivered through the `output` callback.
    public var framesOutput = 0
    /// Keyframes among them.
    public var keyframesOutput = 0
    /// Bytes of compressed output.
    public var bytesOutput = 0
    /// The stage threads that have returned (3 once the pipeline has stopped or finished, and
    /// when it was stopped without being started).
    public var stagesExited = 0

    public init() {}
}

/// Counters plus per-stage latency percentiles over the most recent frames.
///
/// A stage's latency runs from when a frame entered that stage's input queue to when the stage
/// handed its result on, so it includes the wait in the queue; `total` runs from the frame's
/// arrival (as given to `submit`) to its output callback. The `…Work` summaries time the
/// stage's own work per frame (decode call, processor or cheap path, encode call), without queues.
public struct VideoPipelineStatistics: Sendable, Hashable {
    public var counters: VideoPipelineCounters
    public var decode: LatencySummary
    public var process: LatencySummary
    public var encode: LatencySummary
    public var total: LatencySummary
    public var decodeWork: LatencySummary
    public var processWork: LatencySummary
    public var encodeWork: LatencySummary
    /// The encoder's target now.
    public var bitrateKbps: Int
}

/// What the stage threads record, under the pipeline's statistics lock.
struct VideoPipelineRecord: Sendable {
    var counters = VideoPipelineCounters()
    var decode: LatencySamples
    var process: LatencySamples
    var encode: LatencySamples
    var total: LatencySamples
    var decodeWork: LatencySamples
    var processWork: LatencySamples
    var encodeWork: LatencySamples

    init(samples: Int) {
        decode = LatencySamples(capacity: samples)
        process = LatencySamples(capacity: samples)
        encode = LatencySamples(capacity: samples)
        total = LatencySamples(capacity: samples)
        decodeWork = LatencySamples(capacity: samples)
        processWork = LatencySamples(capacity: samples)
        encodeWork = LatencySamples(capacity: samples)
    }
}
