internal import CSmallConv

/// A 3×3 convolution with 1–4 output channels from oneDNN's `aBcd8b` layout into plain NCHW,
/// run by the project's AVX2 kernel (`Sources/CSmallConv`) instead of oneDNN.
///
/// oneDNN 2.6's `jit:avx2` direct convolution pads the output channels to a block of 8 and
/// broadcasts each input value for that one block, so the restoration network's last 16→4
/// convolution (11 % of its multiply-accumulates) took ~22 % of its time. docs/benchmarks.md has
/// the measurement.
struct SmallConvolutionStep {
    let source: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
    let inChannels: Int
    let outChannels: Int
    let height: Int
    let width: Int
    /// Weights packed by `loupe_small_conv_pack`, and the bias (zeros when the node has none).
    let packed: FloatStorage
    let bias: FloatStorage
    /// A block-grid-conditioned convolution's per-row biases and per-column shifts (4 floats
    /// each), used instead of `bias`.
    var grid: GridTables?
    /// Writes the ×2 pixel shuffle of the 4 output channels (one plane twice the size).
    let shuffled: Bool
    /// OpenMP threads its rows are split over (the network's thread count).
    let threads: Int

    /// Output channels the kernel handles (and the floats per entry of its bias tables).
    static let maximumOutChannels = Int(LOUPE_SMALL_CONV_MAX_OC)

    /// Whether this CPU runs the kernel (AVX2 + FMA); elsewhere oneDNN runs every convolution.
    static let available = loupe_small_conv_available() != 0
    /// Whether the kernels can split their rows over OpenMP's threads (libgomp, loaded with
    /// libdnnl); without it networks for more than one thread leave every convolution to oneDNN.
    static let parallelAvailable = loupe_small_conv_parallel_available() != 0

    /// Whether the project's kernels run in a network compiled for `threads` threads.
    static func runs(threads: Int) -> Bool { available && (threads == 1 || parallelAvailable) }

    /// Whether a convolution with these parameters, reading `aBcd8b`, in a network compiled for
    /// `threads` threads, runs here.
    static func handles(_ p: ConvolutionParameters, threads: Int) -> Bool {
        runs(threads: threads) && p.kernel == 3 && !p.relu && (1...Int(LOUPE_SMALL_CONV_MAX_OC)).contains(p.outChannels)
            && p.inChannels % 8 == 0 && p.inChannels > 0
    }

    init(_ p: ConvolutionParameters, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>,
         height: Int, width: Int, shuffled: Bool = false, threads: Int) {
        self.source = source
        self.threads = threads
        self.shuffled = shuffled
        self.destination = destination
        inChannels = p.inChannels
        outChannels = p.outChannels
        self.height = height
        self.width = width
        packed = FloatStorage([Float](repeating: 0, count: loupe_small_conv_packed_count(Int32(p.inChannels))))
        bias = FloatStorage(p.bias(quantizer: 0))
        pack(p.weights)
    }

    /// Packs OIHW `weights` (this convolution's shape) for the kernel: at compilation, and
    /// again when a quantizer-conditioned kernel's weights change (`CompiledNetwork.setQuantizer`).
    func pack(_ weights: [Float]) {
        weights.withUnsafeBufferPointer { weights in
            loupe_small_conv_pack(weights.baseAddress, Int32(inChannels), Int32(outChannels), packed.pointer)
        }
    }

    /// Runs on the calling thread, or with `threads` > 1 on that many OpenMP threads (the
    /// calling thread's `omp_set_num_threads` is not needed: the count is passed explicitly).
    func run() {
        let rows = grid.map { UnsafePointer($0.rows.pointer) }, columns = grid.map { UnsafePointer($0.columns.pointer) }
        loupe_small_conv_run_grid(source, Int32(inChannels), Int32(height), Int32(width), packed.pointer,
                                  bias.pointer, rows, columns, Int32(outChannels), destination, shuffled ? 1 : 0,
                                  Int32(threads))
    }
}
