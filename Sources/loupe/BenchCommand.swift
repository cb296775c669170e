import ArgumentParser
import Foundation
import Inference
import Media
import Restoration
import SansIO

/// `loupe bench`: measurements that docs/benchmarks.md records.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (run a release build).",
        subcommands: [BenchPipeline.self, BenchRestore.self])
}

/// `loupe bench pipeline`: the video processing path, 360p VP8 → bicubic ×2 → 720p VP8.
struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Decode 360p VP8 → bicubic ×2 → encode 720p VP8 through VideoPipeline.",
        discussion: """
            Input: the synthetic scene (640x360, 30 fps, sensor noise ±2) encoded once at --input-kbps. \
            Two runs: throughput (frames fed as fast as the pipeline takes them, at most --in-flight \
            at a time, no deadline) and real time (frames fed at --fps with the --deadline-ms \
            deadline). Prints frames per second and, per stage, the work time and the added latency \
            (queue wait + work) as p50/p95. --threads sets the libvpx threads of decoder and encoder; \
            to limit the process to one core run it under `taskset -c 0`.
            """)

    @Option(help: "libvpx threads for the decoder and for the encoder (1…16).") var threads = 1
    @Option(help: "Frames per run.") var frames = 300
    @Option(help: "Bitrate of the pre-encoded 360p input, kbit/s.") var inputKbps = 600
    @Option(help: "Bitrate of the 720p output, kbit/s.") var outputKbps = 1500
    @Option(help: "Frame rate of the real-time run (0 skips it).") var fps = 30
    @Option(help: "Per-frame deadline of the real-time run, ms.") var deadlineMs = 100
    @Option(help: "Frames in flight in the throughput run.") var inFlight = 3

    func validate() throws {
        guard (1...16).contains(threads) else { throw ValidationError("--threads must be in 1…16") }
        guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be in 1…100000") }
        guard (0...240).contains(fps) else { throw ValidationError("--fps must be in 0…240") }
        guard (1...100_000).contains(inputKbps), (1...100_000).contains(outputKbps) else {
            throw ValidationError("bitrates must be in 1…100000 kbit/s")
        }
        guard deadlineMs > 0, inFlight > 0 else { throw ValidationError("--deadline-ms and --in-flight must be positive") }
    }

    func run() throws {
        let scene = SyntheticScene(width: 640, height: 360, fps: 30, noise: 2)
        var input: [EncodedFrame] = []
        do {
            let encoder = try VideoEncoder(codec: .vp8, width: 640, height: 360, fps: 30, bitrateKbps: inputKbps)
            for i in 0..<frames { input += try encoder.encode(scene.frame(i)) }
        } catch {
            throw CommandFailure.codec(error)
        }
        let inputBytes = input.reduce(0) { $0 + $1.bytes.count }
        print("pipeline: 640x360 VP8 (\(inputKbps) kbps requested, \(kbps(bytes: inputBytes, frames: input.count)) kbps "
              + "produced) → bicubic ×2 → 1280x720 VP8 at \(outputKbps) kbps; \(input.count) frames; "
              + "libvpx threads \(threads)")

        let throughput = try measure(input, deadline: nil, pace: nil)
        print("")
        print(String(format: "throughput: %.1f fps (%d frames out in %.2f s)", Double(throughput.counters.framesOutput)
                     / throughput.seconds, throughput.counters.framesOutput, throughput.seconds))
        report(throughput)

        if fps > 0 {
            let realtime = try measure(input, deadline: .milliseconds(deadlineMs), pace: fps)
            print("")
            print("real time: fed at \(fps) fps, deadline \(deadlineMs) ms")
            report(realtime)
        }
    }

    private struct Run {
        var counters: VideoPipelineCounters
        var statistics: VideoPipelineStatistics
        var seconds: Double
    }

    private func measure(_ input: [EncodedFrame], deadline: Duration?, pace: Int?) throws -> Run {
        let epoch = ContinuousClock.now
        let clock: VideoPipeline.Clock = { Instant(microseconds: (ContinuousClock.now - epoch).microseconds) }
        let config = VideoPipeline.Configuration(
            bitrateKbps: outputKbps, fps: 30, deadline: deadline, queueCapacity: 4,
            decoderThreads: threads, encoderThreads: threads, latencySamples: max(1, input.count))
        let pipeline: VideoPipeline
        let processor: BicubicProcessor
        do {
            processor = try BicubicProcessor(factor: 2, maxWidth: 1280, maxHeight: 720)
        } catch {
            throw CommandFailure("\(error)")
        }
        do {
            pipeline = try VideoPipeline(configuration: config, processor: processor, clock: clock, output: { _ in })
        } catch {
            throw CommandFailure.codec(error)
        }
        do { try pipeline.warmUp(width: 640, height: 360) } catch { throw CommandFailure("\(error)") }
        guard pipeline.start() else { throw CommandFailure("could not start the pipeline's threads") }
        let started = ContinuousClock.now
        let limit = inFlight
        for (i, frame) in input.enumerated() {
            if let pace {
                let due = started + .microseconds(Int64(i) * 1_000_000 / Int64(pace))
                let wait = due - ContinuousClock.now
                if wait > .zero { usleep(UInt32(clamping: wait.microseconds)) }
            } else {
                pipeline.wait { c in
                    let finished = c.framesEncoded + c.encodeErrors + c.framesAwaitingKeyframe + c.decodeErrors
                        + c.inputDrops + c.processorDrops + c.encoderDrops
                    return c.framesSubmitted - finished < limit
                }
            }
            pipeline.submit(VideoPipeline.Input(bytes: frame.bytes, timestamp: frame.rtpTimestamp,
                                                isKeyframe: frame.isKeyframe, arrival: clock()))
        }
        pipeline.finish()
        let seconds = Double((ContinuousClock.now - started).microseconds) / 1e6
        let statistics = pipeline.statistics
        return Run(counters: statistics.counters, statistics: statistics, seconds: seconds)
    }

    private func report(_ run: Run) {
        let c = run.counters
        let s = run.statistics
        print("  frames: \(c.framesSubmitted) in, \(c.framesOutput) out (\(c.keyframesOutput) keyframes), "
              + "\(kbps(bytes: c.bytesOutput, frames: c.framesOutput)) kbps out; drops input/processor/encoder "
              + "\(c.inputDrops)/\(c.processorDrops)/\(c.encoderDrops); deadline fallbacks \(c.deadlineFallbacks); "
              + "decode errors \(c.decodeErrors)")
        func ms(_ d: Duration?) -> String {
            guard let d else { return "–" }
            return String(format: "%.1f", Double(d.microseconds) / 1000)
        }
        print("  stage     work p50 / p95 (ms)   latency p50 / p95 (ms)")
        for (name, work, latency) in [("decode", s.decodeWork, s.decode), ("process", s.processWork, s.process),
                                      ("encode", s.encodeWork, s.encode)] {
            let left = "\(ms(work.p50)) / \(ms(work.p95))"
            print("  " + name.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + left.padding(toLength: 22, withPad: " ", startingAt: 0) + "\(ms(latency.p50)) / \(ms(latency.p95))")
        }
        print("  total (arrival → encoded): p50 \(ms(s.total.p50)) ms, p95 \(ms(s.total.p95)) ms")
    }

    private func kbps(bytes: Int, frames: Int) -> Int {
        guard frames > 0 else { return 0 }
        return Int((Double(bytes) * 8 * 30 / Double(frames) / 1000).rounded())
    }
}

/// `loupe bench restore`: the restoration network on 640×360 → 1280×720 frames.
struct BenchRestore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "RestorationProcessor fps on 640x360 → 1280x720: 1 and 2 threads; whole frames, tiles, tile reuse.",
        discussion: """
            Clips: talking-head (a static background, SyntheticScene's first frame, with a swaying head \
            whose mouth moves every frame and whose eyes blink) and full-motion (SyntheticScene with \
            sensor noise ±2: every pixel changes every frame), or --clip FILE.y4m (scaled to 640x360). \
            Modes: frame (one network run per frame), tiles (every --tile-width x --tile-height tile, \
            each with its halo, every frame) and reuse (only the tiles whose input changed, or one \
            full-frame run when that is less work: the processor's default). --model: a model file, "default" (the built-in model, or the \
            design reference network when none is built in) or "design-reference" (conv 1→16, \
            3 × conv 16→16 + ReLU, conv 16→4, shuffle ×2, random weights: DESIGN.md §8). \
            GMAC/s counts the multiply-accumulates the network actually ran. cpu ms/frame is the \
            process's CPU time per frame (all threads): on a shared machine, with one thread, it is \
            closer to the wall time an idle core would give. To limit the process to one core run it \
            under `taskset -c 0`. --frame-budget-ms N runs the processor with the node's frame budget \
            (processing.frame_budget_ms): tiles past it fall back to bicubic and are counted.
            """)

    @Option(help: "Frames per run.") var frames = 150
    @Option(help: "A model file, default, or design-reference.") var model = "default"
    @Option(help: "Clip: talking-head, full-motion, all, or a Y4M file.") var clip = "all"
    @Option(help: "Thread counts to run, comma-separated.") var threads = "1,2"
    @Option(help: "Modes to run, comma-separated: frame, tiles, reuse.") var modes = "frame,tiles,reuse"
    @Option(help: "Pass the clips through VP8 at this bitrate (kbit/s) first, as the node sees them; 0: raw.")
    var vp8Kbps = 0
    @Option(help: "Tile width (input pixels).") var tileWidth = RestorationConfiguration().tileWidth
    @Option(help: "Tile height (input pixels).") var tileHeight = RestorationConfiguration().tileHeight
    @Option(help: "Frame budget in ms (processing.frame_budget_ms: tiles past it fall back to bicubic); 0: none.")
    var frameBudgetMs = 0

    func validate() throws {
        guard (1...100_000).contains(frames) else { throw ValidationError("--frames must be in 1…100000") }
        guard tileWidth > 0, tileHeight > 0 else { throw ValidationError("tile sizes must be positive") }
        guard (0...10_000).contains(frameBudgetMs) else { throw ValidationError("--frame-budget-ms must be in 0…10000") }
    }

    func run() throws {
        let file = try loadModel()
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ (1...64).contains($0) }) else {
            throw CommandFailure("--threads must list counts in 1…64")
        }
        let macs = file.graph.multiplyAccumulates(width: 640, height: 360)
        print("restore bench: model \(file.metadata["name"] ?? model), \(String(format: "%.2f", Double(macs) / 1e9)) GMAC "
              + "per 640x360 frame, receptive field \(file.graph.receptiveField); \(frames) frames per run; "
              + "tiles \(tileWidth)x\(tileHeight); " + (vp8Kbps > 0 ? "clips through VP8 at \(vp8Kbps) kbps" : "raw clips")
              + (frameBudgetMs > 0 ? "; frame budget \(frameBudgetMs) ms" : ""))
        for count in threadCounts {
            let ms = try networkMilliseconds(file, threads: count)
            print(String(format: "network alone, full 640x360 frame, %d thread%@: %.1f ms (%.1f GMAC/s)", count,
                         count == 1 ? "" : "s", ms, Double(macs) / 1e6 / ms))
            // the same network with every convolution on oneDNN
            let oneDNN = try networkMilliseconds(file, threads: count, projectKernels: false)
            print(String(format: "  the same on oneDNN alone (no CSmallConv kernels): %.1f ms (%.1f GMAC/s)", oneDNN,
                         Double(macs) / 1e6 / oneDNN))
        }
        if file.graph.quantizer != nil {
            let microseconds = try quantizerChangeMicroseconds(file)
            print(String(format: "a change of the frame's quantizer (rewriting the conditioned biases and kernels): %.1f µs",
                         microseconds))
        }
        let bicubicMs = try bicubicMilliseconds()
        print(String(format: "bicubic x2 alone (luma + chroma, the skip and fallback): %.1f ms", bicubicMs))
        print("")
        print("clip          threads  mode    fps    ms/frame p50 / p95  cpu ms/frame  tiles computed / reused / fallen back   GMAC/s")
        for (name, raw) in try clips() {
            let source = try vp8Kbps > 0 ? throughVP8(raw) : raw
            for count in threadCounts {
                for mode in selectedModes {
                    let result = try measure(file, frames: source, threads: count, mode: mode)
                    let c = result.counters
                    let tiles = "\(c.tilesComputed) / \(c.tilesReused) / \(c.tilesFallenBack)"
                    print(name.padding(toLength: 14, withPad: " ", startingAt: 0)
                          + "\(count)".padding(toLength: 9, withPad: " ", startingAt: 0)
                          + mode.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)
                          + String(format: "%6.1f  %6.1f / %5.1f   %8.1f      ", Double(frames) / result.seconds, result.p50,
                                   result.p95, result.cpuSeconds * 1000 / Double(frames))
                          + tiles.padding(toLength: 37, withPad: " ", startingAt: 0)
                          + String(format: "%6.1f", Double(c.multiplyAccumulates) / 1e9 / result.seconds))
                }
            }
        }
    }

    /// The clip after a VP8 encode at --vp8-kbps and decode (what the node restores).
    private func throughVP8(_ clip: [I420Frame]) throws -> [I420Frame] {
        do {
            let encoder = try VideoEncoder(codec: .vp8, width: 640, height: 360, fps: 30, bitrateKbps: vp8Kbps)
            let decoder = try VideoDecoder(codec: .vp8)
            var out: [I420Frame] = []
            for frame in clip {
                for encoded in try encoder.encode(frame) { out += try decoder.decode(encoded) }
            }
            while out.count < clip.count, let last = out.last { out.append(last) }
            return out
        } catch {
            throw CommandFailure.codec(error)
        }
    }

    private var selectedModes: [Mode] {
        modes.split(separator: ",").compactMap { Mode(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
    }

    private func loadModel() throws -> ModelFile {
        do {
            switch model {
            case "design-reference": return try BenchRestore.designReference()
            case "default":
                if RestorationProcessor.defaultModelPath == nil { return try BenchRestore.designReference() }
                return try RestorationProcessor.defaultModel()
            default: return try ModelFile(contentsOfFile: model)
            }
        } catch let error as ModelLoadError {
            throw CommandFailure("\(model): \(error)")
        } catch {
            throw CommandFailure("\(model): \(error)")
        }
    }

    /// DESIGN.md §8's measured network with random weights.
    static func designReference() throws(ModelLoadError) -> ModelFile {
        var state: UInt64 = 42
        func random(_ count: Int, _ bound: Float) -> [Float] {
            (0..<count).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * bound
            }
        }
        var nodes: [ModelArchitecture.Node] = []
        var tensors: [SafetensorsTensor] = []
        var input = "lr"
        for (index, (cin, cout)) in [(1, 16), (16, 16), (16, 16), (16, 16), (16, 4)].enumerated() {
            let name = "c\(index)"
            tensors.append(SafetensorsTensor(name: name + ".weight", shape: [cout, cin, 3, 3],
                                             values: random(cout * cin * 9, 1 / Float(9 * cin).squareRoot())))
            tensors.append(SafetensorsTensor(name: name + ".bias", shape: [cout], values: random(cout, 0.01)))
            nodes.append(.conv2d(input, name, weight: name + ".weight", bias: name + ".bias", kernel: 3,
                                 inChannels: cin, outChannels: cout, relu: (1...3).contains(index)))
            input = name
        }
        nodes.append(ModelArchitecture.Node(op: "pixel_shuffle", input: input, output: "out", factor: 2))
        let architecture = ModelArchitecture(scale: 2, receptiveField: 5, inputs: [.init(name: "lr", channels: 1)],
                                             nodes: nodes, output: "out")
        return try ModelFile(bytes: ModelFile.serialize(architecture: architecture, tensors: tensors,
                                                        metadata: ["name": "design-reference"]))
    }

    private func clips() throws -> [(String, [I420Frame])] {
        switch clip {
        case "talking-head": return [("talking-head", BenchRestore.talkingHead(frames: frames))]
        case "full-motion": return [("full-motion", BenchRestore.fullMotion(frames: frames))]
        case "all":
            return [("talking-head", BenchRestore.talkingHead(frames: frames)),
                    ("full-motion", BenchRestore.fullMotion(frames: frames))]
        default:
            var pictures: [I420Frame] = []
            do {
                let reader = try Y4MReader(path: clip)
                while pictures.count < frames, let frame = try reader.nextFrame() {
                    pictures.append(frame.width == 640 && frame.height == 360
                                    ? frame : try frame.scaled(width: 640, height: 360, filter: .box))
                }
            } catch let error as Y4MError {
                throw CommandFailure.y4m(error, path: clip)
            } catch {
                throw CommandFailure("\(clip): \(error)")
            }
            guard let first = pictures.first else { throw CommandFailure("\(clip) has no frames") }
            while pictures.count < frames { pictures.append(pictures[pictures.count % max(1, pictures.count)]) }
            _ = first
            let name = (clip as NSString).lastPathComponent
            return [(String(name.prefix(13)), pictures)]
        }
    }

    static func fullMotion(frames: Int) -> [I420Frame] {
        let scene = SyntheticScene(width: 640, height: 360, fps: 30, noise: 2)
        return (0..<frames).map { scene.frame($0) }
    }

    /// A static background with a head that sways a few pixels, a mouth that moves every frame
    /// and eyes that blink.
    static func talkingHead(frames: Int) -> [I420Frame] {
        let background = SyntheticScene(width: 640, height: 360, fps: 30).frame(0)
        return (0..<frames).map { index in
            var frame = background
            frame.timestamp = UInt32(truncatingIfNeeded: index * 3000)
            let phase = index % 90
            let sway = (phase < 45 ? phase : 90 - phase) * 6 / 45 - 3
            let cx = 320 + sway, cy = 190, rx = 60, ry = 78
            for row in (cy - ry)...(cy + ry) {
                for col in (cx - rx)...(cx + rx) {
                    let dx = Double(col - cx) / Double(rx), dy = Double(row - cy) / Double(ry)
                    if dx * dx + dy * dy <= 1 {
                        frame.y[row * 640 + col] = UInt8(truncatingIfNeeded: 150 + (col - cx) / 4 - (row - cy) / 6)
                    }
                }
            }
            let blink = index % 60 < 3
            for eye in [cx - 22, cx + 22] {
                for row in (cy - 18)..<(cy - (blink ? 16 : 10)) {
                    for col in (eye - 7)..<(eye + 7) { frame.y[row * 640 + col] = 40 }
                }
            }
            let opening = 3 + ((index % 8) < 4 ? index % 8 : 8 - index % 8) * 3
            for row in (cy + 35)..<(cy + 35 + opening) {
                for col in (cx - 20)..<(cx + 20) { frame.y[row * 640 + col] = 70 }
            }
            return frame
        }
    }

    private func networkMilliseconds(_ file: ModelFile, threads: Int, projectKernels: Bool = true) throws -> Double {
        do {
            let network = try CompiledNetwork(graph: file.graph, width: 640, height: 360, threads: threads,
                                              projectKernels: projectKernels)
            let input = network.input(0)
            for i in 0..<input.count { input[i] = Float(i % 251) / 255 }
            try network.execute()
            let runs = 20
            let started = ContinuousClock.now
            for _ in 0..<runs { try network.execute() }
            return Double((ContinuousClock.now - started).microseconds) / 1000 / Double(runs)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// `CompiledNetwork.setQuantizer` with a new value each call, one thread, µs per call.
    private func quantizerChangeMicroseconds(_ file: ModelFile) throws -> Double {
        do {
            let network = try CompiledNetwork(graph: file.graph, width: 640, height: 360, threads: 1)
            let runs = 2000
            let started = ContinuousClock.now
            for i in 0..<runs { network.setQuantizer(Float(i % 100 + 1) / 101) }
            return Double((ContinuousClock.now - started).microseconds) / Double(runs)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// User + system CPU time of the whole process so far (all threads), seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    private func bicubicMilliseconds() throws -> Double {
        let frame = SyntheticScene(width: 640, height: 360).frame(1)
        do {
            let upscaler = try BicubicUpscaler(factor: 2)
            _ = try upscaler.upscale(frame)
            let runs = 20
            let started = ContinuousClock.now
            for _ in 0..<runs { _ = try upscaler.upscale(frame) }
            return Double((ContinuousClock.now - started).microseconds) / 1000 / Double(runs)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// frame: one network run per frame; tiles: every tile, every frame; reuse: changed tiles only
    /// (one full-frame run instead when that is less work, as by default).
    enum Mode: String, CaseIterable {
        case frame, tiles, reuse
    }

    private func measure(_ file: ModelFile, frames source: [I420Frame], threads: Int, mode: Mode) throws
        -> (seconds: Double, p50: Double, p95: Double, cpuSeconds: Double, counters: RestorationCounters) {
        let configuration = RestorationConfiguration(threads: threads, tiling: mode != .frame, tileWidth: tileWidth,
                                                     tileHeight: tileHeight, tileReuse: mode == .reuse,
                                                     fullFrameWhenCheaper: mode == .reuse,
                                                     frameBudget: frameBudgetMs > 0 ? .milliseconds(frameBudgetMs) : nil)
        let epoch = ContinuousClock.now
        let clock: RestorationProcessor.Clock = { Instant(microseconds: (ContinuousClock.now - epoch).microseconds) }
        do {
            let processor = try RestorationProcessor(model: file, configuration: configuration,
                                                     clock: frameBudgetMs > 0 ? clock : nil)
            try processor.warmUp(width: 640, height: 360)
            try processor.configure(stream: "bench", width: 640, height: 360)
            var times: [Double] = []
            let cpuStart = BenchRestore.processCPUSeconds()
            let started = ContinuousClock.now
            for frame in source {
                let before = ContinuousClock.now
                _ = try processor.process([frame], stream: "bench")
                times.append(Double((ContinuousClock.now - before).microseconds) / 1000)
            }
            let seconds = Double((ContinuousClock.now - started).microseconds) / 1e6
            let cpuSeconds = BenchRestore.processCPUSeconds() - cpuStart
            times.sort()
            let p50 = times[times.count / 2], p95 = times[min(times.count - 1, times.count * 95 / 100)]
            return (seconds, p50, p95, cpuSeconds, processor.counters(for: "bench") ?? RestorationCounters())
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
