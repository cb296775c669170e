import Foundation
import Logging
import Media
import Node
import SansIO

/// What the processing host runs: the pipeline settings and the processor each pipeline gets.
struct ProcessingSetup: Sendable {
    var settings: LoupeConfiguration.Processing
    /// "model name" or "bicubic", for logs and `/api/rooms`.
    var processorName: String
    /// A new processor for one pipeline (each pipeline owns its own).
    var makeProcessor: @Sendable () throws -> any FrameProcessor

    /// Bicubic ×2, fitted in the configured box.
    static func bicubic(_ settings: LoupeConfiguration.Processing) -> ProcessingSetup {
        ProcessingSetup(settings: settings, processorName: "bicubic") {
            try BicubicProcessor(factor: 2, maxWidth: settings.maxWidth, maxHeight: settings.maxHeight)
        }
    }
}

/// Runs the node's processing commands: one `VideoPipeline` (decode → processors → encode, on
/// its own threads) per published video track that has restored subscribers.
///
/// Used only from the node runtime's event loop. The pipelines call back on their own threads;
/// `deliver` carries what they produce back to the event loop as node inputs.
final class ProcessingHost {
    private struct Running {
        let pipeline: VideoPipeline
        let room: String
        let codec: VideoCodec
    }

    private let setup: ProcessingSetup
    private var settings: LoupeConfiguration.Processing { setup.settings }
    private let clock: MonotonicClock
    private let logger: Logger
    private let deliver: @Sendable (NodeInput) -> Void
    private var running: [String: Running] = [:]

    /// - Parameter deliver: called on a pipeline thread; must hop to the node's executor.
    init(setup: ProcessingSetup, clock: MonotonicClock, logger: Logger,
         deliver: @escaping @Sendable (NodeInput) -> Void) {
        self.setup = setup
        self.clock = clock
        self.logger = logger
        self.deliver = deliver
    }

    func apply(_ commands: [ProcessingCommand]) {
        for command in commands {
            switch command {
            case let .start(track, room, codec, bitrate):
                start(track: track, room: room, codec: codec, bitrate: bitrate)
            case let .frame(track, frame):
                running[track]?.pipeline.submit(frame)
            case let .setBitrate(track, bitrate):
                running[track]?.pipeline.setBitrate(kbps: max(1, bitrate / 1000))
            case let .keyframe(track):
                running[track]?.pipeline.requestKeyframe()
            case let .stop(track):
                stop(track: track)
            }
        }
    }

    /// Stops every pipeline (the server is stopping).
    func stopAll() {
        for track in running.keys.sorted() { stop(track: track) }
    }

    /// A snapshot of each running pipeline, for `/api/rooms` and `/metrics`.
    func snapshots() -> [ProcessingSnapshot] {
        running.keys.sorted().compactMap { track in
            guard let r = running[track] else { return nil }
            return ProcessingSnapshot(track: track, room: r.room, codec: r.codec.rawValue,
                                      processor: setup.processorName, statistics: r.pipeline.statistics)
        }
    }

    private func start(track: String, room: String, codec: VideoCodec, bitrate: Int) {
        stop(track: track)
        let configuration = VideoPipeline.Configuration(
            stream: VideoStreamID(track), inputCodec: codec, outputCodec: codec,
            bitrateKbps: min(max(1, bitrate / 1000), 100_000), fps: settings.fps,
            deadline: .milliseconds(settings.deadlineMs))
        let deliver = self.deliver
        do {
            let processor = try setup.makeProcessor()
            let clock = self.clock
            let pipeline = try VideoPipeline(
                configuration: configuration, processor: processor, clock: { clock.now() },
                output: { output in
                    deliver(.processedVideo(track: track, ProcessedVideoFrame(
                        timestamp: output.frame.rtpTimestamp, payloads: output.payloads,
                        isKeyframe: output.frame.isKeyframe, width: output.frame.width, height: output.frame.height)))
                },
                keyframeRequest: { _ in deliver(.processingNeedsKeyframe(track: track)) })
            guard pipeline.start() else {
                logger.error("processing: could not start the pipeline's threads", metadata: ["track": "\(track)"])
                return
            }
            running[track] = Running(pipeline: pipeline, room: room, codec: codec)
            logger.info("processing started", metadata: [
                "track": "\(track)", "room": "\(room)", "codec": "\(codec.rawValue)", "kbps": "\(bitrate / 1000)",
                "processor": "\(setup.processorName)",
            ])
        } catch {
            logger.error("processing: could not create the pipeline", metadata: ["track": "\(track)", "error": "\(error)"])
        }
    }

    private func stop(track: String) {
        guard let r = running.removeValue(forKey: track) else { return }
        let stats = r.pipeline.statistics.counters
        logger.info("processing stopped", metadata: [
            "track": "\(track)", "frames_in": "\(stats.framesSubmitted)", "frames_out": "\(stats.framesOutput)",
            "fallbacks": "\(stats.deadlineFallbacks)",
        ])
        // Joining the threads waits for the frame each holds: not on the event loop.
        let pipeline = r.pipeline
        Thread.detachNewThread { pipeline.stop() }
    }
}

/// One running rendition, as `/api/rooms` shows it.
struct ProcessingSnapshot: Sendable {
    var track: String
    var room: String
    var codec: String
    var processor: String
    var statistics: VideoPipelineStatistics
}
