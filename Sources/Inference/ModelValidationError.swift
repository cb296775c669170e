/// Names one node of an architecture in errors: its position, op and output value.
public struct NodeReference: Sendable, Hashable, CustomStringConvertible {
    /// Position in `nodes` (0-based).
    public let index: Int
    public let op: String
    public let output: String

    public init(index: Int, op: String, output: String) {
        self.index = index
        self.op = op
        self.output = output
    }

    public var description: String { "node \(index) (\(op) → \"\(output)\")" }
}

/// Why an architecture cannot run with the tensors of its file.
public enum ModelValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    case unsupportedScale(Int)
    case unsupportedPlanes(String)
    case unknownSkip(String)
    case invalidReceptiveField(Int)
    /// The declared receptive field is smaller than the graph's convolutions reach.
    case receptiveFieldTooSmall(declared: Int, required: Int)
    case noInputs
    /// The first input (current luma) must have 1 channel.
    case firstInputChannels(name: String, channels: Int)
    /// An input other than the first that is not `prev_lr` or `prev_out`.
    case unknownInput(String)
    case inputChannels(name: String, expected: Int, actual: Int)
    case tooManyNodes(Int)
    case unknownOp(NodeReference)
    case missingField(NodeReference, field: String)
    case undefinedValue(NodeReference, name: String)
    /// A value name defined twice (by an input or an earlier node).
    case redefinedValue(NodeReference?, name: String)
    case missingTensor(NodeReference, tensor: String)
    case tensorNotF32(NodeReference, tensor: String)
    case tensorShape(NodeReference, tensor: String, expected: [Int], actual: [Int])
    /// A node's input has other channels than the node declares or needs.
    case channelMismatch(NodeReference, expected: Int, actual: Int)
    /// `add` / `concat` inputs at different resolutions.
    case resolutionMismatch(NodeReference)
    case invalidKernel(NodeReference, Int)
    case invalidFactor(NodeReference, Int)
    case invalidChannels(NodeReference, Int)
    case unknownActivation(NodeReference, String)
    /// `pixel_shuffle` of a channel count not divisible by factor².
    case channelsNotDivisible(NodeReference, channels: Int, by: Int)
    case undefinedOutput(String)
    /// The output value is not `[1, 1, h·scale, w·scale]`.
    case finalShape(channels: Int, numerator: Int, denominator: Int, scale: Int)
    /// The architecture's `quantizer` and the convolutions' `bias_quantizer` do not fit together.
    case invalidQuantizer(String)
    /// A `bias_phase` tensor that is not `[2, out_channels, P]` with P in 1…64, or on a
    /// convolution that does not run at the input resolution.
    case invalidPhase(NodeReference, String)

    public var description: String {
        switch self {
        case .unsupportedScale(let s): "scale \(s) is not supported (1…8)"
        case .unsupportedPlanes(let p): "planes \"\(p)\" is not supported (\"y\")"
        case .unknownSkip(let s): "unknown skip \"\(s)\" (bicubic, nearest, none)"
        case .invalidReceptiveField(let r): "receptive_field \(r) is not in 0…256"
        case .receptiveFieldTooSmall(let declared, let required):
            "receptive_field \(declared) is smaller than the \(required) pixels the graph reaches"
        case .noInputs: "the graph has no inputs"
        case .firstInputChannels(let name, let channels): "input \"\(name)\" (current luma) has \(channels) channels, needs 1"
        case .unknownInput(let name): "unknown input \"\(name)\" (after the first: prev_lr, prev_out)"
        case .inputChannels(let name, let expected, let actual): "input \"\(name)\" has \(actual) channels, needs \(expected)"
        case .tooManyNodes(let n): "\(n) nodes, more than the 1024 supported"
        case .unknownOp(let node): "\(node): unknown op"
        case .missingField(let node, let field): "\(node): missing \"\(field)\""
        case .undefinedValue(let node, let name): "\(node): reads \"\(name)\", which no earlier node or input defines"
        case .redefinedValue(let node, let name):
            node.map { "\($0): redefines \"\(name)\"" } ?? "input \"\(name)\" is defined twice"
        case .missingTensor(let node, let tensor): "\(node): tensor \"\(tensor)\" is not in the file"
        case .tensorNotF32(let node, let tensor): "\(node): tensor \"\(tensor)\" is not F32"
        case .tensorShape(let node, let tensor, let expected, let actual):
            "\(node): tensor \"\(tensor)\" has shape \(actual), needs \(expected)"
        case .channelMismatch(let node, let expected, let actual):
            "\(node): input has \(actual) channels, needs \(expected)"
        case .resolutionMismatch(let node): "\(node): inputs have different resolutions"
        case .invalidKernel(let node, let k): "\(node): kernel \(k) is not supported (1 or 3)"
        case .invalidFactor(let node, let f): "\(node): factor \(f) is not in 1…8"
        case .invalidChannels(let node, let c): "\(node): \(c) channels is not in 1…4096"
        case .unknownActivation(let node, let a): "\(node): unknown activation \"\(a)\" (relu)"
        case .channelsNotDivisible(let node, let channels, let by):
            "\(node): \(channels) channels are not divisible by \(by)"
        case .undefinedOutput(let name): "output \"\(name)\" is not defined by any node"
        case .finalShape(let channels, let numerator, let denominator, let scale):
            "output has \(channels) channels at \(numerator)/\(denominator) × the input size, needs 1 channel at ×\(scale)"
        case .invalidQuantizer(let why): "quantizer: \(why)"
        case .invalidPhase(let node, let why): "\(node): bias_phase: \(why)"
        }
    }
}
