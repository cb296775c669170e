/// Several processors run one after another on each batch (e.g. restoration, then background
/// compositing). Its scale is the product of theirs; each is configured with the size the
/// previous one produces.
public final class ProcessorChain: FrameProcessor {
    public let processors: [any FrameProcessor]

    public init(_ processors: [any FrameProcessor]) {
        self.processors = processors
    }

    public var name: String {
        processors.isEmpty ? "identity" : processors.map(\.name).joined(separator: "+")
    }

    public var scale: Int { processors.reduce(1) { $0 * $1.scale } }

    public var isExpensive: Bool { processors.contains { $0.isExpensive } }

    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        var size = (width: width, height: height)
        for processor in processors { size = processor.outputSize(width: size.width, height: size.height) }
        return size
    }

    public func warmUp(width: Int, height: Int) throws(FrameProcessorError) {
        var size = (width: width, height: height)
        for processor in processors {
            try processor.warmUp(width: size.width, height: size.height)
            size = processor.outputSize(width: size.width, height: size.height)
        }
    }

    public func configure(stream: VideoStreamID, width: Int, height: Int) throws(FrameProcessorError) {
        var size = (width: width, height: height)
        for processor in processors {
            try processor.configure(stream: stream, width: size.width, height: size.height)
            size = processor.outputSize(width: size.width, height: size.height)
        }
    }

    public func process(_ frames: [I420Frame], stream: VideoStreamID) throws(FrameProcessorError) -> [I420Frame] {
        var batch = frames
        for processor in processors {
            let out = try processor.process(batch, stream: stream)
            guard out.count == batch.count else {
                throw .failed("\(processor.name) returned \(out.count) frames for \(batch.count)")
            }
            batch = out
        }
        return batch
    }

    public func remove(stream: VideoStreamID) {
        for processor in processors { processor.remove(stream: stream) }
    }
}
