internal import CSmallConv

/// A 3×3 convolution with 16 output channels into oneDNN's `aBcd8b` layout, with the ReLU or
/// PReLU that follows it applied as its results are stored, run by the project's AVX2 kernel
/// (`Sources/CSmallConv`) instead of oneDNN. Its input is `aBcd8b` (another convolution's output)
/// or plain NCHW (a network input).
///
/// oneDNN 2.6's `jit:avx2` convolution has no fast per-channel PReLU post-op, so each PReLU was
/// its own pass over the feature map, and its 16→16 convolutions ran at ~75 % of this kernel's
/// speed on this project's machines. docs/benchmarks.md has the measurement.
struct Conv16Step {
    let source: UnsafePointer<Float>
    let destination: UnsafeMutablePointer<Float>
    let inChannels: Int
    /// Channels per block of the source's layout: 8 (`aBcd8b`) or 1 (plain).
    let inputBlock: Int
    let height: Int
    let width: Int
    /// Weights packed by `loupe_conv16_pack`, the bias (zeros when the node has none) and the
    /// activation's slopes per output channel (nil: none; zeros: ReLU).
    let packed: FloatStorage
    let bias: FloatStorage
    let slopes: [Float]?
    /// A block-grid-conditioned convolution's per-row biases and per-column shifts (16 floats
    /// each), used instead of `bias`.
    var grid: GridTables?
    /// OpenMP threads its rows are split over (the network's thread count).
    let threads: Int

    /// Whether a convolution with these parameters, in a network compiled for `threads` threads,
    /// runs here when its input is in blocks of `inputBlock` channels.
    static func handles(_ p: ConvolutionParameters, inputBlock: Int, threads: Int) -> Bool {
        SmallConvolutionStep.runs(threads: threads) && p.kernel == 3 && p.outChannels == 16 && p.inChannels > 0
            && (inputBlock == 1 || inputBlock == 8) && p.inChannels % inputBlock == 0
    }

    init(_ p: ConvolutionParameters, inputBlock: Int, slopes: [Float]?, source: UnsafePointer<Float>,
         destination: UnsafeMutablePointer<Float>, height: Int, width: Int, threads: Int) {
        self.source = source
        self.threads = threads
        self.destination = destination
        inChannels = p.inChannels
        self.inputBlock = inputBlock
        self.height = height
        self.width = width
        packed = FloatStorage([Float](repeating: 0, count: loupe_conv16_packed_count(Int32(p.inChannels))))
        bias = FloatStorage(p.bias(quantizer: 0))
        self.slopes = p.relu ? [Float](repeating: 0, count: 16) : slopes
        pack(p.weights)
    }

    /// Packs OIHW `weights` (this convolution's shape) for the kernel: at compilation, and
    /// again when a quantizer-conditioned kernel's weights change (`CompiledNetwork.setQuantizer`).
    func pack(_ weights: [Float]) {
        weights.withUnsafeBufferPointer { weights in
            loupe_conv16_pack(weights.baseAddress, Int32(inChannels), Int32(inputBlock), packed.pointer)
        }
    }

    /// Runs on the calling thread, or with `threads` > 1 on that many OpenMP threads.
    func run() {
        let rows = grid.map { UnsafePointer($0.rows.pointer) }, columns = grid.map { UnsafePointer($0.columns.pointer) }
        if let slopes {
            slopes.withUnsafeBufferPointer { slopes in
                loupe_conv16_run_grid(source, Int32(inChannels), Int32(inputBlock), Int32(height), Int32(width),
                                      packed.pointer, bias.pointer, rows, columns, slopes.baseAddress,
                                      destination, Int32(threads))
            }
        } else {
            loupe_conv16_run_grid(source, Int32(inChannels), Int32(inputBlock), Int32(height), Int32(width),
                                  packed.pointer, bias.pointer, rows, columns, nil, destination, Int32(threads))
        }
    }
}
