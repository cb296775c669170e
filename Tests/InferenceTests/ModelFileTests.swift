import Foundation
import Inference
import Testing

private func loadError(_ bytes: [UInt8]) -> ModelLoadError? {
    do {
        _ = try ModelFile(bytes: bytes)
        return nil
    } catch {
        return error
    }
}

/// The validation error for `sketch` ending at `output`, or nil when it loads.
private func validationError(_ sketch: GraphSketch, output: String, receptiveField: Int = 32) -> ModelValidationError? {
    guard case .invalid(let error) = loadError(sketch.bytes(output: output, receptiveField: receptiveField)) else { return nil }
    return error
}

private func node(_ index: Int, _ op: String, _ output: String) -> NodeReference {
    NodeReference(index: index, op: op, output: output)
}

@Suite("ModelFile and architecture validation")
struct ModelFileTests {
    /// The example architecture of docs/model-format.md, written out as its JSON text.
    static let documentedArchitecture = """
        {"scale": 2, "planes": "y", "skip": "bicubic", "receptive_field": 6,
         "inputs": [ {"name": "lr", "channels": 1} ],
         "nodes": [
           {"op": "conv2d", "input": "lr", "output": "h0", "weight": "head.weight", "bias": "head.bias",
            "kernel": 3, "in_channels": 1, "out_channels": 16},
           {"op": "prelu", "input": "h0", "output": "a0", "weight": "head.alpha"},
           {"op": "conv2d", "input": "a0", "output": "h1", "weight": "tail.weight", "bias": "tail.bias",
            "kernel": 3, "in_channels": 16, "out_channels": 4},
           {"op": "pixel_shuffle", "input": "h1", "output": "out", "factor": 2}
         ],
         "output": "out"}
        """

    static func documentedTensors() -> [SafetensorsTensor] {
        [SafetensorsTensor(name: "head.weight", shape: [16, 1, 3, 3], values: [Float](repeating: 0.01, count: 144)),
         SafetensorsTensor(name: "head.bias", shape: [16], values: [Float](repeating: 0, count: 16)),
         SafetensorsTensor(name: "head.alpha", shape: [16], values: [Float](repeating: 0.1, count: 16)),
         SafetensorsTensor(name: "tail.weight", shape: [4, 16, 3, 3], values: [Float](repeating: 0.01, count: 576)),
         SafetensorsTensor(name: "tail.bias", shape: [4], values: [0, 0, 0, 0])]
    }

    static func documented(architecture: String = documentedArchitecture, format: String? = "loupe-restoration/1",
                           tensors: [SafetensorsTensor] = documentedTensors()) -> [UInt8] {
        var metadata = ["architecture": architecture, "name": "doc-example"]
        if let format { metadata["format"] = format }
        return SafetensorsFile.serialize(tensors, metadata: metadata)
    }

    @Test func loadsTheDocumentedExample() throws {
        let model = try ModelFile(bytes: Self.documented())
        #expect(model.architecture.scale == 2)
        #expect(model.architecture.receptiveField == 6)
        #expect(model.metadata["name"] == "doc-example")
        #expect(model.graph.nodes.count == 4)
        #expect(model.graph.requiredReceptiveField == 2)
        #expect(model.graph.alignment == 1)
        #expect(model.graph.skip == .bicubic)
        #expect(model.graph.inputRoles == [.currentLuma])
        #expect(model.graph.multiplyAccumulates(width: 10, height: 10) == 100 * 9 * (16 + 64))
    }

    @Test func metadataErrors() {
        #expect(loadError(Self.documented(format: nil)) == .missingMetadata("format"))
        #expect(loadError(Self.documented(format: "loupe-restoration/2")) == .unknownFormat("loupe-restoration/2"))
        #expect(loadError(SafetensorsFile.serialize([], metadata: ["format": "loupe-restoration/1"])) == .missingMetadata("architecture"))
        guard case .architectureNotDecodable = loadError(Self.documented(architecture: "{\"scale\": 2")) else {
            Issue.record("truncated architecture JSON accepted")
            return
        }
        guard case .architectureNotDecodable(let reason) = loadError(Self.documented(
            architecture: Self.documentedArchitecture.replacingOccurrences(of: "\"kernel\": 3, \"in_channels\": 1",
                                                                            with: "\"kernel\": \"3\", \"in_channels\": 1"))) else {
            Issue.record("string kernel accepted")
            return
        }
        #expect(reason.contains("nodes"))
        guard case .file(.trailingBytes(count: 3)) = loadError(Self.documented() + [1, 2, 3]) else {
            Issue.record("trailing bytes accepted")
            return
        }
    }

    @Test func tensorErrorsNameTheNode() {
        var tensors = Self.documentedTensors()
        tensors.remove(at: 2)
        #expect(loadError(Self.documented(tensors: tensors))
                == .invalid(.missingTensor(node(1, "prelu", "a0"), tensor: "head.alpha")))
        tensors = Self.documentedTensors()
        tensors[3] = SafetensorsTensor(name: "tail.weight", shape: [4, 16, 1, 1], values: [Float](repeating: 0, count: 64))
        #expect(loadError(Self.documented(tensors: tensors))
                == .invalid(.tensorShape(node(2, "conv2d", "h1"), tensor: "tail.weight", expected: [4, 16, 3, 3], actual: [4, 16, 1, 1])))
    }

    @Test func graphErrorsNameTheNode() {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 8)
        s.nodes.append(ModelArchitecture.Node(op: "gelu", input: c, output: "g"))
        #expect(validationError(s, output: "g") == .unknownOp(node(1, "gelu", "g")))

        s = GraphSketch(scale: 2)
        _ = s.conv("lr", 1, 8)
        s.nodes.append(ModelArchitecture.Node(op: "relu", input: "later", output: "r"))
        #expect(validationError(s, output: "r") == .undefinedValue(node(1, "relu", "r"), name: "later"))

        s = GraphSketch(scale: 2)
        let first = s.conv("lr", 1, 8)
        s.nodes.append(ModelArchitecture.Node(op: "relu", input: first, output: first))
        #expect(validationError(s, output: first) == .redefinedValue(node(1, "relu", first), name: first))

        s = GraphSketch(scale: 2)
        let a = s.conv("lr", 1, 8)
        let b = s.conv(a, 8, 4)
        s.nodes.append(ModelArchitecture.Node(op: "add", inputs: [a, b], output: "sum"))
        #expect(validationError(s, output: "sum") == .channelMismatch(node(2, "add", "sum"), expected: 8, actual: 4))

        s = GraphSketch(scale: 2)
        let x = s.conv("lr", 1, 8)
        s.nodes.append(.conv2d(x, "y", weight: "missing", bias: nil, kernel: 3, inChannels: 6, outChannels: 4))
        #expect(validationError(s, output: "y") == .channelMismatch(node(1, "conv2d", "y"), expected: 6, actual: 8))

        s = GraphSketch(scale: 2)
        s.nodes.append(.conv2d("lr", "y", weight: "w", bias: nil, kernel: 5, inChannels: 1, outChannels: 4))
        #expect(validationError(s, output: "y") == .invalidKernel(node(0, "conv2d", "y"), 5))

        s = GraphSketch(scale: 2)
        let six = s.conv("lr", 1, 6)
        s.nodes.append(ModelArchitecture.Node(op: "pixel_shuffle", input: six, output: "p", factor: 2))
        #expect(validationError(s, output: "p") == .channelsNotDivisible(node(1, "pixel_shuffle", "p"), channels: 6, by: 4))

        s = GraphSketch(scale: 2)
        let low = s.unshuffle("lr", 2)
        let full = s.conv("lr", 1, 4)
        s.nodes.append(ModelArchitecture.Node(op: "concat", inputs: [low, full], output: "k"))
        #expect(validationError(s, output: "k") == .resolutionMismatch(node(2, "concat", "k")))

        s = GraphSketch(scale: 2)
        s.nodes.append(ModelArchitecture.Node(op: "pixel_shuffle", input: "lr", output: "p"))
        #expect(validationError(s, output: "p") == .missingField(node(0, "pixel_shuffle", "p"), field: "factor"))

        s = GraphSketch(scale: 2)
        let act = s.conv("lr", 1, 4)
        s.nodes[0].activation = "tanh"
        #expect(validationError(s, output: act) == .unknownActivation(node(0, "conv2d", act), "tanh"))
    }

    @Test func outputAndShapeErrors() {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 4)
        #expect(validationError(s, output: c) == .finalShape(channels: 4, numerator: 1, denominator: 1, scale: 2))
        #expect(validationError(s, output: "nothing") == .undefinedOutput("nothing"))
        let out = s.shuffle(c, 2)
        #expect(validationError(s, output: out) == nil)
        #expect(validationError(s, output: out, receptiveField: 0) == .receptiveFieldTooSmall(declared: 0, required: 1))

        s = GraphSketch(scale: 3)
        let four = s.conv("lr", 1, 4)
        let wrong = s.shuffle(four, 2)
        #expect(validationError(s, output: wrong) == .finalShape(channels: 1, numerator: 2, denominator: 1, scale: 3))
    }

    @Test func inputErrors() {
        var s = GraphSketch(scale: 2, inputs: [.init(name: "lr", channels: 2)])
        var out = s.finish("lr", 2)
        #expect(validationError(s, output: out) == .firstInputChannels(name: "lr", channels: 2))

        s = GraphSketch(scale: 2, inputs: [.init(name: "lr", channels: 1), .init(name: "depth", channels: 1)])
        out = s.finish("lr", 1)
        #expect(validationError(s, output: out) == .unknownInput("depth"))

        s = GraphSketch(scale: 2, inputs: [.init(name: "lr", channels: 1), .init(name: "prev_out", channels: 1)])
        out = s.finish("lr", 1)
        #expect(validationError(s, output: out) == .inputChannels(name: "prev_out", expected: 4, actual: 1))

        s = GraphSketch(scale: 2, inputs: [])
        #expect(validationError(s, output: "lr") == .noInputs)

        s = GraphSketch(scale: 9)
        #expect(validationError(s, output: "lr") == .unsupportedScale(9))

        s = GraphSketch(scale: 1)
        out = s.finish("lr", 1)
        guard case .invalid(.unknownSkip("lanczos")) = loadError(s.bytes(output: out, skip: "lanczos")) else {
            Issue.record("unknown skip accepted")
            return
        }
    }

    /// A quantizer-conditioned graph (docs/model-format.md): `bias_quantizer` [2, out] tensors on
    /// convolutions, the architecture's `quantizer` mapping codec indexes to 0…1.
    @Test func quantizerConditioning() throws {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 4)
        let out = s.shuffle(c, 2)
        s.conditionOnQuantizer(fallback: 0.8)
        let mapping = try #require(try s.model(output: out).graph.quantizer)
        #expect(mapping.normalized(index: 0, codec: "vp8") == 0)
        #expect(mapping.normalized(index: 127, codec: "vp8") == 1)
        #expect(abs((mapping.normalized(index: 64, codec: "vp8") ?? 0) - 64 / 127) < 1e-6)
        #expect(mapping.normalized(index: 80, codec: "vp9") == 0)                 // 0.8 · 80 − 88 < 0: clamped
        #expect(abs((mapping.normalized(index: 200, codec: "vp9") ?? 0) - 72 / 127) < 1e-6)
        #expect(mapping.normalized(index: 50, codec: "av1") == nil)
        #expect(mapping.fallback == 0.8)
        let text = String(decoding: s.bytes(output: out), as: UTF8.self)
        #expect(text.contains("\\\"bias_quantizer\\\"") && text.contains("\\\"default\\\":0.8"))

        // The tensors without the architecture's mapping, the mapping without tensors, a bad
        // default, and a tensor of the wrong shape.
        var bare = s
        bare.quantizer = nil
        #expect(validationError(bare, output: out) == .invalidQuantizer("bias_quantizer or weight_quantizer tensors without the architecture's quantizer"))
        var unused = GraphSketch(scale: 2)
        let u = unused.shuffle(unused.conv("lr", 1, 4), 2)
        unused.quantizer = ModelArchitecture.Quantizer(range: 127, codecs: ["vp8": [1, 0]], fallback: 0.5)
        #expect(validationError(unused, output: u) == .invalidQuantizer("no convolution has a bias_quantizer or weight_quantizer"))
        var badDefault = s
        badDefault.quantizer?.fallback = 1.5
        #expect(validationError(badDefault, output: out)
                == .invalidQuantizer("needs range > 0, per codec [slope, intercept], and a default in 0…1"))
        var wrongShape = s
        let name = try #require(wrongShape.nodes[0].biasQuantizer)
        wrongShape.tensors.removeAll { $0.name == name }
        wrongShape.tensors.append(SafetensorsTensor(name: name, shape: [4], values: [0, 0, 0, 0]))
        #expect(validationError(wrongShape, output: out)
                == .tensorShape(node(0, "conv2d", c), tensor: name, expected: [2, 4], actual: [4]))
    }

    /// A block-grid-conditioned graph: `bias_phase` tensors `[2, out, P]` on convolutions at the
    /// input resolution; a wrong shape, a too-long period and a convolution at ×2 are refused.
    @Test func blockGridConditioning() throws {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 4)
        let out = s.shuffle(c, 2)
        s.conditionOnPhase([c], period: 16)
        let graph = try s.model(output: out).graph
        guard case .conv2d(let p) = graph.nodes[0].operation else { Issue.record("not a conv"); return }
        #expect(p.phasePeriod == 16)
        let text = String(decoding: s.bytes(output: out), as: UTF8.self)
        #expect(text.contains("\\\"bias_phase\\\""))

        var wrongShape = s
        let name = try #require(wrongShape.nodes[0].biasPhase)
        wrongShape.tensors.removeAll { $0.name == name }
        wrongShape.tensors.append(SafetensorsTensor(name: name, shape: [2, 3, 16], values: [Float](repeating: 0, count: 96)))
        #expect(validationError(wrongShape, output: out)
                == .invalidPhase(node(0, "conv2d", c), "shape [2, 3, 16], needs [2, 4, P] with P in 1…64"))
        var long = GraphSketch(scale: 2)
        let l = long.conv("lr", 1, 4)
        let lo = long.shuffle(l, 2)
        long.conditionOnPhase([l], period: 65)
        #expect(validationError(long, output: lo)
                == .invalidPhase(node(0, "conv2d", l), "shape [2, 4, 65], needs [2, 4, P] with P in 1…64"))
        var high = GraphSketch(scale: 2)
        let up = high.shuffle(high.conv("lr", 1, 4), 2)
        let h = high.conv(up, 1, 1)
        high.conditionOnPhase([h], period: 8)
        #expect(validationError(high, output: h)
                == .invalidPhase(node(2, "conv2d", h), "the convolution runs at ×2 the input size, needs ×1"))
    }

    @Test func receptiveFieldAndAlignmentAreComputed() throws {
        var s = GraphSketch(scale: 2)
        let down = s.unshuffle("lr", 2)                  // reach 1 (block), alignment 2
        let c1 = s.conv(down, 4, 8)                       // + 1 pixel at half resolution = 2
        let c2 = s.conv(c1, 8, 16, kernel: 1)             // + 0
        let up = s.shuffle(c2, 2)                         // 4 ch at ×1
        let c3 = s.conv(up, 4, 16)                        // + 1
        let up2 = s.shuffle(c3, 2)                        // 4 ch at ×2
        let c4 = s.conv(up2, 4, 1)                        // + 1/2
        let model = try s.model(output: c4, receptiveField: 5)
        #expect(model.graph.requiredReceptiveField == 5)  // ceil(1 + 2 + 1 + 0.5)
        #expect(model.graph.alignment == 2)
        let outputSize = try #require(model.graph.size(ofValue: model.graph.output, width: 10, height: 6))
        #expect(outputSize == (20, 12))
        let halfSize = try #require(model.graph.size(ofValue: 1, width: 10, height: 6))
        #expect(halfSize == (5, 3))
        #expect(model.graph.size(ofValue: 1, width: 9, height: 6) == nil)
    }

    @Test func architectureRoundTripsThroughItsJSON() throws {
        let model = try GraphSketch.random(seed: 5, temporal: true)
        let file = try SafetensorsFile(bytes: ModelFile.serialize(architecture: model.architecture, tensors: []))
        let text = try #require(file.metadata["architecture"])
        let decoded = try JSONDecoder().decode(ModelArchitecture.self, from: Data(text.utf8))
        #expect(decoded == model.architecture)
        #expect(!text.contains("null"))
        #expect(text.contains("\"receptive_field\":64"))
    }
}
