import Inference
import Media
import Restoration
import Testing

/// The 8-bit luma the format defines for a graph output and a skip: clamp(g + skip / 255) × 255,
/// rounded half up.
private func compose(_ graphOutput: FeatureMap, skip: [UInt8]) -> [UInt8] {
    zip(graphOutput.values, skip).map { value, s in
        let v = min(max(value + Float(s) / 255, 0), 1) * 255
        return UInt8((v + 0.5).rounded(.down))
    }
}

private func lumaMap(_ plane: [UInt8], width: Int, height: Int) -> FeatureMap {
    FeatureMap(channels: 1, height: height, width: width, values: plane.map { Float($0) / 255 })
        ?? FeatureMap(channels: 1, height: height, width: width)
}

private func unshuffled(_ plane: [UInt8], width: Int, height: Int, factor r: Int) -> FeatureMap {
    var map = FeatureMap(channels: r * r, height: height / r, width: width / r)
    for i in 0..<r {
        for j in 0..<r {
            for y in 0..<(height / r) {
                for x in 0..<(width / r) { map[i * r + j, y, x] = Float(plane[(y * r + i) * width + x * r + j]) / 255 }
            }
        }
    }
    return map
}

private func largestDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    zip(a, b).reduce(a.count == b.count ? 0 : 255) { max($0, abs(Int($1.0) - Int($1.1))) }
}

@Suite("RestorationProcessor")
struct RestorationProcessorTests {
    @Test func lumaIsTheNetworkPlusBicubicAndChromaIsBicubic() throws {
        let model = try TestModels.plain(channels: 8, blocks: 1)
        let processor = try RestorationProcessor(model: model, configuration: RestorationConfiguration(tiling: false))
        #expect(processor.isExpensive)
        #expect(processor.name == "test")
        try processor.configure(stream: "a", width: 48, height: 32)
        let frame = TestModels.frame(width: 48, height: 32, index: 1)
        let output = try #require(try processor.process([frame], stream: "a").first)
        let bicubic = try BicubicUpscaler(factor: 2).upscale(frame)
        #expect(output.width == 96 && output.height == 64)
        #expect(output.timestamp == frame.timestamp)
        #expect(output.u == bicubic.u && output.v == bicubic.v)
        let graph = try ReferenceExecutor(graph: model.graph).run([lumaMap(frame.y, width: 48, height: 32)])
        let expected = compose(graph, skip: bicubic.y)
        #expect(largestDifference(output.y, expected) <= 1)
        #expect(output.y != bicubic.y)
        #expect(processor.counters(for: "a")?.frames == 1)
    }

    /// A quantizer-conditioned model restores each frame at its own codec quantizer (the
    /// decoder's index through the model's mapping), tiles and whole frames alike; a frame
    /// without one (or of a codec the model has no mapping for) gets the model's default and is
    /// counted.
    @Test(arguments: [false, true])
    func eachFrameIsRestoredAtItsOwnQuantizer(tiling: Bool) throws {
        let model = try TestModels.plain(channels: 8, blocks: 1, quantizer: true)
        let processor = try RestorationProcessor(
            model: model, configuration: RestorationConfiguration(tiling: tiling, tileWidth: 16, tileHeight: 16, tileReuse: false,
                                                                fullFrameWhenCheaper: false))
        try processor.configure(stream: "q", width: 48, height: 32)
        var frame = TestModels.frame(width: 48, height: 32, index: 1)
        let bicubic = try BicubicUpscaler(factor: 2).upscale(frame)
        let reference = ReferenceExecutor(graph: model.graph)
        let luma = lumaMap(frame.y, width: 48, height: 32)
        for (coded, q) in [(CodecQuantizer(codec: .vp8, index: 100), Float(100) / 127),
                           (CodecQuantizer(codec: .vp8, index: 10), Float(10) / 127),
                           (nil, 0.5), (CodecQuantizer(codec: .vp9, index: 10), 0.5)] {
            frame.codecQuantizer = coded
            let output = try #require(try processor.process([frame], stream: "q").first)
            let expected = compose(try reference.run([luma], quantizer: q), skip: bicubic.y)
            #expect(largestDifference(output.y, expected) <= 1, "\(String(describing: coded))")
        }
        let strong = compose(try reference.run([luma], quantizer: 1), skip: bicubic.y)
        let clean = compose(try reference.run([luma], quantizer: 0), skip: bicubic.y)
        #expect(largestDifference(strong, clean) > 2)
        #expect(processor.counters(for: "q")?.framesWithoutQuantizer == 2)
    }

    @Test func temporalInputsFollowTheFormat() throws {
        let model = try TestModels.temporal()
        let processor = try RestorationProcessor(model: model, configuration: RestorationConfiguration(tiling: false))
        try processor.configure(stream: "t", width: 40, height: 24)
        let frames = [TestModels.frame(width: 40, height: 24, index: 1), TestModels.frame(width: 40, height: 24, index: 2)]
        let outputs = try processor.process(frames, stream: "t")
        let reference = ReferenceExecutor(graph: model.graph)
        // First frame: prev_lr = the input, prev_out = the skip.
        let skip0 = try BicubicUpscaler(factor: 2).upscale(frames[0]).y
        let lr0 = lumaMap(frames[0].y, width: 40, height: 24)
        let expected0 = compose(try reference.run([lr0, lr0, unshuffled(skip0, width: 80, height: 48, factor: 2)]), skip: skip0)
        #expect(largestDifference(outputs[0].y, expected0) <= 1)
        // Second frame: the previous input and the previous output.
        let skip1 = try BicubicUpscaler(factor: 2).upscale(frames[1]).y
        let expected1 = compose(try reference.run([lumaMap(frames[1].y, width: 40, height: 24), lr0,
                                                   unshuffled(outputs[0].y, width: 80, height: 48, factor: 2)]), skip: skip1)
        #expect(largestDifference(outputs[1].y, expected1) <= 1)
        // configure resets the temporal state: the second frame alone now sees itself as previous.
        try processor.configure(stream: "t", width: 40, height: 24)
        let restarted = try #require(try processor.process([frames[1]], stream: "t").first)
        let lr1 = lumaMap(frames[1].y, width: 40, height: 24)
        let expectedRestart = compose(try reference.run([lr1, lr1, unshuffled(skip1, width: 80, height: 48, factor: 2)]),
                                      skip: skip1)
        #expect(largestDifference(restarted.y, expectedRestart) <= 1)
    }

    @Test func tiledOutputEqualsFullFrameOutput() throws {
        let model = try TestModels.plain()
        let full = try RestorationProcessor(model: model, configuration: RestorationConfiguration(tiling: false))
        let tiled = try RestorationProcessor(model: model, configuration: RestorationConfiguration(
            tileWidth: 16, tileHeight: 16, tileReuse: false, fullFrameWhenCheaper: false))
        try full.configure(stream: "s", width: 64, height: 48)
        try tiled.configure(stream: "s", width: 64, height: 48)
        let frames = (0..<3).map { TestModels.frame(width: 64, height: 48, index: $0) }
        let a = try full.process(frames, stream: "s")
        let b = try tiled.process(frames, stream: "s")
        for i in 0..<3 { #expect(largestDifference(a[i].y, b[i].y) <= 1) }
        #expect(tiled.counters(for: "s")?.tilesComputed == 3 * 12)
    }

    @Test func reuseCountersOnAStaticStream() throws {
        let processor = try RestorationProcessor(model: try TestModels.plain(), configuration: RestorationConfiguration(
            tileWidth: 32, tileHeight: 16, fullFrameWhenCheaper: false))
        try processor.configure(stream: "s", width: 64, height: 48)
        let frame = TestModels.frame(width: 64, height: 48)
        let outputs = try processor.process([frame, frame, frame], stream: "s")
        let counters = try #require(processor.counters(for: "s"))
        #expect(counters.frames == 3)
        #expect(counters.tilesComputed == 6)
        #expect(counters.tilesReused == 12)
        #expect(outputs[0] == outputs[2])
        #expect(processor.totals == counters)
    }

    @Test func overBudgetTilesShowBicubic() throws {
        let clock = SteppingClock(stepMilliseconds: 10)
        let model = try TestModels.plain(skip: "none")
        let processor = try RestorationProcessor(
            model: model, configuration: RestorationConfiguration(tileWidth: 32, tileHeight: 24, fullFrameWhenCheaper: false,
                                                                  frameBudget: .milliseconds(25)),
            clock: clock.read)
        try processor.configure(stream: "b", width: 64, height: 48)
        let frame = TestModels.frame(width: 64, height: 48)
        let output = try #require(try processor.process([frame], stream: "b").first)
        let counters = try #require(processor.counters(for: "b"))
        #expect(counters.tilesComputed == 1)
        #expect(counters.tilesFallenBack == 3)
        #expect(counters.framesOverBudget == 1)
        // Tile 3 (bottom right) is bicubic even though this model's skip is "none".
        let bicubic = try BicubicUpscaler(factor: 2).upscale(frame)
        for row in 48..<96 {
            #expect(Array(output.y[(row * 128 + 64)..<(row * 128 + 128)]) == Array(bicubic.y[(row * 128 + 64)..<(row * 128 + 128)]))
        }
    }

    /// With a share of the frame interval, each frame's budget follows its stream's RTP
    /// timestamps: 30 ms for a 30 fps stream, 63 for 14.3 fps, the cap until an interval is known.
    @Test func budgetFollowsTheStreamsFrameInterval() throws {
        let clock = SteppingClock(stepMilliseconds: 10)
        let processor = try RestorationProcessor(
            model: try TestModels.plain(skip: "none"),
            configuration: RestorationConfiguration(tileWidth: 32, tileHeight: 24, tileReuse: false, fullFrameWhenCheaper: false,
                                                    frameBudget: .milliseconds(200), frameBudgetShare: 0.9),
            clock: clock.read)
        var frame = TestModels.frame(width: 64, height: 48)
        /// Tiles computed for a frame stamped `timestamp` (each tile costs 10 ms on this clock, and
        /// a tile starts only when the time so far plus one tile fits the budget).
        func computed(_ stream: VideoStreamID, _ timestamp: UInt32) throws -> Int {
            let before = processor.counters(for: stream)?.tilesComputed ?? 0
            frame.timestamp = timestamp
            _ = try processor.process([frame], stream: stream)
            return (processor.counters(for: stream)?.tilesComputed ?? 0) - before
        }
        try processor.configure(stream: "30fps", width: 64, height: 48)
        #expect(try computed("30fps", 0) == 4)          // no interval yet: the 200 ms cap
        #expect(try computed("30fps", 3000) == 1)       // 0.9 × 33.3 ms = 30 ms: one tile
        #expect(try computed("30fps", 9000) == 1)       // a dropped frame does not lengthen the interval
        try processor.configure(stream: "15fps", width: 64, height: 48)
        #expect(try computed("15fps", 1_000_000) == 4)
        #expect(try computed("15fps", 1_006_300) == 3)  // 0.9 × 70 ms = 63 ms: three tiles
        try processor.configure(stream: "odd", width: 64, height: 48)
        #expect(try computed("odd", 0) == 4)
        #expect(try computed("odd", 0) == 4)            // the same timestamp again: no interval
        #expect(try computed("odd", 500_000) == 4)      // over a second: no interval
        #expect(try computed("odd", 0xFFFF_FFFF) == 4)  // backwards: no interval
        #expect(try computed("odd", 2999) == 1)         // across the wrap: 3000 ticks
        #expect(throws: FrameProcessorError.self) {
            try RestorationProcessor(model: try TestModels.plain(),
                                     configuration: RestorationConfiguration(frameBudgetShare: 1.5))
        }
    }

    @Test func outputIsCappedLikeBicubicProcessor() throws {
        let processor = try RestorationProcessor(model: try TestModels.plain(),
                                                 configuration: RestorationConfiguration(maxWidth: 100, maxHeight: 100))
        #expect(processor.outputSize(width: 64, height: 48) == (100, 74))
        try processor.configure(stream: "c", width: 64, height: 48)
        let output = try #require(try processor.process([TestModels.frame(width: 64, height: 48)], stream: "c").first)
        #expect(output.width == 100 && output.height == 74)
        let bicubic = try BicubicProcessor(factor: 2, maxWidth: 100, maxHeight: 100)
        #expect(bicubic.outputSize(width: 64, height: 48) == processor.outputSize(width: 64, height: 48))
    }

    @Test func errorsAndUnsupportedSizes() throws {
        let processor = try RestorationProcessor(model: try unshufflingModelForProcessor())
        #expect(throws: FrameProcessorError.streamNotConfigured("x")) {
            try processor.process([TestModels.frame(width: 8, height: 8)], stream: "x")
        }
        try processor.configure(stream: "x", width: 32, height: 32)
        #expect(throws: FrameProcessorError.unexpectedFrameSize(expectedWidth: 32, expectedHeight: 32, width: 8, height: 8)) {
            try processor.process([TestModels.frame(width: 8, height: 8)], stream: "x")
        }
        #expect(throws: FrameProcessorError.self) { try processor.configure(stream: "y", width: 0, height: 8) }
        // Odd size for a model that needs even ones: bicubic, counted, no error.
        try processor.configure(stream: "odd", width: 33, height: 21)
        let frame = TestModels.frame(width: 33, height: 21)
        let output = try #require(try processor.process([frame], stream: "odd").first)
        #expect(output == (try BicubicUpscaler(factor: 2).upscale(frame)))
        #expect(processor.counters(for: "odd")?.framesBicubicOnly == 1)
        processor.remove(stream: "odd")
        #expect(processor.counters(for: "odd") == nil)
        #expect(throws: FrameProcessorError.self) {
            try RestorationProcessor(model: try TestModels.plain(), configuration: RestorationConfiguration(threads: 0))
        }
    }

    @Test func warmUpDoesNotTouchStreams() throws {
        let processor = try RestorationProcessor(model: try TestModels.plain())
        try processor.warmUp(width: 64, height: 48)
        #expect(processor.totals == RestorationCounters())
    }

    private func unshufflingModelForProcessor() throws -> ModelFile {
        let nodes: [ModelArchitecture.Node] = [
            ModelArchitecture.Node(op: "pixel_unshuffle", input: "lr", output: "u", factor: 2),
            .conv2d("u", "c", weight: "w", bias: nil, kernel: 1, inChannels: 4, outChannels: 16),
            ModelArchitecture.Node(op: "pixel_shuffle", input: "c", output: "s", factor: 2),
            ModelArchitecture.Node(op: "pixel_shuffle", input: "s", output: "out", factor: 2),
        ]
        let architecture = ModelArchitecture(scale: 2, receptiveField: 1, inputs: [.init(name: "lr", channels: 1)],
                                             nodes: nodes, output: "out")
        let tensors = [SafetensorsTensor(name: "w", shape: [16, 4, 1, 1], values: (0..<64).map { Float($0 % 5) * 0.01 })]
        return try ModelFile(bytes: ModelFile.serialize(architecture: architecture, tensors: tensors))
    }
}
