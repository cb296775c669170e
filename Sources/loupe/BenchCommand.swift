import ArgumentParser
import Foundation
import Media
import SansIO

/// `loupe bench`: measurements that docs/benchmarks.md records.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (run a release build).",
        subcommands: [BenchPipeline.self])
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
