/// A value's resolution relative to the graph's input: size = input size × numerator / denominator
/// (a reduced fraction; `pixel_shuffle(r)` multiplies by r, `pixel_unshuffle(r)` divides).
public struct SpatialScale: Sendable, Hashable, CustomStringConvertible {
    public let numerator: Int
    public let denominator: Int

    public static let one = SpatialScale(numerator: 1, denominator: 1)

    init(numerator: Int, denominator: Int) {
        let divisor = SpatialScale.gcd(numerator, denominator)
        self.numerator = numerator / divisor
        self.denominator = denominator / divisor
    }

    func times(_ factor: Int) -> SpatialScale { SpatialScale(numerator: numerator * factor, denominator: denominator) }
    func divided(by factor: Int) -> SpatialScale { SpatialScale(numerator: numerator, denominator: denominator * factor) }

    /// `size × numerator / denominator`, or nil when not a whole number.
    public func apply(_ size: Int) -> Int? {
        let product = size * numerator
        return product % denominator == 0 ? product / denominator : nil
    }

    public var description: String { denominator == 1 ? "×\(numerator)" : "×\(numerator)/\(denominator)" }

    static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (abs(a), abs(b))
        while y != 0 { (x, y) = (y, x % y) }
        return max(x, 1)
    }

    static func lcm(_ a: Int, _ b: Int) -> Int { a / gcd(a, b) * b }
}

/// A convolution's parameters: PyTorch's OIHW weights, optional bias, optional fused ReLU.
public struct ConvolutionParameters: Sendable, Hashable {
    public let kernel: Int
    public let inChannels: Int
    public let outChannels: Int
    /// `[out, in, kernel, kernel]`, row-major.
    public let weights: [Float]
    /// `[out]`, or nil for none (zeros when `biasQuantizer` is set).
    public let bias: [Float]?
    public let relu: Bool
    /// `[2, out]`: the bias in effect for a frame with normalized quantizer q is
    /// `bias + q · row 0 + q² · row 1`; nil for a convolution that does not depend on it.
    public var biasQuantizer: [Float]? = nil
    /// `[2, out, P]`: the block-grid conditioning. The bias at frame coordinate (y, x) moves by
    /// `row 0[o, y mod P] + row 1[o, x mod P]`; nil for a convolution without one.
    public var biasPhase: [Float]? = nil
    /// Shaped like `weights`: the kernel in effect for a frame with normalized quantizer q is
    /// `weights + q · weightQuantizer`; nil for a convolution whose kernel does not depend on it.
    public var weightQuantizer: [Float]? = nil

    /// The kernel for a frame with normalized quantizer `q` (OIHW).
    public func weights(quantizer q: Float) -> [Float] {
        guard let shift = weightQuantizer else { return weights }
        var result = weights
        for i in result.indices { result[i] += q * shift[i] }
        return result
    }

    /// The largest block-grid period a model may use.
    public static let maximumPhasePeriod = 64

    /// The block-grid period P (0: none).
    public var phasePeriod: Int { biasPhase.map { $0.count / (2 * outChannels) } ?? 0 }

    /// The bias for a frame with normalized quantizer `q` (zeros when there is none), before
    /// any block-grid shift.
    public func bias(quantizer q: Float) -> [Float] {
        var result = bias ?? [Float](repeating: 0, count: outChannels)
        if let shift = biasQuantizer {
            for o in 0..<outChannels { result[o] += q * shift[o] + q * q * shift[outChannels + o] }
        }
        return result
    }

    /// The block-grid shift of output channel `o` along `axis` (0: rows, 1: columns) at frame
    /// coordinate `coordinate` (0 without a block-grid conditioning).
    public func phaseShift(channel o: Int, axis: Int, coordinate: Int) -> Float {
        guard let table = biasPhase else { return 0 }
        let period = phasePeriod
        let phase = ((coordinate % period) + period) % period
        return table[(axis * outChannels + o) * period + phase]
    }

    /// Per row of a `count`-row map whose first row is frame row `origin`: its bias for a frame of
    /// normalized quantizer `q` (the block-grid row shift included; with `includingBias` false,
    /// that shift alone), `entry` floats per row (channels beyond `outChannels` zero).
    func rowBiases(quantizer q: Float, origin: Int, count: Int, entry: Int, includingBias: Bool = true) -> [Float] {
        let base = includingBias ? bias(quantizer: q) : [Float](repeating: 0, count: outChannels)
        var table = [Float](repeating: 0, count: count * entry)
        for row in 0..<count {
            for o in 0..<outChannels {
                table[row * entry + o] = base[o] + phaseShift(channel: o, axis: 0, coordinate: origin + row)
            }
        }
        return table
    }

    /// Per column of a `count`-column map whose first column is frame column `origin`: its
    /// block-grid shift, `entry` floats per column.
    func columnShifts(origin: Int, count: Int, entry: Int) -> [Float] {
        var table = [Float](repeating: 0, count: count * entry)
        for column in 0..<count {
            for o in 0..<outChannels {
                table[column * entry + o] = phaseShift(channel: o, axis: 1, coordinate: origin + column)
            }
        }
        return table
    }
}

/// How a quantizer-conditioned graph reads a frame's codec quantizer index (the architecture's
/// `quantizer`, checked): q = clamp(slope · index + intercept, 0, range) / range.
public struct QuantizerMapping: Sendable, Hashable {
    public let range: Double
    /// Codec name → (slope, intercept).
    public let codecs: [String: [Double]]
    /// The normalized quantizer for frames whose quantizer is unknown.
    public let fallback: Float

    /// The normalized quantizer (0…1) of a frame `codec` coded at quantizer `index`, or nil for a
    /// codec the model has no mapping for.
    public func normalized(index: Int, codec: String) -> Float? {
        guard let line = codecs[codec] else { return nil }
        let value = min(max(line[0] * Double(index) + line[1], 0), range)
        return Float(value / range)
    }
}

/// One operation of a validated graph.
public enum GraphOperation: Sendable, Hashable {
    case conv2d(ConvolutionParameters)
    /// Per-channel slopes for negative inputs.
    case prelu(slopes: [Float])
    case relu
    case add
    /// Along channels, in input order.
    case concat
    /// `[C·r², H, W] → [C, H·r, W·r]` in PyTorch's channel order.
    case pixelShuffle(factor: Int)
    /// `[C, H·r, W·r] → [C·r², H, W]`.
    case pixelUnshuffle(factor: Int)
}

/// One value of the graph (an input or a node's output).
public struct GraphValue: Sendable, Hashable {
    public let name: String
    public let channels: Int
    public let scale: SpatialScale
}

/// One node of a validated graph: reads `inputs` (indices into `ModelGraph.values`), defines value
/// `ModelGraph.inputs.count + its index`.
public struct GraphNode: Sendable, Hashable {
    public let reference: NodeReference
    public let operation: GraphOperation
    public let inputs: [Int]
}

/// Temporal-context inputs the processor fills (docs/model-format.md).
public enum GraphInputRole: Sendable, Hashable {
    /// The current frame's luma (the first input).
    case currentLuma
    /// `prev_lr`: the previous input luma.
    case previousInput
    /// `prev_out`: the previous output luma through `pixel_unshuffle(scale)`.
    case previousOutput
}

/// A model's architecture checked against its tensors: every value defined before use, every
/// tensor present with the shape its node needs, channels and resolutions consistent, and the
/// output `[1, 1, h·scale, w·scale]`.
public struct ModelGraph: Sendable, Hashable {
    public let scale: Int
    public let skip: SkipConnection
    /// The graph inputs in file order (values `0..<inputs.count`).
    public let inputs: [GraphValue]
    public let inputRoles: [GraphInputRole]
    public let nodes: [GraphNode]
    /// Inputs, then one value per node.
    public let values: [GraphValue]
    /// Index into `values` of the graph's output.
    public let output: Int
    /// The declared receptive field (at least `requiredReceptiveField`).
    public let receptiveField: Int
    /// Input pixels each side that the graph's convolutions reach along its longest path.
    public let requiredReceptiveField: Int
    /// Input width and height must be multiples of this (`pixel_unshuffle` factors).
    public let alignment: Int
    /// Set when convolutions depend on the frame's codec quantizer (`CompiledNetwork.setQuantizer`).
    public let quantizer: QuantizerMapping?

    public static let maximumNodes = 1024
    public static let maximumChannels = 4096

    /// Checks `architecture` against the tensors of `file`.
    public init(architecture: ModelArchitecture, file: SafetensorsFile) throws(ModelValidationError) {
        guard (1...8).contains(architecture.scale) else { throw .unsupportedScale(architecture.scale) }
        guard architecture.planes == "y" else { throw .unsupportedPlanes(architecture.planes) }
        guard let skip = SkipConnection(rawValue: architecture.skip) else { throw .unknownSkip(architecture.skip) }
        guard (0...256).contains(architecture.receptiveField) else {
            throw .invalidReceptiveField(architecture.receptiveField)
        }
        guard architecture.nodes.count <= ModelGraph.maximumNodes else { throw .tooManyNodes(architecture.nodes.count) }
        guard let first = architecture.inputs.first else { throw .noInputs }
        guard first.channels == 1 else { throw .firstInputChannels(name: first.name, channels: first.channels) }
        scale = architecture.scale
        self.skip = skip

        var builder = GraphBuilder(scale: architecture.scale, file: file)
        var roles: [GraphInputRole] = []
        for (index, input) in architecture.inputs.enumerated() {
            let role: GraphInputRole
            let channels: Int
            if index == 0 {
                role = .currentLuma
                channels = 1
            } else if input.name == "prev_lr" {
                role = .previousInput
                channels = 1
            } else if input.name == "prev_out" {
                role = .previousOutput
                channels = architecture.scale * architecture.scale
            } else {
                throw .unknownInput(input.name)
            }
            guard input.channels == channels else {
                throw .inputChannels(name: input.name, expected: channels, actual: input.channels)
            }
            guard !roles.contains(role) else { throw .redefinedValue(nil, name: input.name) }
            roles.append(role)
            try builder.define(GraphValue(name: input.name, channels: channels, scale: .one), by: nil, reach: 0)
        }
        inputs = builder.values
        inputRoles = roles

        for (index, node) in architecture.nodes.enumerated() {
            try builder.add(node, reference: NodeReference(index: index, op: node.op, output: node.output))
        }
        nodes = builder.nodes
        values = builder.values
        guard let output = builder.index[architecture.output] else { throw .undefinedOutput(architecture.output) }
        let final = values[output]
        guard final.channels == 1, final.scale == SpatialScale(numerator: architecture.scale, denominator: 1) else {
            throw .finalShape(channels: final.channels, numerator: final.scale.numerator,
                              denominator: final.scale.denominator, scale: architecture.scale)
        }
        self.output = output
        let required = Int(builder.reach[output].rounded(.up))
        guard architecture.receptiveField >= required else {
            throw .receptiveFieldTooSmall(declared: architecture.receptiveField, required: required)
        }
        requiredReceptiveField = required
        receptiveField = architecture.receptiveField
        alignment = builder.alignment
        let conditioned = nodes.contains { node in
            if case .conv2d(let p) = node.operation { return p.biasQuantizer != nil || p.weightQuantizer != nil }
            return false
        }
        if let spec = architecture.quantizer {
            guard spec.range.isFinite, spec.range > 0, !spec.codecs.isEmpty,
                  spec.codecs.values.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isFinite) }),
                  (0...1).contains(spec.fallback) else {
                throw .invalidQuantizer("needs range > 0, per codec [slope, intercept], and a default in 0…1")
            }
            guard conditioned else { throw .invalidQuantizer("no convolution has a bias_quantizer or weight_quantizer") }
            quantizer = QuantizerMapping(range: spec.range, codecs: spec.codecs, fallback: Float(spec.fallback))
        } else {
            guard !conditioned else {
                throw .invalidQuantizer("bias_quantizer or weight_quantizer tensors without the architecture's quantizer")
            }
            quantizer = nil
        }
    }

    /// Multiply-accumulates of one run on an input of `width × height` (convolutions only).
    public func multiplyAccumulates(width: Int, height: Int) -> Int {
        var total = 0
        for node in nodes {
            guard case .conv2d(let conv) = node.operation, let input = node.inputs.first else { continue }
            let scale = values[input].scale
            let pixels = (width * height * scale.numerator * scale.numerator) / (scale.denominator * scale.denominator)
            total += pixels * conv.kernel * conv.kernel * conv.inChannels * conv.outChannels
        }
        return total
    }

    /// The size of value `index` for an input of `width × height`, or nil when the size is not
    /// a multiple of `alignment`.
    public func size(ofValue index: Int, width: Int, height: Int) -> (width: Int, height: Int)? {
        guard values.indices.contains(index), let w = values[index].scale.apply(width),
              let h = values[index].scale.apply(height) else { return nil }
        return (w, h)
    }
}
