/// Runs a `ModelGraph` with plain Swift loops, straight from the op definitions in
/// docs/model-format.md (PyTorch's semantics). Slow; it exists so that tests can check
/// `CompiledNetwork` against an independent implementation on any graph.
public struct ReferenceExecutor: Sendable {
    public let graph: ModelGraph

    public init(graph: ModelGraph) { self.graph = graph }

    /// The graph's output for `inputs` (one per graph input, all at the same size), for frames
    /// of normalized codec quantizer `quantizer` (conditioned graphs only; `ModelGraph.quantizer`),
    /// whose top-left pixel is at frame coordinate (`originX`, `originY`) (graphs with a block-grid
    /// conditioning: a tile of a frame).
    public func run(_ inputs: [FeatureMap], quantizer: Float = 0, originX: Int = 0,
                    originY: Int = 0) throws(InferenceError) -> FeatureMap {
        guard inputs.count == graph.inputs.count, let first = inputs.first else {
            throw .inputMismatch("\(inputs.count) inputs given, the graph has \(graph.inputs.count)")
        }
        guard first.width % graph.alignment == 0, first.height % graph.alignment == 0 else {
            throw .invalidSize(width: first.width, height: first.height, alignment: graph.alignment)
        }
        for (index, map) in inputs.enumerated() {
            guard map.channels == graph.inputs[index].channels, map.width == first.width, map.height == first.height else {
                throw .inputMismatch("input \(index) has the wrong shape")
            }
        }
        var values: [FeatureMap?] = inputs.map { $0 }
        values += [FeatureMap?](repeating: nil, count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            let arguments = node.inputs.compactMap { values[$0] }
            guard arguments.count == node.inputs.count, let x = arguments.first else {
                throw .inputMismatch("node \(index) reads an undefined value")
            }
            let result: FeatureMap
            switch node.operation {
            case .conv2d(let p):
                result = ReferenceExecutor.convolution(x, p, quantizer: quantizer, originX: originX, originY: originY)
            case .relu: result = ReferenceExecutor.map(x) { _, v in max(v, 0) }
            case .prelu(let slopes): result = ReferenceExecutor.map(x) { c, v in v > 0 ? v : v * slopes[c] }
            case .add:
                var sum = x
                for i in sum.values.indices { sum.values[i] += arguments[1].values[i] }
                result = sum
            case .concat:
                let channels = arguments.reduce(0) { $0 + $1.channels }
                let values = arguments.flatMap(\.values)
                result = FeatureMap(channels: channels, height: x.height, width: x.width, values: values)
                    ?? FeatureMap(channels: channels, height: x.height, width: x.width)
            case .pixelShuffle(let r): result = ReferenceExecutor.shuffle(x, r)
            case .pixelUnshuffle(let r): result = ReferenceExecutor.unshuffle(x, r)
            }
            values[graph.inputs.count + index] = result
        }
        guard let output = values[graph.output] else { throw .inputMismatch("output undefined") }
        return output
    }

    static func map(_ x: FeatureMap, _ f: (Int, Float) -> Float) -> FeatureMap {
        var y = x
        let plane = x.height * x.width
        for c in 0..<x.channels {
            for i in 0..<plane { y.values[c * plane + i] = f(c, x.values[c * plane + i]) }
        }
        return y
    }

    /// Cross-correlation (PyTorch's conv2d), stride 1, zero padding kernel / 2, then bias and ReLU.
    static func convolution(_ x: FeatureMap, _ p: ConvolutionParameters, quantizer: Float = 0, originX: Int = 0,
                            originY: Int = 0) -> FeatureMap {
        var y = FeatureMap(channels: p.outChannels, height: x.height, width: x.width)
        let k = p.kernel, pad = k / 2
        let biases = p.bias(quantizer: quantizer)
        let kernelWeights = p.weights(quantizer: quantizer)
        for o in 0..<p.outChannels {
            let bias = biases[o]
            for row in 0..<x.height {
                for col in 0..<x.width {
                    var sum: Double = Double(bias)
                    if p.biasPhase != nil {
                        sum += Double(p.phaseShift(channel: o, axis: 0, coordinate: originY + row))
                            + Double(p.phaseShift(channel: o, axis: 1, coordinate: originX + col))
                    }
                    for i in 0..<p.inChannels {
                        for ky in 0..<k {
                            let sy = row + ky - pad
                            guard sy >= 0, sy < x.height else { continue }
                            for kx in 0..<k {
                                let sx = col + kx - pad
                                guard sx >= 0, sx < x.width else { continue }
                                let weight = kernelWeights[((o * p.inChannels + i) * k + ky) * k + kx]
                                sum += Double(weight) * Double(x[i, sy, sx])
                            }
                        }
                    }
                    let value = Float(sum)
                    y[o, row, col] = p.relu ? max(value, 0) : value
                }
            }
        }
        return y
    }

    static func shuffle(_ x: FeatureMap, _ r: Int) -> FeatureMap {
        let channels = x.channels / (r * r)
        var y = FeatureMap(channels: channels, height: x.height * r, width: x.width * r)
        for c in 0..<channels {
            for i in 0..<r {
                for j in 0..<r {
                    for row in 0..<x.height {
                        for col in 0..<x.width {
                            y[c, row * r + i, col * r + j] = x[c * r * r + i * r + j, row, col]
                        }
                    }
                }
            }
        }
        return y
    }

    static func unshuffle(_ x: FeatureMap, _ r: Int) -> FeatureMap {
        var y = FeatureMap(channels: x.channels * r * r, height: x.height / r, width: x.width / r)
        for c in 0..<x.channels {
            for i in 0..<r {
                for j in 0..<r {
                    for row in 0..<y.height {
                        for col in 0..<y.width {
                            y[c * r * r + i * r + j, row, col] = x[c, row * r + i, col * r + j]
                        }
                    }
                }
            }
        }
        return y
    }
}
