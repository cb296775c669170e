/// The `architecture` document of a `loupe-restoration/1` model file, as written (docs/model-format.md),
/// decoded from and encoded to JSON with the file's snake_case keys.
/// Decoding checks JSON types only; `ModelGraph(architecture:file:)` checks the meaning.
public struct ModelArchitecture: Codable, Sendable, Hashable {
    /// One graph input: `[1, channels, h, w]` at the input resolution.
    public struct Input: Codable, Sendable, Hashable {
        public var name: String
        public var channels: Int

        public init(name: String, channels: Int) {
            self.name = name
            self.channels = channels
        }
    }

    /// One node as written: `op` plus the fields that op uses (others absent).
    public struct Node: Codable, Sendable, Hashable {
        public var op: String
        public var input: String?
        public var inputs: [String]?
        public var output: String
        public var weight: String?
        public var bias: String?
        public var kernel: Int?
        public var inChannels: Int?
        public var outChannels: Int?
        public var activation: String?
        public var factor: Int?
        /// conv2d: a `[2, out_channels]` tensor moving the bias with the frame's quantizer q:
        /// bias + q · row 0 + q² · row 1 (needs the architecture's `quantizer`).
        public var biasQuantizer: String?
        /// conv2d: a `[2, out_channels, P]` tensor moving the bias with the output pixel's place in
        /// the codec's block grid: + row 0[c, y mod P] + row 1[c, x mod P], (y, x) the pixel's frame
        /// coordinate (convolutions at the input resolution only).
        public var biasPhase: String?
        /// conv2d: a tensor shaped like `weight` moving the kernel with the frame's quantizer q:
        /// weight + q · this (needs the architecture's `quantizer`).
        public var weightQuantizer: String?

        enum CodingKeys: String, CodingKey {
            case op, input, inputs, output, weight, bias, kernel, activation, factor
            case inChannels = "in_channels"
            case outChannels = "out_channels"
            case biasQuantizer = "bias_quantizer"
            case biasPhase = "bias_phase"
            case weightQuantizer = "weight_quantizer"
        }

        public init(op: String, input: String? = nil, inputs: [String]? = nil, output: String,
                    weight: String? = nil, bias: String? = nil, kernel: Int? = nil,
                    inChannels: Int? = nil, outChannels: Int? = nil, activation: String? = nil,
                    factor: Int? = nil) {
            self.op = op
            self.input = input
            self.inputs = inputs
            self.output = output
            self.weight = weight
            self.bias = bias
            self.kernel = kernel
            self.inChannels = inChannels
            self.outChannels = outChannels
            self.activation = activation
            self.factor = factor
        }

        /// A 3×3 or 1×1 convolution node.
        public static func conv2d(_ input: String, _ output: String, weight: String, bias: String?,
                                  kernel: Int, inChannels: Int, outChannels: Int, relu: Bool = false) -> Node {
            Node(op: "conv2d", input: input, output: output, weight: weight, bias: bias, kernel: kernel,
                 inChannels: inChannels, outChannels: outChannels, activation: relu ? "relu" : nil)
        }
    }

    /// How a quantizer-conditioned network reads a frame's codec quantizer index: q =
    /// clamp(slope · index + intercept, 0, range) / range, with the codec's `[slope, intercept]`.
    public struct Quantizer: Codable, Sendable, Hashable {
        public var source: String?
        public var range: Double
        /// Codec name (`vp8`, `vp9`) → `[slope, intercept]`.
        public var codecs: [String: [Double]]
        /// The normalized quantizer (0…1) for frames whose quantizer is unknown (e.g. a Y4M
        /// file without its `.q`): the median of the training data.
        public var fallback: Double

        enum CodingKeys: String, CodingKey {
            case source, range, codecs
            case fallback = "default"
        }

        public init(source: String? = nil, range: Double, codecs: [String: [Double]], fallback: Double) {
            self.source = source
            self.range = range
            self.codecs = codecs
            self.fallback = fallback
        }
    }

    /// Output size = input size × scale.
    public var scale: Int
    /// `"y"`: luma in, luma out.
    public var planes: String
    /// `"bicubic"`, `"nearest"` or `"none"`: added to the graph's output before clamping.
    public var skip: String
    /// Input pixels on each side that influence one output pixel.
    public var receptiveField: Int
    public var inputs: [Input]
    public var nodes: [Node]
    /// The name of the value the graph produces.
    public var output: String
    /// Present when convolutions are conditioned on the frame's quantizer (`bias_quantizer`).
    public var quantizer: Quantizer?

    enum CodingKeys: String, CodingKey {
        case scale, planes, skip, inputs, nodes, output, quantizer
        case receptiveField = "receptive_field"
    }

    public init(scale: Int, planes: String = "y", skip: String = "bicubic", receptiveField: Int,
                inputs: [Input], nodes: [Node], output: String) {
        self.scale = scale
        self.planes = planes
        self.skip = skip
        self.receptiveField = receptiveField
        self.inputs = inputs
        self.nodes = nodes
        self.output = output
    }
}

/// What `skip` adds to the network's output.
public enum SkipConnection: String, Sendable, Hashable {
    /// The input luma upscaled by the node's `BicubicUpscaler` (8-bit values / 255).
    case bicubic
    /// Each input pixel repeated scale × scale times.
    case nearest
    /// Nothing.
    case none
}
