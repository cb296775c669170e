import Inference
import SansIO
import Media

/// Deterministic weights and pictures from SansIO's SplitMix64.
struct SeededRandom {
    var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(state: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func float(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func floats(_ count: Int, _ low: Float, _ high: Float) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }

    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 56) }
}

/// Small restoration models written as files by the tests themselves.
enum TestModels {
    /// conv 1→c (+PReLU), `blocks` × (conv c→c + PReLU), conv c→scale², pixel_shuffle (the shape
    /// of the project's network), random weights.
    /// `quantizer`: every conv's bias also moves with the frame's quantizer (docs/model-format.md),
    /// VP8 indexes / 127, default 0.5, no VP9 mapping. `phase`: every conv's bias also moves with
    /// the pixel's place in a block grid of that period (`bias_phase`).
    static func plain(channels: Int = 8, blocks: Int = 2, scale: Int = 2, seed: UInt64 = 11,
                      skip: String = "bicubic", quantizer: Bool = false, phase: Int = 0) throws -> ModelFile {
        var random = SeededRandom(seed: seed)
        var nodes: [ModelArchitecture.Node] = []
        var tensors: [SafetensorsTensor] = []
        func conv(_ name: String, _ input: String, _ cin: Int, _ cout: Int) {
            let bound = 1 / Float(9 * cin).squareRoot()
            tensors.append(SafetensorsTensor(name: name + ".weight", shape: [cout, cin, 3, 3],
                                             values: random.floats(cout * cin * 9, -bound, bound)))
            tensors.append(SafetensorsTensor(name: name + ".bias", shape: [cout], values: random.floats(cout, -0.05, 0.05)))
            var node = ModelArchitecture.Node.conv2d(input, name, weight: name + ".weight", bias: name + ".bias", kernel: 3,
                                                     inChannels: cin, outChannels: cout)
            if quantizer {
                tensors.append(SafetensorsTensor(name: name + ".bias_quantizer", shape: [2, cout],
                                                 values: random.floats(2 * cout, -0.3, 0.3)))
                node.biasQuantizer = name + ".bias_quantizer"
            }
            if phase > 0 {
                tensors.append(SafetensorsTensor(name: name + ".bias_phase", shape: [2, cout, phase],
                                                 values: random.floats(2 * cout * phase, -0.3, 0.3)))
                node.biasPhase = name + ".bias_phase"
            }
            nodes.append(node)
        }
        func prelu(_ name: String, _ input: String, _ c: Int) {
            tensors.append(SafetensorsTensor(name: name + ".alpha", shape: [c], values: random.floats(c, 0.05, 0.3)))
            nodes.append(ModelArchitecture.Node(op: "prelu", input: input, output: name, weight: name + ".alpha"))
        }
        conv("head", "lr", 1, channels)
        prelu("a0", "head", channels)
        var last = "a0"
        for i in 0..<blocks {
            conv("body\(i)", last, channels, channels)
            prelu("a\(i + 1)", "body\(i)", channels)
            last = "a\(i + 1)"
        }
        conv("tail", last, channels, scale * scale)
        var output = "tail"
        if scale > 1 {
            nodes.append(ModelArchitecture.Node(op: "pixel_shuffle", input: "tail", output: "out", factor: scale))
            output = "out"
        }
        var architecture = ModelArchitecture(scale: scale, skip: skip, receptiveField: blocks + 2,
                                             inputs: [.init(name: "lr", channels: 1)], nodes: nodes, output: output)
        if quantizer { architecture.quantizer = .init(range: 127, codecs: ["vp8": [1, 0]], fallback: 0.5) }
        return try ModelFile(bytes: ModelFile.serialize(architecture: architecture, tensors: tensors, metadata: ["name": "test"]))
    }

    /// The temporal layout of Training/model.py: concat(lr, prev_lr) → conv, prev_out → 1×1 conv,
    /// add, PReLU, conv → scale², pixel_shuffle.
    static func temporal(channels: Int = 8, scale: Int = 2, seed: UInt64 = 5) throws -> ModelFile {
        var random = SeededRandom(seed: seed)
        let s2 = scale * scale
        let tensors = [
            SafetensorsTensor(name: "head.weight", shape: [channels, 2, 3, 3], values: random.floats(channels * 18, -0.3, 0.3)),
            SafetensorsTensor(name: "head.bias", shape: [channels], values: random.floats(channels, -0.05, 0.05)),
            SafetensorsTensor(name: "prev.weight", shape: [channels, s2, 1, 1], values: random.floats(channels * s2, -0.3, 0.3)),
            SafetensorsTensor(name: "prev.bias", shape: [channels], values: random.floats(channels, -0.05, 0.05)),
            SafetensorsTensor(name: "head.alpha", shape: [channels], values: random.floats(channels, 0.05, 0.3)),
            SafetensorsTensor(name: "tail.weight", shape: [s2, channels, 3, 3], values: random.floats(s2 * channels * 9, -0.1, 0.1)),
            SafetensorsTensor(name: "tail.bias", shape: [s2], values: random.floats(s2, -0.01, 0.01)),
        ]
        let nodes: [ModelArchitecture.Node] = [
            ModelArchitecture.Node(op: "concat", inputs: ["lr", "prev_lr"], output: "x"),
            .conv2d("x", "h0c", weight: "head.weight", bias: "head.bias", kernel: 3, inChannels: 2, outChannels: channels),
            .conv2d("prev_out", "h0p", weight: "prev.weight", bias: "prev.bias", kernel: 1, inChannels: s2, outChannels: channels),
            ModelArchitecture.Node(op: "add", inputs: ["h0c", "h0p"], output: "h0"),
            ModelArchitecture.Node(op: "prelu", input: "h0", output: "a0", weight: "head.alpha"),
            .conv2d("a0", "t", weight: "tail.weight", bias: "tail.bias", kernel: 3, inChannels: channels, outChannels: s2),
            ModelArchitecture.Node(op: "pixel_shuffle", input: "t", output: "out", factor: scale),
        ]
        let architecture = ModelArchitecture(
            scale: scale, receptiveField: 2,
            inputs: [.init(name: "lr", channels: 1), .init(name: "prev_lr", channels: 1), .init(name: "prev_out", channels: s2)],
            nodes: nodes, output: "out")
        return try ModelFile(bytes: ModelFile.serialize(architecture: architecture, tensors: tensors))
    }

    /// A textured picture with a moving square: frame `index` of a little test clip.
    static func frame(width: Int, height: Int, index: Int = 0, square: Int = 10, seed: UInt64 = 99) -> I420Frame {
        var frame = I420Frame(width: width, height: height, timestamp: UInt32(index * 3000))
        var random = SeededRandom(seed: seed)
        for row in 0..<height {
            for col in 0..<width {
                let base = (row * 7 + col * 5) % 160 + 40
                frame.y[row * width + col] = UInt8(truncatingIfNeeded: base + Int(random.byte() % 24))
            }
        }
        for i in frame.u.indices { frame.u[i] = UInt8(truncatingIfNeeded: 100 + (i * 13) % 50) }
        for i in frame.v.indices { frame.v[i] = UInt8(truncatingIfNeeded: 120 + (i * 7) % 40) }
        if index > 0 {
            let x0 = (index * 3) % max(1, width - square), y0 = (index * 2) % max(1, height - square)
            for row in y0..<min(height, y0 + square) {
                for col in x0..<min(width, x0 + square) { frame.y[row * width + col] = 240 }
            }
        }
        return frame
    }
}
