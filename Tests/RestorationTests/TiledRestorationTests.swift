import Inference
import Media
import Restoration
import SansIO
import Synchronization
import Testing

/// A clock that moves `step` forward on every reading.
/// Returns the given readings (ms) in order, one per read.
final class ScriptedClock: Sendable {
    private let readings: Mutex<[Int64]>

    init(milliseconds: [Int64]) { readings = Mutex(milliseconds) }

    func read() -> Instant {
        readings.withLock { r in Instant(microseconds: (r.isEmpty ? 0 : r.removeFirst()) * 1000) }
    }

    var remaining: Int { readings.withLock { $0.count } }
}

final class SteppingClock: Sendable {
    private let time = Mutex<Int64>(0)
    let step: Int64

    init(stepMilliseconds: Int64) { step = stepMilliseconds * 1000 }

    func read() -> Instant {
        time.withLock { t in
            let now = t
            t += step
            return Instant(microseconds: now)
        }
    }
}

/// Runs `TiledRestoration` for `model` on `frame` with `configuration` (fresh state).
private func residual(_ model: ModelFile, _ frame: I420Frame, _ configuration: RestorationConfiguration)
    throws -> (residual: [Float], outcome: TiledRestoration.FrameOutcome, restoration: TiledRestoration) {
    let restoration = try TiledRestoration(graph: model.graph, width: frame.width, height: frame.height,
                                           configuration: configuration) { (w: Int, h: Int) throws(InferenceError) in
        try CompiledNetwork(graph: model.graph, width: w, height: h)
    }
    let skip = try BicubicUpscaler(factor: model.graph.scale).upscale(frame).y
    let outcome = try restoration.update(luma: frame.y, stride: frame.strideY, skip: skip, start: nil, clock: nil)
    return (restoration.residual, outcome, restoration)
}

private func maximumDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// A model with `pixel_unshuffle`: alignment 2.
private func unshufflingModel() throws -> ModelFile {
    var random = SeededRandom(seed: 3)
    let tensors = [
        SafetensorsTensor(name: "a.weight", shape: [8, 4, 3, 3], values: random.floats(288, -0.2, 0.2)),
        SafetensorsTensor(name: "a.bias", shape: [8], values: random.floats(8, -0.1, 0.1)),
        SafetensorsTensor(name: "b.weight", shape: [16, 8, 3, 3], values: random.floats(1152, -0.1, 0.1)),
    ]
    let nodes: [ModelArchitecture.Node] = [
        ModelArchitecture.Node(op: "pixel_unshuffle", input: "lr", output: "u", factor: 2),
        .conv2d("u", "a", weight: "a.weight", bias: "a.bias", kernel: 3, inChannels: 4, outChannels: 8, relu: true),
        .conv2d("a", "b", weight: "b.weight", bias: nil, kernel: 3, inChannels: 8, outChannels: 16),
        ModelArchitecture.Node(op: "pixel_shuffle", input: "b", output: "s", factor: 2),
        ModelArchitecture.Node(op: "pixel_shuffle", input: "s", output: "out", factor: 2),
    ]
    let architecture = ModelArchitecture(scale: 2, receptiveField: 5, inputs: [.init(name: "lr", channels: 1)],
                                         nodes: nodes, output: "out")
    return try ModelFile(bytes: ModelFile.serialize(architecture: architecture, tensors: tensors))
}

@Suite("Tiled restoration")
struct TiledRestorationTests {
    static let tiledNoReuse = RestorationConfiguration(tileWidth: 24, tileHeight: 16, tileReuse: false,
                                                       fullFrameWhenCheaper: false)

    @Test func tilesWithoutReuseEqualOneFullFrameRun() throws {
        let model = try TestModels.plain(channels: 8, blocks: 2)
        let frame = TestModels.frame(width: 100, height: 60, index: 3)
        let full = try residual(model, frame, RestorationConfiguration(tiling: false))
        let tiled = try residual(model, frame, Self.tiledNoReuse)
        #expect(full.outcome.computed == 1)
        #expect(tiled.outcome.computed == tiled.restoration.layout.tiles.count)
        #expect(tiled.restoration.layout.tiles.count == 5 * 4)
        #expect(maximumDifference(full.residual, tiled.residual) <= 1e-5)
        #expect(full.residual.contains { abs($0) > 1e-3 })
    }

    /// A block-grid-conditioned model: each tile runs at its own place in the frame (tiles whose
    /// windows start off the grid's period included), so the tiles equal one full-frame run.
    @Test func tilesEqualFullFrameForABlockGridModel() throws {
        let model = try TestModels.plain(channels: 16, blocks: 2, phase: 16)
        let frame = TestModels.frame(width: 100, height: 60, index: 4)
        let full = try residual(model, frame, RestorationConfiguration(tiling: false))
        let tiled = try residual(model, frame, RestorationConfiguration(tileWidth: 20, tileHeight: 14, tileReuse: false,
                                                                        fullFrameWhenCheaper: false))
        #expect(tiled.outcome.computed == tiled.restoration.layout.tiles.count)
        #expect(maximumDifference(full.residual, tiled.residual) <= 1e-5)
        let blind = try residual(TestModels.plain(channels: 16, blocks: 2), frame, RestorationConfiguration(tiling: false))
        #expect(maximumDifference(full.residual, blind.residual) > 1e-2, "the block grid changes the output")
    }

    @Test func tilesEqualFullFrameForAModelWithUnshuffle() throws {
        let model = try unshufflingModel()
        #expect(model.graph.alignment == 2)
        let frame = TestModels.frame(width: 66, height: 38, index: 2)
        let full = try residual(model, frame, RestorationConfiguration(tiling: false))
        let tiled = try residual(model, frame, RestorationConfiguration(tileWidth: 15, tileHeight: 9, tileReuse: false,
                                                                        fullFrameWhenCheaper: false))
        #expect(maximumDifference(full.residual, tiled.residual) <= 1e-5)
    }

    @Test func tilesEqualFullFrameForATemporalModel() throws {
        let model = try TestModels.temporal()
        let frame = TestModels.frame(width: 50, height: 34, index: 1)
        let full = try residual(model, frame, RestorationConfiguration(tiling: false))
        let tiled = try residual(model, frame, RestorationConfiguration(tileWidth: 16, tileHeight: 8, tileReuse: false,
                                                                        fullFrameWhenCheaper: false))
        #expect(maximumDifference(full.residual, tiled.residual) <= 1e-5)
    }

    @Test func aStaticFrameRecomputesNoTiles() throws {
        let model = try TestModels.plain()
        let frame = TestModels.frame(width: 100, height: 60)
        let configuration = RestorationConfiguration(tileWidth: 24, tileHeight: 16, fullFrameWhenCheaper: false)
        let (first, outcome, restoration) = try residual(model, frame, configuration)
        #expect(outcome.computed == 20 && outcome.reused == 0)
        let skip = try BicubicUpscaler(factor: 2).upscale(frame).y
        let again = try restoration.update(luma: frame.y, stride: frame.width, skip: skip, start: nil, clock: nil)
        #expect(again.computed == 0)
        #expect(again.reused == 20)
        #expect(again.multiplyAccumulates == 0)
        #expect(restoration.residual == first)
    }

    @Test func aLocalChangeRecomputesOnlyTheTilesThatSeeIt() throws {
        let model = try TestModels.plain()
        var frame = TestModels.frame(width: 100, height: 60)
        let configuration = RestorationConfiguration(tileWidth: 24, tileHeight: 16, fullFrameWhenCheaper: false)
        let (_, _, restoration) = try residual(model, frame, configuration)
        // Brighten a 3×3 block at (50, 30) by 40 levels.
        let changed = PixelRect(x: 50, y: 30, width: 3, height: 3)
        for row in changed.y..<(changed.y + 3) {
            for col in changed.x..<(changed.x + 3) { frame.y[row * 100 + col] &+= 40 }
        }
        let expected = restoration.layout.tiles.filter { tile in
            let w = tile.window
            return w.x < changed.x + changed.width && changed.x < w.x + w.width
                && w.y < changed.y + changed.height && changed.y < w.y + w.height
        }.count
        let skip = try BicubicUpscaler(factor: 2).upscale(frame).y
        let outcome = try restoration.update(luma: frame.y, stride: 100, skip: skip, start: nil, clock: nil)
        #expect(expected >= 1 && expected < 20)
        #expect(outcome.computed == expected)
        #expect(outcome.reused == 20 - expected)
        // The recomputed residual equals a fresh full-frame run on the changed frame.
        let full = try residual(model, frame, RestorationConfiguration(tiling: false))
        #expect(maximumDifference(full.residual, restoration.residual) <= 1e-5)
    }

    @Test func changesBelowTheThresholdsAreIgnored() throws {
        let model = try TestModels.plain()
        var frame = TestModels.frame(width: 100, height: 60)
        let configuration = RestorationConfiguration(tileWidth: 24, tileHeight: 16, maximumChange: 12, meanChange: 1,
                                                     fullFrameWhenCheaper: false)
        let (_, _, restoration) = try residual(model, frame, configuration)
        for i in stride(from: 0, to: frame.y.count, by: 7) { frame.y[i] = frame.y[i] < 250 ? frame.y[i] + 3 : frame.y[i] - 3 }
        let skip = try BicubicUpscaler(factor: 2).upscale(frame).y
        let outcome = try restoration.update(luma: frame.y, stride: 100, skip: skip, start: nil, clock: nil)
        #expect(outcome.computed == 0 && outcome.reused == 20)
        // Everything shifted by 13 levels: every tile recomputes, in one full-frame run when allowed.
        for i in frame.y.indices { frame.y[i] = frame.y[i] < 200 ? frame.y[i] + 13 : frame.y[i] - 13 }
        let moved = try restoration.update(luma: frame.y, stride: 100, skip: skip, start: nil, clock: nil)
        #expect(moved.computed == 20)
    }

    @Test func fullFrameRunWhenMostTilesChanged() throws {
        let model = try TestModels.plain()
        let configuration = RestorationConfiguration(tileWidth: 24, tileHeight: 16)
        let (first, outcome, _) = try residual(model, TestModels.frame(width: 100, height: 60), configuration)
        #expect(outcome.fullFrame)
        #expect(outcome.computed == 20)
        let full = try residual(model, TestModels.frame(width: 100, height: 60), RestorationConfiguration(tiling: false))
        #expect(maximumDifference(full.residual, first) <= 1e-5)
    }

    @Test func budgetLeavesTheRemainingTilesToBicubic() throws {
        let model = try TestModels.plain()
        let clock = SteppingClock(stepMilliseconds: 10)
        let configuration = RestorationConfiguration(tileWidth: 50, tileHeight: 30, fullFrameWhenCheaper: false,
                                                     frameBudget: .milliseconds(25))
        let frame = TestModels.frame(width: 100, height: 60)
        let restoration = try TiledRestoration(graph: model.graph, width: 100, height: 60,
                                               configuration: configuration) { (w: Int, h: Int) throws(InferenceError) in
            try CompiledNetwork(graph: model.graph, width: w, height: h)
        }
        let skip = try BicubicUpscaler(factor: 2).upscale(frame).y
        // Clock readings: start 0; tile 0 at 10 (fits), done at 20 (cost 10); tile 1 at 30: 30 + 10 > 25.
        let start = clock.read()
        let outcome = try restoration.update(luma: frame.y, stride: 100, skip: skip, start: start, clock: clock.read)
        #expect(outcome.computed == 1)
        #expect(outcome.fallenBack == [1, 2, 3])
        let core = restoration.layout.tiles[3].core
        #expect(restoration.residual[(core.y * 2) * 200 + core.x * 2] == 0)
        // Next frame (same picture): tile 0 is reused, the fallen-back tiles are due again.
        let next = try restoration.update(luma: frame.y, stride: 100, skip: skip, start: clock.read(), clock: clock.read)
        #expect(next.reused == 1)
        #expect(next.computed == 1)
        #expect(next.fallenBack == [2, 3])
    }

    /// One tile slowed by a preemption must not leave the stream bicubic for good: the tile cost
    /// estimate is only measured when a tile runs, so a frame where none ran halves it.
    @Test func aSlowTileDoesNotStopRestorationForGood() throws {
        let model = try TestModels.plain()
        let configuration = RestorationConfiguration(tileWidth: 50, tileHeight: 30, tileReuse: false,
                                                     fullFrameWhenCheaper: false, frameBudget: .milliseconds(25))
        let frame = TestModels.frame(width: 100, height: 60)
        let restoration = try TiledRestoration(graph: model.graph, width: 100, height: 60,
                                               configuration: configuration) { (w: Int, h: Int) throws(InferenceError) in
            try CompiledNetwork(graph: model.graph, width: w, height: h)
        }
        let skip = try BicubicUpscaler(factor: 2).upscale(frame).y
        // Readings: each frame's start, then before and after each tile, then the refused tile's check.
        let clock = ScriptedClock(milliseconds: [0, 0, 100, 100,        // tile 0 takes 100 ms; estimate 100
                                                 200, 200,              // 0 + 100 > 25: nothing runs; 50
                                                 300, 300,              // 0 + 50 > 25: nothing runs; 25
                                                 400, 400, 405, 405, 410, 410])  // tiles 0 and 1 run again
        func update() throws -> TiledRestoration.FrameOutcome {
            try restoration.update(luma: frame.y, stride: 100, skip: skip, start: clock.read(), clock: clock.read)
        }
        #expect(try update().computed == 1)
        #expect(try update().fallenBack == [0, 1, 2, 3])
        #expect(try update().fallenBack == [0, 1, 2, 3])
        let recovered = try update()
        #expect(recovered.computed == 2)
        #expect(recovered.fallenBack == [2, 3])
        #expect(clock.remaining == 0)
    }
}
