import Inference
import Testing

/// Runs `model` on random inputs of `width × height` with oneDNN and with the reference
/// executor; returns the largest absolute difference and the network.
private func compare(_ model: ModelFile, width: Int, height: Int, threads: Int = 1, seed: UInt64 = 3,
                     projectKernels: Bool = true)
    throws -> (difference: Float, network: CompiledNetwork, output: FeatureMap) {
    var random = SeededRandom(seed: seed)
    let inputs = model.graph.inputs.map { random.map(channels: $0.channels, height: height, width: width) }
    let network = try CompiledNetwork(graph: model.graph, width: width, height: height, threads: threads,
                                      projectKernels: projectKernels)
    let fast = try network.run(inputs)
    let slow = try ReferenceExecutor(graph: model.graph).run(inputs)
    return (fast.maximumDifference(to: slow), network, fast)
}

@Suite("CompiledNetwork against the reference executor")
struct CompiledNetworkTests {
    static let tolerance: Float = 1e-4

    @Test func convolution3x3WithBiasAndFusedReLU() throws {
        var s = GraphSketch(scale: 1)
        let c = s.conv("lr", 1, 8, relu: true)
        let out = s.finish(c, 8)
        let result = try compare(s.model(output: out), width: 13, height: 9)
        #expect(result.difference < Self.tolerance)
        #expect(result.network.implementations.allSatisfy { !$0.contains("ref") }, "\(result.network.implementations)")
    }

    @Test func convolution1x1WithoutBias() throws {
        var s = GraphSketch(scale: 1)
        let c = s.conv("lr", 1, 8)
        let d = s.conv(c, 8, 12, kernel: 1, bias: false)
        let out = s.finish(d, 12)
        #expect(try compare(s.model(output: out), width: 10, height: 7).difference < Self.tolerance)
    }

    /// oneDNN 2.6.3's jit:avx2 convolution has no PReLU post-op (only ref:any offers one): the
    /// builder must then keep the fast convolution and run PReLU as its own primitive. (Two
    /// threads: on one, the project's conv16 kernel takes these convolutions.)
    @Test func preluAfterConvolutionsStaysOnFastKernels() throws {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 16)
        let p = s.prelu(c, 16)
        let d = s.conv(p, 16, 16)
        let q = s.prelu(d, 16)
        let out = s.finish(q, 16)
        let result = try compare(s.model(output: out), width: 12, height: 8, threads: 2)
        #expect(result.difference < Self.tolerance)
        #expect(result.network.implementations.allSatisfy { !$0.contains("ref") }, "\(result.network.implementations)")
    }

    /// A PReLU with one slope for every channel is oneDNN's eltwise ReLU with that negative
    /// slope, which jit:avx2 runs inside the convolution: no separate pass over the feature map.
    /// (oneDNN alone: otherwise the project's conv16 kernel takes these convolutions.)
    @Test func sharedSlopePReLUIsFusedIntoTheConvolution() throws {
        var s = GraphSketch(scale: 2)
        let c = s.conv("lr", 1, 16)
        let p = s.prelu(c, 16, shared: true)
        let d = s.conv(p, 16, 16)
        let q = s.prelu(d, 16, shared: true)
        let e = s.conv(q, 16, 16)
        let r = s.prelu(e, 16)   // per-channel slopes: its own primitive
        let out = s.finish(r, 16)
        let result = try compare(s.model(output: out), width: 19, height: 11, threads: 2, projectKernels: false)
        #expect(result.difference < Self.tolerance)
        let implementations = result.network.implementations
        #expect(implementations.allSatisfy { !$0.contains("ref") }, "\(implementations)")
        #expect(implementations.filter { $0.contains("+leaky_relu") }.count == 2, "\(implementations)")
        #expect(implementations.filter { $0.hasPrefix("prelu") }.count == 1, "\(implementations)")
    }

    @Test func preluAndReLUAsTheirOwnPrimitives() throws {
        // The convolution's output feeds two nodes, so nothing can be fused.
        var s = GraphSketch(scale: 1)
        let c = s.conv("lr", 1, 8)
        let p = s.prelu(c, 8)
        let r = s.relu(c)
        let sum = s.add(p, r)
        let out = s.finish(sum, 8)
        let result = try compare(s.model(output: out), width: 11, height: 6)
        #expect(result.difference < Self.tolerance)
        #expect(result.network.implementations.contains { $0.hasPrefix("prelu") })
        #expect(result.network.implementations.contains { $0.hasPrefix("relu") })
    }

    @Test func addAndConcat() throws {
        var s = GraphSketch(scale: 2)
        let a = s.conv("lr", 1, 8)
        let b = s.conv(a, 8, 8, relu: true)
        let sum = s.add(a, b)
        let joined = s.concat([sum, "lr", b])
        let out = s.finish(joined, 17)
        let result = try compare(s.model(output: out), width: 9, height: 10)
        #expect(result.difference < Self.tolerance)
    }

    @Test func pixelUnshuffleAndShuffle() throws {
        var s = GraphSketch(scale: 3)
        let down = s.unshuffle("lr", 2)
        let c = s.conv(down, 4, 8, relu: true)
        let up = s.shuffle(c, 2)
        let out = s.finish(up, 2)
        let model = try s.model(output: out)
        #expect(model.graph.alignment == 2)
        let result = try compare(model, width: 14, height: 10)
        #expect(result.difference < Self.tolerance)
        #expect(result.output.width == 42 && result.output.height == 30)
    }

    @Test func temporalInputs() throws {
        var s = GraphSketch(scale: 2, inputs: [.init(name: "lr", channels: 1), .init(name: "prev_lr", channels: 1),
                                               .init(name: "prev_out", channels: 4)])
        let joined = s.concat(["lr", "prev_lr", "prev_out"])
        let c = s.conv(joined, 6, 8, relu: true)
        let out = s.finish(c, 8)
        #expect(try compare(s.model(output: out), width: 8, height: 8).difference < Self.tolerance)
    }

    @Test(arguments: 1...12)
    func randomGraphs(seed: Int) throws {
        let model = try GraphSketch.random(seed: UInt64(seed), scale: seed % 3 == 0 ? 1 : 2, temporal: seed % 4 == 0)
        let result = try compare(model, width: 16, height: 10, seed: UInt64(seed))
        #expect(result.difference < Self.tolerance, "seed \(seed): \(model.graph.nodes.map(\.reference.op))")
    }

    /// A last convolution with 1–4 output channels after a blocked one runs on the project's own
    /// AVX2 kernel (oneDNN 2.6 is slow there), its rows split over OpenMP's threads in networks
    /// for more than one: same values as the reference, at every border, and on frames narrower
    /// than the kernel's two-column step or shorter than the thread count.
    @Test(arguments: [(1, 1, 1), (2, 1, 1), (3, 2, 3), (4, 1, 2), (4, 5, 7), (4, 33, 17), (2, 16, 9), (1, 8, 1)])
    func fewOutputChannelsRunOnTheSmallKernel(outChannels: Int, width: Int, height: Int) throws {
        for threads in [1, 2, 3] {
            // the output is one channel: 4 are shuffled ×2, 2 or 3 go through one more (oneDNN) conv
            var s = GraphSketch(scale: outChannels == 4 ? 2 : 1)
            let c = s.conv("lr", 1, 16)
            let p = s.prelu(c, 16)
            let d = s.conv(p, 16, outChannels)
            let out = switch outChannels {
            case 1: d
            case 4: s.shuffle(d, 2)
            default: s.conv(d, outChannels, 1)
            }
            let result = try compare(s.model(output: out), width: width, height: height, threads: threads, seed: 11)
            #expect(result.difference < Self.tolerance, "\(outChannels) channels, \(width)x\(height), \(threads) threads")
            let onKernel = result.network.implementations.contains { $0.contains("16→\(outChannels) k3 loupe small_conv") }
            #expect(onKernel == CompiledNetwork.projectKernelsRun(threads: threads),
                    "\(result.network.implementations)")
        }
    }

    /// Convolutions to 16 channels from a plain input or a blocked one, with a per-channel
    /// PReLU, a shared-slope PReLU, a fused ReLU or no activation after them, run on the
    /// project's conv16 kernel (on one thread, or its rows split over two or three OpenMP
    /// threads): same values as the reference at every border, on frames narrower than its
    /// six-column step or shorter than the thread count, and with two input blocks. Without
    /// `projectKernels`, oneDNN runs them.
    @Test(arguments: [(1, 1), (2, 3), (7, 2), (8, 5), (13, 9), (40, 6), (1, 17)])
    func sixteenChannelConvolutionsRunOnTheConv16Kernel(width: Int, height: Int) throws {
        for (threads, projectKernels) in [(1, true), (2, true), (3, true), (1, false), (2, false)] {
            var s = GraphSketch(scale: 1)
            let a0 = s.conv("lr", 1, 16)
            let a = s.prelu(a0, 16)
            let b = s.conv(a, 16, 16, relu: true)
            let c0 = s.conv(b, 16, 16)
            let c = s.prelu(c0, 16, shared: true)
            let joined = s.concat([a, c])
            let d = s.conv(joined, 32, 16)   // no activation: its result also feeds the add
            let d2 = s.conv(d, 16, 16)
            let e = s.add(d, d2)
            let out = s.finish(e, 16)
            let result = try compare(s.model(output: out), width: width, height: height, threads: threads, seed: 13,
                                     projectKernels: projectKernels)
            #expect(result.difference < Self.tolerance, "\(width)x\(height), \(threads) threads, \(projectKernels)")
            let implementations = result.network.implementations
            let onKernel = implementations.filter { $0.contains("loupe conv16") }
            if CompiledNetwork.projectKernelsRun(threads: threads) && projectKernels {
                #expect(onKernel == ["conv 1→16 k3+prelu loupe conv16:avx2", "conv 16→16 k3+relu loupe conv16:avx2",
                                     "conv 16→16 k3+leaky_relu loupe conv16:avx2", "conv 32→16 k3 loupe conv16:avx2",
                                     "conv 16→16 k3 loupe conv16:avx2"], "\(implementations)")
                #expect(!implementations.contains { $0.hasPrefix("prelu") }, "\(implementations)")
            } else {
                #expect(onKernel.isEmpty, "\(implementations)")
            }
        }
    }

    /// A network conditioned on the frame's quantizer: `setQuantizer` rewrites the biases of the
    /// conv16 kernel's, the small kernel's and oneDNN's convolutions alike (one without a bias of
    /// its own), back and forth, and the output follows the reference at each quantizer.
    @Test func quantizerConditionedBiasesFollowSetQuantizer() throws {
        var s = GraphSketch(scale: 2, seed: 21)
        let a = s.prelu(s.conv("lr", 1, 16), 16)
        let b = s.prelu(s.conv(a, 16, 16, bias: false), 16)
        let c = s.conv(b, 16, 8, kernel: 1)   // oneDNN: a 1×1 convolution
        let out = s.finish(c, 8)
        s.conditionOnQuantizer()
        let model = try s.model(output: out)
        #expect(model.graph.quantizer?.fallback == 0.5)
        var random = SeededRandom(seed: 5)
        let inputs = [random.map(channels: 1, height: 9, width: 14)]
        for (threads, projectKernels) in [(1, true), (2, true), (1, false)] {
            let network = try CompiledNetwork(graph: model.graph, width: 14, height: 9, threads: threads,
                                              projectKernels: projectKernels)
            #expect(network.quantizer == 0)
            var outputs: [Float: FeatureMap] = [:]
            for q: Float in [0, 0.7, 0.2, 0.2, 1, 0] {
                network.setQuantizer(q)
                let fast = try network.run(inputs)
                let slow = try ReferenceExecutor(graph: model.graph).run(inputs, quantizer: q)
                #expect(fast.maximumDifference(to: slow) < Self.tolerance, "q \(q), \(threads) threads, \(projectKernels)")
                if let earlier = outputs[q] { #expect(earlier.maximumDifference(to: fast) == 0) }
                outputs[q] = fast
            }
            let moved = try #require(outputs[0]).maximumDifference(to: try #require(outputs[1]))
            #expect(moved > 0.01, "the quantizer changes the output (\(moved))")
            network.setQuantizer(.nan)   // not a number: treated as 0
            #expect(network.quantizer == 0)
        }
    }

    /// A block-grid-conditioned network (`bias_phase`): the conv16 kernel's convolutions (one
    /// from the plain input, one with a ReLU of its own), the small kernel's tail and a 1×1
    /// convolution oneDNN runs (then the shift loop) follow the reference at every origin and
    /// quantizer, on one and two threads and without the project's kernels; the origin moves the
    /// output as a shift of the frame would.
    @Test func blockGridConditioningFollowsTheOrigin() throws {
        var s = GraphSketch(scale: 2, seed: 23)
        let h = s.conv("lr", 1, 16)
        let a = s.prelu(h, 16)
        let b = s.conv(a, 16, 16, relu: true)
        let c = s.conv(b, 16, 8, kernel: 1)
        let t = s.conv(c, 8, 4)
        let out = s.shuffle(t, 2)
        s.conditionOnPhase([h, b, c, t], period: 16)
        s.conditionOnQuantizer()
        let model = try s.model(output: out)
        var random = SeededRandom(seed: 6)
        let frame = random.map(channels: 1, height: 40, width: 52)
        let window = try #require(FeatureMap(channels: 1, height: 18, width: 22,
                                             values: (0..<18).flatMap { y in (0..<22).map { x in frame[0, 11 + y, 17 + x] } }))
        for (threads, projectKernels) in [(1, true), (2, true), (1, false)] {
            let network = try CompiledNetwork(graph: model.graph, width: 22, height: 18, threads: threads,
                                              projectKernels: projectKernels)
            #expect(network.dependsOnOrigin)
            for (x, y, q) in [(0, 0, Float(0)), (17, 11, 0.6), (3, 29, 0.6), (17, 11, 0.2)] {
                network.setOrigin(x: x, y: y)
                network.setQuantizer(q)
                let fast = try network.run([window])
                let slow = try ReferenceExecutor(graph: model.graph).run([window], quantizer: q, originX: x, originY: y)
                #expect(fast.maximumDifference(to: slow) < Self.tolerance,
                        "origin (\(x), \(y)), q \(q), \(threads) threads, \(projectKernels)")
            }
            // the window's interior at its true origin equals the whole frame's output there
            network.setOrigin(x: 17, y: 11)
            network.setQuantizer(0.6)
            let tile = try network.run([window])
            let whole = try ReferenceExecutor(graph: model.graph).run([frame], quantizer: 0.6)
            var worst: Float = 0
            for y in 8..<28 { for x in 8..<36 { worst = max(worst, abs(tile[0, y, x] - whole[0, 22 + y, 34 + x])) } }
            #expect(worst < Self.tolerance, "\(worst)")
            network.setOrigin(x: 18, y: 11)
            let shifted = try network.run([window])
            #expect(shifted.maximumDifference(to: tile) > 0.01, "the origin changes the output")
        }
    }

    /// Kernels conditioned on the quantizer (`weight_quantizer`): `setQuantizer` repacks the
    /// conv16 and small kernels' weights and reorders oneDNN's (a 1×1 convolution, and every
    /// convolution without the project's kernels), back and forth, following the reference.
    @Test func quantizerConditionedWeightsFollowSetQuantizer() throws {
        var s = GraphSketch(scale: 2, seed: 29)
        let a = s.prelu(s.conv("lr", 1, 16), 16)
        let b = s.prelu(s.conv(a, 16, 16), 16)
        let c = s.conv(b, 16, 8, kernel: 1)
        let out = s.finish(c, 8)
        s.conditionOnQuantizer()
        s.conditionWeightsOnQuantizer()
        let model = try s.model(output: out)
        var random = SeededRandom(seed: 8)
        let inputs = [random.map(channels: 1, height: 11, width: 17)]
        for (threads, projectKernels) in [(1, true), (2, true), (1, false)] {
            let network = try CompiledNetwork(graph: model.graph, width: 17, height: 11, threads: threads,
                                              projectKernels: projectKernels)
            var outputs: [Float: FeatureMap] = [:]
            for q: Float in [0, 0.9, 0.3, 0.3, 1, 0] {
                network.setQuantizer(q)
                let fast = try network.run(inputs)
                let slow = try ReferenceExecutor(graph: model.graph).run(inputs, quantizer: q)
                #expect(fast.maximumDifference(to: slow) < Self.tolerance, "q \(q), \(threads) threads, \(projectKernels)")
                if let earlier = outputs[q] { #expect(earlier.maximumDifference(to: fast) == 0) }
                outputs[q] = fast
            }
        }
        // without the bias conditioning, the weights alone need the architecture's quantizer too
        var bare = GraphSketch(scale: 2, seed: 30)
        let o = bare.finish(bare.conv("lr", 1, 8), 8)
        bare.conditionWeightsOnQuantizer()
        do {
            _ = try bare.model(output: o)
            Issue.record("weight_quantizer without the architecture's quantizer was accepted")
        } catch {
            #expect("\(error)".contains("bias_quantizer or weight_quantizer tensors without the architecture's quantizer"))
        }
    }

    @Test func twoThreadsGiveTheSameResult() throws {
        let model = try GraphSketch.designReference()
        let one = try compare(model, width: 40, height: 24, threads: 1)
        let two = try compare(model, width: 40, height: 24, threads: 2)
        #expect(one.difference < Self.tolerance)
        #expect(two.difference < Self.tolerance)
        #expect(one.output.maximumDifference(to: two.output) < Self.tolerance)
        #expect(two.network.threads == 2)
        // Debian's libdnnl runs on OpenMP: each run sets the calling thread's OpenMP thread count.
        try two.network.execute()
        #expect(CompiledNetwork.callingThreadOpenMPThreads == 2)
        try one.network.execute()
        #expect(CompiledNetwork.callingThreadOpenMPThreads == 1)
        #expect(one.network.multiplyAccumulates == 40 * 24 * 9 * (16 + 3 * 256 + 64))
        #expect(one.network.implementations.allSatisfy { !$0.contains("ref") }, "\(one.network.implementations)")
    }

    @Test func rejectsBadSizesAndInputs() throws {
        var s = GraphSketch(scale: 1)
        let down = s.unshuffle("lr", 2)
        let c = s.conv(down, 4, 4)
        let up = s.shuffle(c, 2)
        let out = s.finish(up, 1)
        let model = try s.model(output: out)
        #expect(throws: InferenceError.invalidSize(width: 9, height: 8, alignment: 2)) {
            try CompiledNetwork(graph: model.graph, width: 9, height: 8)
        }
        #expect(throws: InferenceError.invalidSize(width: 0, height: 8, alignment: 2)) {
            try CompiledNetwork(graph: model.graph, width: 0, height: 8)
        }
        #expect(throws: InferenceError.invalidThreads(0)) {
            try CompiledNetwork(graph: model.graph, width: 8, height: 8, threads: 0)
        }
        let network = try CompiledNetwork(graph: model.graph, width: 8, height: 8)
        #expect(throws: InferenceError.self) { try network.run([]) }
        #expect(throws: InferenceError.self) { try network.run([FeatureMap(channels: 1, height: 4, width: 8)]) }
        #expect(network.input(5).count == 0)
    }

    @Test func refusesNetworksTooLargeForMemory() throws {
        // 4096 channels at 4096 × 4096 would be 256 GiB: refused before anything is allocated.
        var s = GraphSketch(scale: 1)
        let wide = s.concat([String](repeating: "lr", count: 4096))
        let out = s.conv(wide, 4096, 1, kernel: 1)
        let model = try s.model(output: out)
        #expect(throws: InferenceError.self) { try CompiledNetwork(graph: model.graph, width: 4096, height: 4096) }
        #expect(throws: InferenceError.invalidSize(width: 4097, height: 4096, alignment: 1)) {
            try CompiledNetwork(graph: model.graph, width: 4097, height: 4096)
        }
    }
}
