public import Inference
public import Media
public import SansIO

/// Repair + super-resolution with a `loupe-restoration/1` network (docs/model-format.md), as a
/// step of the video pipeline.
///
/// Luma goes through the network (oneDNN, `CompiledNetwork`) plus the model's skip — for
/// `"bicubic"`, the 8-bit output of `BicubicUpscaler` / 255 — clamped to [0, 1], × 255,
/// rounded half up. Chroma is `BicubicUpscaler`'s. Frames are cut into tiles
/// (`TiledRestoration`) so that unchanged tiles keep their previous network output
/// (temporal tile reuse) and, with a frame budget, tiles that would make the frame late are
/// left to bicubic. Models with `prev_lr` / `prev_out` inputs get them per stream, reset by
/// `configure`. Outputs above `maxWidth × maxHeight` are shrunk as `BicubicProcessor` does.
///
/// Used from one thread at a time, like every `FrameProcessor`.
public final class RestorationProcessor: FrameProcessor {
    /// The clock for the frame budget (the server passes a monotonic clock, tests a manual one).
    public typealias Clock = @Sendable () -> Instant

    public let name: String
    public let scale: Int
    public var isExpensive: Bool { true }
    public let model: ModelFile
    public let configuration: RestorationConfiguration
    /// Counters over all streams since creation.
    public private(set) var totals = RestorationCounters()

    private let clock: Clock?
    private let upscaler: BicubicUpscaler
    private var networks: [NetworkSize: CompiledNetwork] = [:]
    private var streams: [VideoStreamID: StreamState] = [:]

    private struct NetworkSize: Hashable {
        var width: Int
        var height: Int
    }

    private struct StreamState {
        var width: Int
        var height: Int
        /// nil when the model cannot take this size (not a multiple of its alignment).
        var restoration: TiledRestoration?
        var counters = RestorationCounters()
        /// The last frame's RTP timestamp and the recent steps between frames (90 kHz ticks).
        var lastTimestamp: UInt32?
        var steps: [UInt32] = []

        /// Records `timestamp`; returns the frame interval in µs (the smallest recent step), if known.
        mutating func interval(after timestamp: UInt32) -> Int64? {
            if let last = lastTimestamp {
                let step = timestamp &- last
                // 0: the same picture again; over a second (or backwards, wrapping): not an interval
                if step > 0 && step <= 90_000 {
                    if steps.count == RestorationConfiguration.intervalWindow { steps.removeFirst() }
                    steps.append(step)
                }
            }
            lastTimestamp = timestamp
            return steps.min().map { Int64($0) * 100 / 9 }
        }
    }

    /// - Parameters:
    ///   - model: a validated model (`ModelFile(contentsOfFile:)`, or `RestorationProcessor.defaultModel()`).
    ///   - clock: needed only for `configuration.frameBudget` / `frameBudgetShare`.
    public init(model: ModelFile, configuration: RestorationConfiguration = RestorationConfiguration(),
                clock: Clock? = nil) throws(FrameProcessorError) {
        guard (1...256).contains(configuration.threads) else {
            throw .invalidConfiguration("threads \(configuration.threads) not in 1…256")
        }
        if let share = configuration.frameBudgetShare, !(share > 0 && share <= 1) {
            throw .invalidConfiguration("frame budget share \(share) not in (0, 1]")
        }
        guard configuration.tileWidth > 0, configuration.tileHeight > 0 else {
            throw .invalidConfiguration("tile size \(configuration.tileWidth)x\(configuration.tileHeight)")
        }
        guard (2...16384).contains(configuration.maxWidth), (2...16384).contains(configuration.maxHeight) else {
            throw .invalidConfiguration("maximum size \(configuration.maxWidth)x\(configuration.maxHeight) not in 2…16384")
        }
        do {
            upscaler = try BicubicUpscaler(factor: model.graph.scale)
        } catch {
            throw .scaling(error)
        }
        self.model = model
        self.configuration = configuration
        self.clock = clock
        scale = model.graph.scale
        name = model.metadata["name"] ?? "restore-x\(model.graph.scale)"
    }

    /// A processor running the default model (`defaultModel()`).
    public convenience init(configuration: RestorationConfiguration = RestorationConfiguration(),
                            clock: Clock? = nil) throws(FrameProcessorError) {
        let model: ModelFile
        do { model = try RestorationProcessor.defaultModel() } catch { throw .failed(error.description) }
        try self.init(model: model, configuration: configuration, clock: clock)
    }

    public func outputSize(width: Int, height: Int) -> (width: Int, height: Int) {
        fittedOutputSize(width: width * scale, height: height * scale,
                         maxWidth: configuration.maxWidth, maxHeight: configuration.maxHeight)
    }

    /// Counters of one stream since its last `configure`.
    public func counters(for stream: VideoStreamID) -> RestorationCounters? { streams[stream]?.counters }

    public func warmUp(width: Int, height: Int) throws(FrameProcessorError) {
        try checkSize(width: width, height: height)
        guard let restoration = try makeRestoration(width: width, height: height) else { return }
        let gray = [UInt8](repeating: 128, count: width * height)
        let skip = [UInt8](repeating: 128, count: width * height * scale * scale)
        do {
            _ = try restoration.update(luma: gray, stride: width, skip: skip, start: nil, clock: nil)
        } catch {
            throw .failed("restoration network: \(error)")
        }
    }

    public func configure(stream: VideoStreamID, width: Int, height: Int) throws(FrameProcessorError) {
        try checkSize(width: width, height: height)
        streams[stream] = StreamState(width: width, height: height,
                                      restoration: try makeRestoration(width: width, height: height))
    }

    public func remove(stream: VideoStreamID) {
        streams[stream] = nil
        let sizes = Set(streams.values.map { NetworkSize(width: $0.width, height: $0.height) })
        // Networks of sizes no stream uses any more are released (tile networks are small; keep them).
        for key in networks.keys where key.width * key.height > 4096 * 16 && !sizes.contains(key) {
            networks[key] = nil
        }
    }

    public func process(_ frames: [I420Frame], stream: VideoStreamID) throws(FrameProcessorError) -> [I420Frame] {
        guard var state = streams[stream] else { throw .streamNotConfigured(stream) }
        var out: [I420Frame] = []
        out.reserveCapacity(frames.count)
        for frame in frames {
            guard frame.width == state.width, frame.height == state.height else {
                throw .unexpectedFrameSize(expectedWidth: state.width, expectedHeight: state.height,
                                           width: frame.width, height: frame.height)
            }
            var counters = RestorationCounters()
            let interval = state.interval(after: frame.timestamp)
            var budget = configuration.frameBudget
            if let share = configuration.frameBudgetShare, let interval {
                let fromInterval = Duration.microseconds(Int64((Double(interval) * share).rounded()))
                budget = budget.map { min($0, fromInterval) } ?? fromInterval
            }
            out.append(try restore(frame, restoration: state.restoration, budget: budget, counters: &counters))
            state.counters = state.counters + counters
            totals = totals + counters
            streams[stream] = state
        }
        return out
    }

    // MARK: internals

    private func checkSize(width: Int, height: Int) throws(FrameProcessorError) {
        guard (1...16384).contains(width), (1...16384).contains(height),
              width * scale <= 16384, height * scale <= 16384, width * height <= CompiledNetwork.maximumArea else {
            throw .invalidConfiguration("input size \(width)x\(height) ×\(scale) out of range")
        }
    }

    private func makeRestoration(width: Int, height: Int) throws(FrameProcessorError) -> TiledRestoration? {
        let graph = model.graph
        guard width % graph.alignment == 0, height % graph.alignment == 0 else { return nil }
        do {
            return try TiledRestoration(graph: graph, width: width, height: height, configuration: configuration) {
                (w: Int, h: Int) throws(InferenceError) -> CompiledNetwork in
                try self.network(width: w, height: h)
            }
        } catch {
            throw .failed("restoration network for \(width)x\(height): \(error)")
        }
    }

    private func network(width: Int, height: Int) throws(InferenceError) -> CompiledNetwork {
        let key = NetworkSize(width: width, height: height)
        if let existing = networks[key] { return existing }
        let network = try CompiledNetwork(graph: model.graph, width: width, height: height, threads: configuration.threads)
        networks[key] = network
        return network
    }

    private func restore(_ frame: I420Frame, restoration: TiledRestoration?, budget: Duration?,
                         counters: inout RestorationCounters) throws(FrameProcessorError) -> I420Frame {
        let start = clock?()
        let enlarged: I420Frame
        do { enlarged = try upscaler.upscale(frame) } catch { throw .scaling(error) }
        counters.frames = 1
        var luma = enlarged.y
        if let restoration {
            let skip = skipPlane(frame, bicubic: enlarged)
            var quantizer: Float = 0
            if let mapping = model.graph.quantizer {
                if let coded = frame.codecQuantizer, let q = mapping.normalized(index: coded.index, codec: coded.codec.rawValue) {
                    quantizer = q
                } else {
                    quantizer = mapping.fallback
                    counters.framesWithoutQuantizer = 1
                }
            }
            do {
                let outcome = try restoration.update(luma: frame.y, stride: frame.strideY, skip: skip, start: start, clock: clock,
                                                     budget: budget, quantizer: quantizer)
                luma = OutputComposition.luma(residual: restoration.residual, skip: skip)
                for index in outcome.fallenBack {
                    OutputComposition.copyCore(restoration.layout.tiles[index].core, scale: scale,
                                               from: enlarged.y, into: &luma, width: enlarged.width)
                }
                restoration.finish(input: packedLuma(frame), output: luma)
                counters.tilesComputed = outcome.computed
                counters.tilesReused = outcome.reused
                counters.tilesFallenBack = outcome.fallenBack.count
                counters.fullFrameRuns = outcome.fullFrame ? 1 : 0
                counters.framesOverBudget = outcome.fallenBack.isEmpty ? 0 : 1
                counters.multiplyAccumulates = outcome.multiplyAccumulates
            } catch {
                restoration.invalidate()
                luma = enlarged.y
                counters.framesBicubicOnly = 1
            }
        } else {
            counters.framesBicubicOnly = 1
        }
        let restored = I420Frame(width: enlarged.width, height: enlarged.height, y: luma, strideY: enlarged.width,
                                 u: enlarged.u, strideU: enlarged.strideU, v: enlarged.v, strideV: enlarged.strideV,
                                 timestamp: frame.timestamp) ?? enlarged
        let target = outputSize(width: frame.width, height: frame.height)
        if target.width == restored.width && target.height == restored.height { return restored }
        do {
            return try restored.scaled(width: target.width, height: target.height, filter: .box)
        } catch {
            throw .scaling(error)
        }
    }

    /// The model's skip at output resolution, as 8-bit values.
    private func skipPlane(_ frame: I420Frame, bicubic: I420Frame) -> [UInt8] {
        switch model.graph.skip {
        case .bicubic:
            return bicubic.y
        case .none:
            return [UInt8](repeating: 0, count: bicubic.width * bicubic.height)
        case .nearest:
            var plane = [UInt8](repeating: 0, count: bicubic.width * bicubic.height)
            for row in 0..<bicubic.height {
                let source = (row / scale) * frame.strideY
                for col in 0..<bicubic.width { plane[row * bicubic.width + col] = frame.y[source + col / scale] }
            }
            return plane
        }
    }

    private func packedLuma(_ frame: I420Frame) -> [UInt8] {
        if frame.strideY == frame.width { return frame.y }
        var plane: [UInt8] = []
        plane.reserveCapacity(frame.width * frame.height)
        for row in 0..<frame.height {
            plane += frame.y[(row * frame.strideY)..<(row * frame.strideY + frame.width)]
        }
        return plane
    }
}

/// Network output + skip → 8-bit luma (docs/model-format.md: clamp to [0, 1], × 255, round half up).
enum OutputComposition {
    static func luma(residual: [Float], skip: [UInt8]) -> [UInt8] {
        let count = min(residual.count, skip.count)
        var out = [UInt8](repeating: 0, count: count)
        PlaneCopy.unit.withUnsafeBufferPointer { unit in
            residual.withUnsafeBufferPointer { r in
                skip.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { o in
                        for i in 0..<count {
                            var value = r[i] + unit[Int(s[i])]
                            // NaN (a broken model) becomes 0 instead of trapping in UInt8(_:).
                            value = value > 0 ? min(value, 1) : 0
                            // value · 255 + 0.5 is in [0.5, 255.5]: truncation is the floor.
                            o[i] = UInt8(truncatingIfNeeded: Int32(value * 255 + 0.5))
                        }
                    }
                }
            }
        }
        return out
    }

    /// Copies the output-resolution pixels of input rectangle `core` from `source` into `target`.
    static func copyCore(_ core: PixelRect, scale: Int, from source: [UInt8], into target: inout [UInt8], width: Int) {
        for row in (core.y * scale)..<((core.y + core.height) * scale) {
            let start = row * width + core.x * scale
            let end = start + core.width * scale
            guard end <= source.count, end <= target.count else { return }
            target.replaceSubrange(start..<end, with: source[start..<end])
        }
    }
}
