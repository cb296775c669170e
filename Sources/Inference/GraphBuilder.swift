/// Checks architecture nodes one by one, in order, against the values defined so far and the
/// file's tensors (used by `ModelGraph.init`).
struct GraphBuilder {
    let scale: Int
    let file: SafetensorsFile
    private(set) var values: [GraphValue] = []
    private(set) var index: [String: Int] = [:]
    /// Input pixels reached from each value (longest path of convolutions, in input pixels).
    private(set) var reach: [Double] = []
    private(set) var nodes: [GraphNode] = []
    private(set) var alignment = 1

    init(scale: Int, file: SafetensorsFile) {
        self.scale = scale
        self.file = file
    }

    mutating func define(_ value: GraphValue, by node: NodeReference?, reach valueReach: Double)
        throws(ModelValidationError) {
        guard index[value.name] == nil else { throw .redefinedValue(node, name: value.name) }
        index[value.name] = values.count
        values.append(value)
        reach.append(valueReach)
    }

    mutating func add(_ node: ModelArchitecture.Node, reference: NodeReference) throws(ModelValidationError) {
        let operation: GraphOperation
        let inputs: [Int]
        let channels: Int
        var valueScale: SpatialScale
        var valueReach: Double
        switch node.op {
        case "conv2d":
            let input = try single(node, reference)
            guard let kernel = node.kernel else { throw .missingField(reference, field: "kernel") }
            guard kernel == 1 || kernel == 3 else { throw .invalidKernel(reference, kernel) }
            guard let inChannels = node.inChannels else { throw .missingField(reference, field: "in_channels") }
            guard let outChannels = node.outChannels else { throw .missingField(reference, field: "out_channels") }
            try checkChannels(inChannels, reference)
            try checkChannels(outChannels, reference)
            guard values[input].channels == inChannels else {
                throw .channelMismatch(reference, expected: inChannels, actual: values[input].channels)
            }
            guard let weightName = node.weight else { throw .missingField(reference, field: "weight") }
            let weights = try tensor(weightName, shape: [outChannels, inChannels, kernel, kernel], reference)
            var bias: [Float]?
            if let biasName = node.bias { bias = try tensor(biasName, shape: [outChannels], reference) }
            var relu = false
            if let activation = node.activation {
                guard activation == "relu" else { throw .unknownActivation(reference, activation) }
                relu = true
            }
            var biasQuantizer: [Float]?
            if let name = node.biasQuantizer {
                biasQuantizer = try tensor(name, shape: [2, outChannels], reference)
                if bias == nil { bias = [Float](repeating: 0, count: outChannels) }
            }
            var biasPhase: [Float]?
            if let name = node.biasPhase {
                guard let info = file.tensors[name] else { throw .missingTensor(reference, tensor: name) }
                guard info.shape.count == 3, info.shape[0] == 2, info.shape[1] == outChannels,
                      (1...ConvolutionParameters.maximumPhasePeriod).contains(info.shape[2]) else {
                    throw .invalidPhase(reference, "shape \(info.shape), needs [2, \(outChannels), P] with P in "
                                        + "1…\(ConvolutionParameters.maximumPhasePeriod)")
                }
                guard values[input].scale == .one else {
                    throw .invalidPhase(reference, "the convolution runs at \(values[input].scale) the input size, needs ×1")
                }
                biasPhase = try tensor(name, shape: info.shape, reference)
                if bias == nil { bias = [Float](repeating: 0, count: outChannels) }
            }
            var weightQuantizer: [Float]?
            if let name = node.weightQuantizer {
                weightQuantizer = try tensor(name, shape: [outChannels, inChannels, kernel, kernel], reference)
            }
            operation = .conv2d(ConvolutionParameters(kernel: kernel, inChannels: inChannels, outChannels: outChannels,
                                                      weights: weights, bias: bias, relu: relu,
                                                      biasQuantizer: biasQuantizer, biasPhase: biasPhase,
                                                      weightQuantizer: weightQuantizer))
            inputs = [input]
            channels = outChannels
            valueScale = values[input].scale
            valueReach = reach[input] + Double(kernel / 2) * Double(valueScale.denominator) / Double(valueScale.numerator)
        case "prelu":
            let input = try single(node, reference)
            guard let weightName = node.weight else { throw .missingField(reference, field: "weight") }
            channels = values[input].channels
            var slopes: [Float]
            if let info = file.tensors[weightName], info.shape == [1], channels != 1 {
                // PyTorch's nn.PReLU() default: one slope shared by every channel.
                slopes = try tensor(weightName, shape: [1], reference)
                slopes = [Float](repeating: slopes.first ?? 0, count: channels)
            } else {
                slopes = try tensor(weightName, shape: [channels], reference)
            }
            operation = .prelu(slopes: slopes)
            inputs = [input]
            valueScale = values[input].scale
            valueReach = reach[input]
        case "relu":
            let input = try single(node, reference)
            operation = .relu
            inputs = [input]
            channels = values[input].channels
            valueScale = values[input].scale
            valueReach = reach[input]
        case "add", "concat":
            guard let names = node.inputs else { throw .missingField(reference, field: "inputs") }
            var indices: [Int] = []
            for name in names {
                guard let value = index[name] else { throw .undefinedValue(reference, name: name) }
                indices.append(value)
            }
            guard let first = indices.first else { throw .missingField(reference, field: "inputs") }
            if node.op == "add" {
                guard indices.count == 2 else { throw .missingField(reference, field: "inputs (two values)") }
                operation = .add
                channels = values[first].channels
            } else {
                operation = .concat
                channels = indices.reduce(0) { $0 + values[$1].channels }
                try checkChannels(channels, reference)
            }
            for value in indices {
                guard values[value].scale == values[first].scale else { throw .resolutionMismatch(reference) }
                if node.op == "add", values[value].channels != channels {
                    throw .channelMismatch(reference, expected: channels, actual: values[value].channels)
                }
            }
            inputs = indices
            valueScale = values[first].scale
            valueReach = indices.map { reach[$0] }.max() ?? 0
        case "pixel_shuffle", "pixel_unshuffle":
            let input = try single(node, reference)
            guard let factor = node.factor else { throw .missingField(reference, field: "factor") }
            guard (1...8).contains(factor) else { throw .invalidFactor(reference, factor) }
            let inputValue = values[input]
            inputs = [input]
            valueReach = reach[input]
            if node.op == "pixel_shuffle" {
                guard inputValue.channels % (factor * factor) == 0 else {
                    throw .channelsNotDivisible(reference, channels: inputValue.channels, by: factor * factor)
                }
                operation = .pixelShuffle(factor: factor)
                channels = inputValue.channels / (factor * factor)
                valueScale = inputValue.scale.times(factor)
            } else {
                operation = .pixelUnshuffle(factor: factor)
                channels = inputValue.channels * factor * factor
                try checkChannels(channels, reference)
                valueScale = inputValue.scale.divided(by: factor)
                alignment = SpatialScale.lcm(alignment, valueScale.denominator)
                // An output pixel gathers a factor × factor block of its input.
                valueReach += Double(factor - 1) * Double(inputValue.scale.denominator) / Double(inputValue.scale.numerator)
            }
        default:
            throw .unknownOp(reference)
        }
        try define(GraphValue(name: node.output, channels: channels, scale: valueScale), by: reference, reach: valueReach)
        nodes.append(GraphNode(reference: reference, operation: operation, inputs: inputs))
    }

    /// The index of the node's single `input`.
    private func single(_ node: ModelArchitecture.Node, _ reference: NodeReference) throws(ModelValidationError) -> Int {
        guard let name = node.input else { throw .missingField(reference, field: "input") }
        guard let value = index[name] else { throw .undefinedValue(reference, name: name) }
        return value
    }

    private func checkChannels(_ channels: Int, _ reference: NodeReference) throws(ModelValidationError) {
        guard (1...ModelGraph.maximumChannels).contains(channels) else { throw .invalidChannels(reference, channels) }
    }

    /// The values of tensor `name`, which must be F32 of exactly `shape`.
    private func tensor(_ name: String, shape: [Int], _ reference: NodeReference) throws(ModelValidationError) -> [Float] {
        guard let info = file.tensors[name] else { throw .missingTensor(reference, tensor: name) }
        guard info.dtype == .f32 else { throw .tensorNotF32(reference, tensor: name) }
        guard info.shape == shape else { throw .tensorShape(reference, tensor: name, expected: shape, actual: info.shape) }
        do {
            return try file.floats(name)
        } catch {
            throw .missingTensor(reference, tensor: name)
        }
    }
}
