import Inference
import Media
import Restoration
import Testing

/// `Models/restore-x<scale>.parity.safetensors` beside a built-in model, when this build has one.
private func parityFixture(scale: Int) -> SafetensorsFile? {
    guard let path = RestorationProcessor.builtInModelPath(scale: scale) else { return nil }
    return try? SafetensorsFile(contentsOfFile: String(path.dropLast(".safetensors".count)) + ".parity.safetensors")
}

@Suite("Default model")
struct DefaultModelTests {
    @Test func loadsOrSaysItIsMissing() throws {
        if RestorationProcessor.defaultModelPath == nil {
            #expect(throws: DefaultModelError.notBundled(name: "restore-x2")) { try RestorationProcessor.defaultModel() }
        } else {
            let model = try RestorationProcessor.defaultModel()
            #expect(model.graph.scale == 2)
            #expect(model.metadata["format"] == "loupe-restoration/1")
            let processor = try RestorationProcessor()
            #expect(processor.scale == 2)
        }
    }

    @Test func repairOnlyModelIsBuiltInToo() throws {
        guard RestorationProcessor.builtInModelPath(scale: 1) != nil else {
            #expect(throws: DefaultModelError.notBundled(name: "restore-x1")) { try RestorationProcessor.builtInModel(scale: 1) }
            return
        }
        let model = try RestorationProcessor.builtInModel(scale: 1)
        #expect(model.graph.scale == 1)
        let processor = try RestorationProcessor(model: model)
        #expect(processor.scale == 1)
        #expect(throws: DefaultModelError.notBundled(name: "restore-x3")) { try RestorationProcessor.builtInModel(scale: 3) }
    }

    /// Training/export.py's fixture: random 8-bit inputs / 255 and PyTorch's graph output plus
    /// the bicubic skip, clamped, not rounded. oneDNN must agree within 1e-3.
    @Test(.enabled(if: parityFixture(scale: 2) != nil || parityFixture(scale: 1) != nil), arguments: [2, 1])
    func parityWithPyTorch(scale: Int) throws {
        guard let fixture = parityFixture(scale: scale) else { return }
        let model = try RestorationProcessor.builtInModel(scale: scale)
        let graph = model.graph
        let lrInfo = try #require(fixture.tensors["input.lr"])
        let height = lrInfo.shape[2], width = lrInfo.shape[3]
        var inputs: [FeatureMap] = []
        for input in graph.inputs {
            let values = try fixture.floats("input." + input.name)
            inputs.append(try #require(FeatureMap(channels: input.channels, height: height, width: width, values: values)))
        }
        // The skip: the 8-bit input through the node's bicubic, / 255.
        let lrBytes = inputs[0].values.map { UInt8(($0 * 255).rounded()) }
        let frame = try #require(I420Frame(width: width, height: height, y: lrBytes, strideY: width,
                                           u: [UInt8](repeating: 128, count: (width / 2) * (height / 2)), strideU: width / 2,
                                           v: [UInt8](repeating: 128, count: (width / 2) * (height / 2)), strideV: width / 2))
        let skip = try BicubicUpscaler(factor: graph.scale).upscale(frame).y
        let expected = try fixture.floats("output")
        // A quantizer-conditioned model: the fixture's frame quantizer (normalized).
        var quantizer: Float = 0
        if graph.quantizer != nil { quantizer = try #require(try fixture.floats("input.quantizer").first) }
        let reference = try ReferenceExecutor(graph: graph).run(inputs, quantizer: quantizer)
        // The project's AVX2 kernels where the CPU has them, on one thread and split over two; and
        // oneDNN alone on two.
        for (threads, projectKernels) in [(1, true), (2, true), (2, false)] {
            let network = try CompiledNetwork(graph: graph, width: width, height: height, threads: threads,
                                              projectKernels: projectKernels)
            if graph.quantizer != nil {   // biases rewritten from another quantizer's
                network.setQuantizer(1 - quantizer)
                _ = try network.run(inputs)
                network.setQuantizer(quantizer)
            }
            let output = try network.run(inputs)
            #expect(expected.count == output.values.count)
            var largest: Float = 0
            for (i, value) in output.values.enumerated() {
                let restored = min(max(value + Float(skip[i]) / 255, 0), 1)
                largest = max(largest, abs(restored - expected[i]))
            }
            #expect(largest <= 1e-3, "max abs difference \(largest), \(threads) threads, kernels \(projectKernels)")
            // The reference executor agrees too (a check on the check).
            #expect(reference.maximumDifference(to: output) <= 1e-4)
            print("parity (restore-x\(scale), \(threads) threads, kernels \(projectKernels)): max abs difference to PyTorch \(largest); "
                  + "steps \(network.implementations)")
        }
    }
}
