/// The classic stand-in for a restoration network: each frame enlarged ×`factor` with Keys'
/// bicubic kernel (`BicubicUpscaler`), the result capped at `maxWidth × maxHeight`. When the
/// enlarged size would exceed the cap, the enlarged picture is shrunk to the largest even size of
/// the same aspect ratio that fits, with libyuv's box filter (`I420Frame.scaled`).
///
/// Stateless between frames; `configure` only checks the size and records it.
public final class BicubicProcessor: FrameProcessor {
    public let name = "bicubic"
    public let scale: Int
    public let maxWidth: Int
    public let maxHeight: Int
    public var isExpensive: Bool { false }

    private let upscaler: BicubicUpscaler
    private var streams: [VideoStreamID: (width: Int, height: Int)] = [:]

    /// - Parameters:
    ///   - factor: 1…8.
    ///   - maxWidth, maxHeight: the output cap (the node's default is 1280×720).
    public init(factor: Int = 2, maxWidth: Int = 1280, maxHeight: Int = 720) throws(FrameProcessorError) {
        do {
            upscaler = try BicubicUpscaler(factor: factor)
        } catch {
            throw .scaling(error)
        }
        guard (2...16384).contains(maxWidth), (2...16384).contains(maxHeight) else {
            throw .invalidConfiguration("maximum size \(maxWidth)x\(maxHeight) not in 2…16384")
        }
        self.scale = factor
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
    }

    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        fittedOutputSize(width: width * scale, height: height * scale, maxWidth: maxWidth, maxHeight: maxHeight)
    }

    public func warmUp(width: Int, height: Int) throws(FrameProcessorError) {
        try checkSize(width: width, height: height)
        _ = try run(I420Frame(width: width, height: height))
    }

    public func configure(stream: VideoStreamID, width: Int, height: Int) throws(FrameProcessorError) {
        try checkSize(width: width, height: height)
        streams[stream] = (width, height)
    }

    public func remove(stream: VideoStreamID) {
        streams[stream] = nil
    }

    public func process(_ frames: [I420Frame], stream: VideoStreamID) throws(FrameProcessorError) -> [I420Frame] {
        guard let size = streams[stream] else { throw .streamNotConfigured(stream) }
        var out: [I420Frame] = []
        out.reserveCapacity(frames.count)
        for frame in frames {
            guard frame.width == size.width, frame.height == size.height else {
                throw .unexpectedFrameSize(expectedWidth: size.width, expectedHeight: size.height,
                                           width: frame.width, height: frame.height)
            }
            out.append(try run(frame))
        }
        return out
    }

    private func checkSize(width: Int, height: Int) throws(FrameProcessorError) {
        guard (1...16384).contains(width), (1...16384).contains(height),
              width * scale <= 16384, height * scale <= 16384 else {
            throw .invalidConfiguration("input size \(width)x\(height) ×\(scale) out of range")
        }
    }

    private func run(_ frame: I420Frame) throws(FrameProcessorError) -> I420Frame {
        do {
            let enlarged = try upscaler.upscale(frame)
            let target = outputSize(width: frame.width, height: frame.height)
            if target.width == enlarged.width && target.height == enlarged.height { return enlarged }
            return try enlarged.scaled(width: target.width, height: target.height, filter: .box)
        } catch {
            throw .scaling(error)
        }
    }
}
