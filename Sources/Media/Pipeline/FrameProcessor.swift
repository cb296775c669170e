/// Names one video stream a processor is configured for (a published track: the node uses
/// "room/track" or similar; the pipeline only compares them).
public struct VideoStreamID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public var rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }
}

/// Why a frame processor could not be set up or could not process a batch.
public enum FrameProcessorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `process` was called for a stream that was never configured.
    case streamNotConfigured(VideoStreamID)
    /// A frame's size differs from the size its stream was configured with.
    case unexpectedFrameSize(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// A size or factor the processor cannot work with.
    case invalidConfiguration(String)
    /// Scaling failed underneath.
    case scaling(FrameScaleError)
    /// Anything else, in the processor's own words.
    case failed(String)

    public var description: String {
        switch self {
        case .streamNotConfigured(let id): "stream \(id) is not configured"
        case .unexpectedFrameSize(let ew, let eh, let w, let h): "frame is \(w)x\(h), stream configured for \(ew)x\(eh)"
        case .invalidConfiguration(let text): "invalid processor configuration: \(text)"
        case .scaling(let error): "scaling failed: \(error)"
        case .failed(let text): text
        }
    }
}

/// One step of the processing path between decoder and encoder: an upscaler, a restoration
/// network, a background compositor.
///
/// Life cycle, in the spirit of a model server: create (load weights), `warmUp` once with a
/// typical size (allocate, JIT, first slow run off the real-time path), `configure` once per
/// stream and again whenever that stream's input size changes, then `process` batches of
/// frames of that stream. A processor is used from one thread at a time (the pipeline's
/// processor thread) and may keep per-stream state (temporal context) between calls.
public protocol FrameProcessor: AnyObject {
    /// A short name for logs and metrics ("bicubic", "restore-v1").
    var name: String { get }
    /// Output size = input size × `scale` (before any cap `outputSize` applies).
    var scale: Int { get }
    /// A cost hint: true for work that can take longer than a frame interval on a loaded
    /// machine (a network). The pipeline skips an expensive chain for a frame as soon as its
    /// recent run time predicts a missed deadline; a cheap one only once the frame is already late.
    var isExpensive: Bool { get }
    /// Prepares for frames of about this size (may run the processor once on a dummy frame).
    func warmUp(width: Int, height: Int) throws(FrameProcessorError)
    /// Sets up (or resets) the state for `stream`, whose frames will be `width × height`.
    func configure(stream: VideoStreamID, width: Int, height: Int) throws(FrameProcessorError)
    /// Processes frames of `stream` in presentation order; returns one output per input, in order,
    /// each `outputSize(width:height:)` large and carrying its input's timestamp.
    func process(_ frames: [I420Frame], stream: VideoStreamID) throws(FrameProcessorError) -> [I420Frame]
    /// The size `process` returns for an input of `width × height`.
    func outputSize(width: Int, height: Int) -> (width: Int, height: Int)
    /// Forgets the state kept for `stream` (the stream ended).
    func remove(stream: VideoStreamID)
}

extension FrameProcessor {
    public var isExpensive: Bool { false }

    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        (width * scale, height * scale)
    }

    public func warmUp(width: Int, height: Int) throws(FrameProcessorError) {}

    public func remove(stream: VideoStreamID) {}
}

/// The largest size with the aspect ratio of `width × height` that fits in `maxWidth × maxHeight`,
/// with even sides (4:2:0 chroma and encoders prefer them); the size itself when it fits.
public func fittedOutputSize(width: Int, height: Int, maxWidth: Int, maxHeight: Int) -> (width: Int, height: Int) {
    guard width > 0, height > 0, maxWidth > 0, maxHeight > 0 else { return (max(width, 0), max(height, 0)) }
    if width <= maxWidth && height <= maxHeight { return (width, height) }
    // Scale by the tighter of the two ratios, in integers: w' = w·k, h' = h·k with k = min(mw/w, mh/h).
    var w: Int, h: Int
    if maxWidth * height <= maxHeight * width {
        w = maxWidth
        h = (height * maxWidth) / width
    } else {
        h = maxHeight
        w = (width * maxHeight) / height
    }
    w = max(2, w & ~1)
    h = max(2, h & ~1)
    return (min(w, maxWidth), min(h, maxHeight))
}
