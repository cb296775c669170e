import CDNNL

/// A `ModelGraph` compiled with oneDNN for one input size and thread count: one primitive per
/// node (convolutions in the layouts oneDNN prefers, `format_tag_any`, with a following ReLU or
/// shared-slope PReLU fused as a post-op), reorders where layouts meet, pixel (un)shuffles as
/// plain loops. The project's AVX2 kernels take the convolutions they handle (`Conv16Step`,
/// `SmallConvolutionStep`), on the calling thread or split over OpenMP's threads.
///
/// Inputs and the output are plain NCHW f32 buffers owned by the network: fill
/// `input(_:)`, call `execute()`, read `output`. Not thread-safe; use from one thread at a
/// time. The thread count is applied to the calling thread (see `OpenMPThreads`).
public final class CompiledNetwork {
    public let graph: ModelGraph
    /// Input size.
    public let width: Int
    public let height: Int
    /// Output size (input × scale).
    public let outputWidth: Int
    public let outputHeight: Int
    public let threads: Int
    /// Whether the project's own kernels (`CSmallConv`) may run the convolutions they handle;
    /// false: oneDNN runs every convolution (for comparisons, `loupe bench restore`).
    public let projectKernels: Bool
    /// The oneDNN implementation of each primitive step, in order ("jit:avx2", …).
    public internal(set) var implementations: [String] = []
    /// Multiply-accumulates per `execute()`.
    public let multiplyAccumulates: Int

    /// Input sides above this are refused (memory for the intermediate values).
    public static let maximumArea = 4096 * 4096
    /// Networks whose values would need more than this many bytes together are refused.
    public static let maximumValueBytes = 4 << 30

    let engine: DNNLEngine
    var steps: [NetworkStep] = []
    var storage: [DNNLMemory?]
    var inputMemories: [DNNLMemory] = []
    var outputMemory: DNNLMemory?
    /// Weights, biases and other memories that steps point into.
    var retained: [AnyObject] = []
    /// The bias each quantizer-conditioned convolution's step reads, rewritten by `setQuantizer`.
    var conditionedBiases: [(parameters: ConvolutionParameters, target: UnsafeMutablePointer<Float>)] = []
    /// The normalized quantizer the conditioned biases were last set for (0 after compiling).
    public private(set) var quantizer: Float = 0
    /// The kernels of quantizer-conditioned convolutions (`weight_quantizer`), rewritten by
    /// `setQuantizer`.
    var conditionedWeights: [WeightTarget] = []
    /// An error while rewriting weights in `setQuantizer`, thrown by the next `execute()`.
    var pendingError: InferenceError?
    /// Per-row biases and per-column shifts of block-grid-conditioned convolutions, rewritten by
    /// `setQuantizer` and `setOrigin`.
    var gridTables: [GridTables] = []
    /// The frame coordinate of the inputs' top-left pixel (`setOrigin`; (0, 0) after compiling).
    public private(set) var originX = 0
    public private(set) var originY = 0

    /// Compiles `graph` for inputs of `width × height` running on `threads` threads.
    public init(graph: ModelGraph, width: Int, height: Int, threads: Int = 1,
                projectKernels: Bool = true) throws(InferenceError) {
        guard (1...256).contains(threads) else { throw .invalidThreads(threads) }
        guard (1...16384).contains(width), (1...16384).contains(height), width * height <= CompiledNetwork.maximumArea,
              width % graph.alignment == 0, height % graph.alignment == 0 else {
            throw .invalidSize(width: width, height: height, alignment: graph.alignment)
        }
        var bytes = 0
        for index in graph.values.indices {
            guard let size = graph.size(ofValue: index, width: width, height: height) else {
                throw .invalidSize(width: width, height: height, alignment: graph.alignment)
            }
            bytes += size.width * size.height * graph.values[index].channels * 4
        }
        guard bytes <= CompiledNetwork.maximumValueBytes else {
            throw .inputMismatch("the network would need \(bytes >> 20) MiB for its values at \(width)x\(height)")
        }
        self.graph = graph
        self.width = width
        self.height = height
        self.threads = threads
        self.projectKernels = projectKernels
        outputWidth = width * graph.scale
        outputHeight = height * graph.scale
        multiplyAccumulates = graph.multiplyAccumulates(width: width, height: height)
        engine = try DNNLEngine()
        storage = [DNNLMemory?](repeating: nil, count: graph.values.count)
        OpenMPThreads.set(threads)
        try build()
    }

    /// Whether this CPU runs the project's AVX2 kernels (`CSmallConv`) in networks compiled for
    /// `threads` threads: 3×3 convolutions with 1–4 output channels that follow another
    /// convolution (`SmallConvolutionStep`) and 3×3 convolutions to 16 channels with their
    /// activation (`Conv16Step`); elsewhere oneDNN runs them. More than one thread needs libgomp
    /// (Debian's libdnnl brings it), whose pool the kernels share with oneDNN.
    public static func projectKernelsRun(threads: Int) -> Bool { SmallConvolutionStep.runs(threads: threads) }

    /// The OpenMP thread count in effect on the calling thread (what oneDNN will use for a
    /// primitive created or run now), or nil when the OpenMP runtime was not found.
    public static var callingThreadOpenMPThreads: Int? { OpenMPThreads.current }

    /// The plain NCHW buffer of graph input `index` (`channels × height × width` floats), valid
    /// as long as the network; empty for an index out of range.
    public func input(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        guard inputMemories.indices.contains(index) else { return UnsafeMutableBufferPointer(start: nil, count: 0) }
        let memory = inputMemories[index]
        let count = graph.inputs[index].channels * width * height
        return UnsafeMutableBufferPointer(start: memory.buffer.assumingMemoryBound(to: Float.self), count: count)
    }

    /// The output of the last `execute()`: `outputHeight × outputWidth` floats, row-major.
    public var output: UnsafeBufferPointer<Float> {
        guard let outputMemory else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: outputMemory.buffer.assumingMemoryBound(to: Float.self),
                                   count: outputWidth * outputHeight)
    }

    /// Sets the normalized quantizer (0…1, `ModelGraph.quantizer`) of the frames the next runs
    /// restore: rewrites the bias of every conditioned convolution (a few hundred floats, no
    /// recompilation). No effect on a graph that is not conditioned.
    public func setQuantizer(_ q: Float) {
        let q = q.isFinite ? min(max(q, 0), 1) : 0
        guard q != quantizer else { return }
        quantizer = q
        for (parameters, target) in conditionedBiases {
            let bias = parameters.bias(quantizer: q)
            target.update(from: bias, count: bias.count)
        }
        for tables in gridTables { tables.fillRows(quantizer: q, originY: originY) }
        for target in conditionedWeights {
            switch target {
            case .conv16(let p, let step): step.pack(p.weights(quantizer: q))
            case .small(let p, let step): step.pack(p.weights(quantizer: q))
            case .dnnl(let p, let user, let reorder, let memory):
                user.fill(p.weights(quantizer: q))
                guard let reorder else { continue }
                do {
                    try reorder.execute([dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: user.memory),
                                         dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: memory.memory)], on: engine)
                    try dnnlCheck(dnnl_stream_wait(engine.stream), "stream_wait")
                } catch {
                    pendingError = error
                }
            }
        }
    }

    /// Sets the frame coordinate of the inputs' top-left pixel for the next runs (a tile of a
    /// larger frame): a graph with a block-grid conditioning (`bias_phase`) shifts its biases by
    /// each pixel's place in the codec's block grid, which the frame's coordinates give. No
    /// effect on other graphs.
    public func setOrigin(x: Int, y: Int) {
        guard x != originX || y != originY else { return }
        (originX, originY) = (x, y)
        for tables in gridTables {
            tables.fillRows(quantizer: quantizer, originY: y)
            tables.fillColumns(originX: x)
        }
    }

    /// Whether the graph has a block-grid conditioning (its output depends on `setOrigin`).
    public var dependsOnOrigin: Bool { !gridTables.isEmpty }

    /// Runs the network on the current contents of the input buffers.
    public func execute() throws(InferenceError) {
        if let pendingError { throw pendingError }
        OpenMPThreads.set(threads)
        for step in steps {
            switch step {
            case .primitive(let primitive, let args):
                try primitive.execute(args, on: engine)
            case .shuffle(let shuffle):
                shuffle.run()
            case .smallConvolution(let convolution):
                convolution.run()
            case .conv16(let convolution):
                convolution.run()
            case .gridAdd(let add):
                add.run()
            }
        }
        try dnnlCheck(dnnl_stream_wait(engine.stream), "stream_wait")
    }

    /// Convenience: copies `inputs` (one per graph input, at the compiled size) in, runs, and
    /// returns the output as a `[1, 1, outputHeight, outputWidth]` map.
    public func run(_ inputs: [FeatureMap]) throws(InferenceError) -> FeatureMap {
        guard inputs.count == graph.inputs.count else {
            throw .inputMismatch("\(inputs.count) inputs given, the graph has \(graph.inputs.count)")
        }
        for (index, map) in inputs.enumerated() {
            guard map.channels == graph.inputs[index].channels, map.width == width, map.height == height else {
                throw .inputMismatch("input \(index) is \(map.channels)x\(map.height)x\(map.width), the network needs "
                                     + "\(graph.inputs[index].channels)x\(height)x\(width)")
            }
            let buffer = input(index)
            map.values.withUnsafeBufferPointer { source in
                guard let base = source.baseAddress, let target = buffer.baseAddress else { return }
                target.update(from: base, count: min(source.count, buffer.count))
            }
        }
        try execute()
        return FeatureMap(channels: 1, height: outputHeight, width: outputWidth, values: Array(output))
            ?? FeatureMap(channels: 1, height: outputHeight, width: outputWidth)
    }
}

/// A float buffer a step reads by pointer and `CompiledNetwork.setQuantizer` may rewrite.
final class FloatStorage {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(from: values, count: count)
    }

    deinit {
        pointer.deinitialize(count: count)
        pointer.deallocate()
    }
}

/// One step of a compiled network.
enum NetworkStep {
    case primitive(DNNLPrimitive, [dnnl_exec_arg_t])
    case shuffle(PixelShuffleStep)
    case smallConvolution(SmallConvolutionStep)
    case conv16(Conv16Step)
    case gridAdd(GridAddStep)
}

/// Where a quantizer-conditioned convolution's kernel lives in a compiled network.
enum WeightTarget {
    case conv16(ConvolutionParameters, Conv16Step)
    case small(ConvolutionParameters, SmallConvolutionStep)
    /// oneDNN's: the plain OIHW memory, and the reorder into the primitive's layout with its
    /// target (nil: the primitive reads the plain memory).
    case dnnl(ConvolutionParameters, user: DNNLMemory, reorder: DNNLPrimitive?, target: DNNLMemory)
}

/// A block-grid-conditioned convolution's tables (`ConvolutionParameters.biasPhase`): per row
/// of its output, `entry` floats (its bias for the current quantizer plus the row's shift, or
/// with `rowsIncludeBias` false the shift alone), and per column, the column's shift.
final class GridTables {
    let parameters: ConvolutionParameters
    let rows: FloatStorage
    let columns: FloatStorage
    let height: Int
    let width: Int
    let entry: Int
    let rowsIncludeBias: Bool

    init(_ parameters: ConvolutionParameters, height: Int, width: Int, entry: Int, rowsIncludeBias: Bool,
         quantizer: Float, originX: Int, originY: Int) {
        self.parameters = parameters
        self.height = height
        self.width = width
        self.entry = entry
        self.rowsIncludeBias = rowsIncludeBias
        rows = FloatStorage([Float](repeating: 0, count: height * entry))
        columns = FloatStorage([Float](repeating: 0, count: width * entry))
        fillRows(quantizer: quantizer, originY: originY)
        fillColumns(originX: originX)
    }

    func fillRows(quantizer: Float, originY: Int) {
        let values = parameters.rowBiases(quantizer: quantizer, origin: originY, count: height, entry: entry,
                                          includingBias: rowsIncludeBias)
        rows.pointer.update(from: values, count: values.count)
    }

    func fillColumns(originX: Int) {
        let values = parameters.columnShifts(origin: originX, count: width, entry: entry)
        columns.pointer.update(from: values, count: values.count)
    }
}

/// Adds a block-grid-conditioned convolution's shifts (`GridTables` without the bias) to its
/// output in place, then its ReLU if it has one: where oneDNN ran the convolution. Plain NCHW or
/// `aBcd8b`.
struct GridAddStep {
    let data: UnsafeMutablePointer<Float>
    let channels: Int
    let height: Int
    let width: Int
    /// Channels per block of the layout: 1 (plain) or 8 (`aBcd8b`).
    let block: Int
    let tables: GridTables
    let relu: Bool

    func run() {
        let rows = tables.rows.pointer, columns = tables.columns.pointer, entry = tables.entry
        let plane = height * width
        for c in 0..<channels {
            let base = data + (c / block) * plane * block + c % block
            for y in 0..<height {
                let rowShift = rows[y * entry + c]
                let row = base + y * width * block
                for x in 0..<width {
                    var value = row[x * block] + rowShift + columns[x * entry + c]
                    if relu { value = max(value, 0) }
                    row[x * block] = value
                }
            }
        }
    }
}

/// `pixel_shuffle` / `pixel_unshuffle` between NCHW buffers, PyTorch's channel order:
/// shuffled `[C, H·r, W·r]` pixel `(c, y·r + i, x·r + j)` is unshuffled `[C·r², H, W]` pixel
/// `(c·r² + i·r + j, y, x)`. The unshuffled side may also be oneDNN's `aBcd8b` (channels in
/// blocks of 8, innermost) when shuffling up, which saves a reorder after a convolution.
struct PixelShuffleStep {
    /// Unshuffled side (`[C·r², H, W]`) and shuffled side (`[C, H·r, W·r]`, plain).
    let low: UnsafeMutablePointer<Float>
    let high: UnsafeMutablePointer<Float>
    /// C, H, W of the shuffled output's channels and the unshuffled side's size.
    let channels: Int
    let height: Int
    let width: Int
    let factor: Int
    /// true: low → high (`pixel_shuffle`); false: high → low.
    let up: Bool
    /// Channel block of the low side's layout: 1 (plain NCHW) or 8 (`aBcd8b`).
    var lowBlock = 1

    func run() {
        let r = factor, h = height, w = width, block = lowBlock
        let highWidth = w * r
        for c in 0..<channels {
            for i in 0..<r {
                for j in 0..<r {
                    let channel = (c * r + i) * r + j
                    let lowPlane = low + (channel / block) * h * w * block + channel % block
                    let highPlane = high + c * h * r * highWidth
                    for y in 0..<h {
                        let lowRow = lowPlane + y * w * block
                        let highRow = highPlane + (y * r + i) * highWidth + j
                        if up {
                            for x in 0..<w { highRow[x * r] = lowRow[x * block] }
                        } else {
                            for x in 0..<w { lowRow[x * block] = highRow[x * r] }
                        }
                    }
                }
            }
        }
    }
}
