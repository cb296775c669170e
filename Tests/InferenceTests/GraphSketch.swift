import Inference
import SansIO

/// Deterministic weights and inputs from SansIO's SplitMix64.
struct SeededRandom {
    var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(state: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in [low, high).
    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func floats(_ count: Int, _ low: Float = 0, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }

    mutating func map(channels: Int, height: Int, width: Int) -> FeatureMap {
        FeatureMap(channels: channels, height: height, width: width, values: floats(channels * height * width))
            ?? FeatureMap(channels: channels, height: height, width: width)
    }
}

/// Builds architectures node by node with random weights, for tests.
struct GraphSketch {
    var scale: Int
    var inputs: [ModelArchitecture.Input]
    var nodes: [ModelArchitecture.Node] = []
    var tensors: [SafetensorsTensor] = []
    var random: SeededRandom
    /// Set by `conditionOnQuantizer`.
    var quantizer: ModelArchitecture.Quantizer?
    private var counter = 0

    init(scale: Int = 2, inputs: [ModelArchitecture.Input] = [.init(name: "lr", channels: 1)], seed: UInt64 = 1) {
        self.scale = scale
        self.inputs = inputs
        random = SeededRandom(seed: seed)
    }

    private mutating func name(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)\(counter)"
    }

    mutating func conv(_ input: String, _ inChannels: Int, _ outChannels: Int, kernel: Int = 3,
                       bias: Bool = true, relu: Bool = false) -> String {
        let output = name("c")
        let bound = 1 / Float(kernel * kernel * inChannels).squareRoot()
        tensors.append(SafetensorsTensor(name: output + ".weight", shape: [outChannels, inChannels, kernel, kernel],
                                         values: random.floats(outChannels * inChannels * kernel * kernel, -bound, bound)))
        if bias {
            tensors.append(SafetensorsTensor(name: output + ".bias", shape: [outChannels],
                                             values: random.floats(outChannels, -0.1, 0.1)))
        }
        nodes.append(.conv2d(input, output, weight: output + ".weight", bias: bias ? output + ".bias" : nil,
                             kernel: kernel, inChannels: inChannels, outChannels: outChannels, relu: relu))
        return output
    }

    /// `shared`: one slope for every channel (PyTorch's `nn.PReLU()`), stored with shape [1].
    mutating func prelu(_ input: String, _ channels: Int, shared: Bool = false) -> String {
        let output = name("p")
        let count = shared ? 1 : channels
        tensors.append(SafetensorsTensor(name: output + ".alpha", shape: [count], values: random.floats(count, -0.3, 0.4)))
        nodes.append(ModelArchitecture.Node(op: "prelu", input: input, output: output, weight: output + ".alpha"))
        return output
    }

    mutating func relu(_ input: String) -> String {
        let output = name("r")
        nodes.append(ModelArchitecture.Node(op: "relu", input: input, output: output))
        return output
    }

    mutating func add(_ a: String, _ b: String) -> String {
        let output = name("a")
        nodes.append(ModelArchitecture.Node(op: "add", inputs: [a, b], output: output))
        return output
    }

    mutating func concat(_ values: [String]) -> String {
        let output = name("k")
        nodes.append(ModelArchitecture.Node(op: "concat", inputs: values, output: output))
        return output
    }

    mutating func shuffle(_ input: String, _ factor: Int) -> String {
        let output = name("s")
        nodes.append(ModelArchitecture.Node(op: "pixel_shuffle", input: input, output: output, factor: factor))
        return output
    }

    mutating func unshuffle(_ input: String, _ factor: Int) -> String {
        let output = name("u")
        nodes.append(ModelArchitecture.Node(op: "pixel_unshuffle", input: input, output: output, factor: factor))
        return output
    }

    /// Ends with conv → scale² channels → pixel_shuffle(scale) from `value` (`channels` wide).
    mutating func finish(_ value: String, _ channels: Int) -> String {
        let last = conv(value, channels, scale * scale)
        return scale == 1 ? last : shuffle(last, scale)
    }

    /// Gives every convolution so far a random `bias_quantizer` and the architecture a quantizer
    /// mapping (VP8 identity, VP9 a line), as Training/export.py writes for a conditioned model.
    mutating func conditionOnQuantizer(fallback: Double = 0.5) {
        for i in nodes.indices where nodes[i].op == "conv2d" {
            let name = nodes[i].output + ".bias_quantizer", channels = nodes[i].outChannels ?? 0
            tensors.append(SafetensorsTensor(name: name, shape: [2, channels], values: random.floats(2 * channels, -0.5, 0.5)))
            nodes[i].biasQuantizer = name
        }
        quantizer = ModelArchitecture.Quantizer(range: 127, codecs: ["vp8": [1, 0], "vp9": [0.8, -88]], fallback: fallback)
    }

    /// Gives every convolution so far a random `weight_quantizer` (call `conditionOnQuantizer`
    /// too, for the architecture's mapping).
    mutating func conditionWeightsOnQuantizer() {
        for i in nodes.indices where nodes[i].op == "conv2d" {
            let name = nodes[i].output + ".weight_quantizer"
            let o = nodes[i].outChannels ?? 0, c = nodes[i].inChannels ?? 0, k = nodes[i].kernel ?? 0
            tensors.append(SafetensorsTensor(name: name, shape: [o, c, k, k], values: random.floats(o * c * k * k, -0.3, 0.3)))
            nodes[i].weightQuantizer = name
        }
    }

    /// Gives the convolutions `outputs` a random `bias_phase` of period `period` (a block-grid
    /// conditioning, as Training/export.py writes with `train.py --phase`).
    mutating func conditionOnPhase(_ outputs: [String], period: Int) {
        for i in nodes.indices where nodes[i].op == "conv2d" && outputs.contains(nodes[i].output) {
            let name = nodes[i].output + ".bias_phase", channels = nodes[i].outChannels ?? 0
            tensors.append(SafetensorsTensor(name: name, shape: [2, channels, period],
                                             values: random.floats(2 * channels * period, -0.5, 0.5)))
            nodes[i].biasPhase = name
        }
    }

    func architecture(output: String, receptiveField: Int = 32, skip: String = "bicubic") -> ModelArchitecture {
        var architecture = ModelArchitecture(scale: scale, skip: skip, receptiveField: receptiveField, inputs: inputs,
                                             nodes: nodes, output: output)
        architecture.quantizer = quantizer
        return architecture
    }

    func bytes(output: String, receptiveField: Int = 32, skip: String = "bicubic") -> [UInt8] {
        ModelFile.serialize(architecture: architecture(output: output, receptiveField: receptiveField, skip: skip),
                            tensors: tensors)
    }

    func model(output: String, receptiveField: Int = 32, skip: String = "bicubic") throws -> ModelFile {
        try ModelFile(bytes: bytes(output: output, receptiveField: receptiveField, skip: skip))
    }

    /// The network measured in docs (DESIGN §8): conv 1→16, 3 × (conv 16→16 + ReLU), conv 16→4,
    /// pixel_shuffle 2.
    static func designReference(seed: UInt64 = 7) throws -> ModelFile {
        var sketch = GraphSketch(scale: 2, seed: seed)
        var x = sketch.conv("lr", 1, 16)
        for _ in 0..<3 { x = sketch.conv(x, 16, 16, relu: true) }
        let out = sketch.finish(x, 16)
        return try sketch.model(output: out, receptiveField: 5)
    }

    /// Random graph using every op kind somewhere, ending at 1 channel × scale.
    static func random(seed: UInt64, scale: Int = 2, temporal: Bool = false) throws -> ModelFile {
        var inputs: [ModelArchitecture.Input] = [.init(name: "lr", channels: 1)]
        if temporal {
            inputs.append(.init(name: "prev_lr", channels: 1))
            inputs.append(.init(name: "prev_out", channels: scale * scale))
        }
        var sketch = GraphSketch(scale: scale, inputs: inputs, seed: seed)
        var available: [(name: String, channels: Int)] = inputs.map { ($0.name, $0.channels) }
        var current = (name: "lr", channels: 1)
        if temporal {
            current = (sketch.concat(inputs.map(\.name)), 2 + scale * scale)
            available.append(current)
        }
        let steps = sketch.random.int(4...8)
        for _ in 0..<steps {
            switch sketch.random.int(0...6) {
            case 0, 1:
                let out = [4, 8, 12, 16][sketch.random.int(0...3)]
                let kernel = sketch.random.bool() ? 3 : 1
                current = (sketch.conv(current.name, current.channels, out, kernel: kernel,
                                       bias: sketch.random.bool(), relu: sketch.random.bool()), out)
            case 2:
                current = (sketch.prelu(current.name, current.channels), current.channels)
            case 3:
                current = (sketch.relu(current.name), current.channels)
            case 4:
                if let partner = available.last(where: { $0.channels == current.channels && $0.name != current.name }) {
                    current = (sketch.add(current.name, partner.name), current.channels)
                } else {
                    let branch = sketch.conv(current.name, current.channels, current.channels, kernel: 1)
                    current = (sketch.add(current.name, branch), current.channels)
                }
            case 5:
                let other = available[sketch.random.int(0...(available.count - 1))]
                current = (sketch.concat([current.name, other.name]), current.channels + other.channels)
            default:
                let down = sketch.unshuffle(current.name, 2)
                let mid = sketch.conv(down, current.channels * 4, 8, relu: true)
                let back = sketch.conv(mid, 8, 4 * current.channels)
                current = (sketch.shuffle(back, 2), current.channels)
            }
            available.append(current)
        }
        let output = sketch.finish(current.name, current.channels)
        return try sketch.model(output: output, receptiveField: 64)
    }
}
