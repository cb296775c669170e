import Inference
import Media
import Restoration
import Testing

/// `Models/restore-x2.parity.safetensors` beside the default model, when this build has one.
private let parityPath: String? = RestorationProcessor.defaultModelPath.map {
    String($0.dropLast(".safetensors".count)) + ".parity.safetensors"
}

private func parityFixture() throws -> SafetensorsFile? {
    guard let parityPath else { return nil }
    return try? SafetensorsFile(contentsOfFile: parityPath)
}

@Suite("Default model")
struct DefaultModelTests {
    @Test func loadsOrSaysItIsMissing() throws {
        if RestorationProcessor.defaultModelPath == nil {
            #expect(throws: DefaultModelError.notBundled) { try RestorationProcessor.defaultModel() }
        } else {
            let model = try RestorationProcessor.defaultModel()
            #expect(model.graph.scale == 2)
            #expect(model.metadata["format"] == "loupe-restoration/1")
            let processor = try RestorationProcessor()
            #expect(processor.scale == 2)
        }
    }

    /// Training/export.py's fixture: random 8-bit inputs / 255 and PyTorch's graph output plus
    /// the bicubic skip, clamped, not rounded. oneDNN must agree within 1e-3.
    @Test(.enabled(if: (try? parityFixture()) != nil))
    func parityWithPyTorch() throws {
        let fixture = try #require(try parityFixture())
        let model = try RestorationProcessor.defaultModel()
        let graph = model.graph
        let lrInfo = try #require(fixture.tensors["input.lr"])
        let height = lrInfo.shape[2], width = lrInfo.shape[3]
        var inputs: [FeatureMap] = []
        for input in graph.inputs {
            let values = try fixture.floats("input." + input.name)
            inputs.append(try #require(FeatureMap(channels: input.channels, height: height, width: width, values: values)))
        }
        let network = try CompiledNetwork(graph: graph, width: width, height: height)
        let output = try network.run(inputs)
        // The skip: the 8-bit input through the node's bicubic, / 255.
        let lrBytes = inputs[0].values.map { UInt8(($0 * 255).rounded()) }
        let frame = try #require(I420Frame(width: width, height: height, y: lrBytes, strideY: width,
                                           u: [UInt8](repeating: 128, count: (width / 2) * (height / 2)), strideU: width / 2,
                                           v: [UInt8](repeating: 128, count: (width / 2) * (height / 2)), strideV: width / 2))
        let skip = try BicubicUpscaler(factor: graph.scale).upscale(frame).y
        let expected = try fixture.floats("output")
        #expect(expected.count == output.values.count)
        var largest: Float = 0
        for (i, value) in output.values.enumerated() {
            let restored = min(max(value + Float(skip[i]) / 255, 0), 1)
            largest = max(largest, abs(restored - expected[i]))
        }
        #expect(largest <= 1e-3, "max abs difference \(largest)")
        // The reference executor agrees too (a check on the check).
        let reference = try ReferenceExecutor(graph: graph).run(inputs)
        #expect(reference.maximumDifference(to: output) <= 1e-4)
        print("parity: max abs difference to PyTorch \(largest); oneDNN steps \(network.implementations)")
    }
}
