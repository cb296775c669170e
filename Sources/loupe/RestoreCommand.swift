import ArgumentParser
import Dispatch
import Foundation
import Inference
import Media
import Restoration
import Synchronization

/// `loupe restore`: runs the upscaler on every frame of a video file, optionally scoring the
/// result against a reference.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upscale every frame of a Y4M video (bicubic, Keys a = -0.5, or a restoration network).",
        discussion: """
            --method model runs a loupe-restoration/1 network (docs/model-format.md; default: the \
            model built into loupe for --scale: restore-x2, or restore-x1 to repair without \
            upscaling) on luma, frame by frame in order (temporal models keep state), \
            with bicubic chroma; --threads is then the network's oneDNN thread count. --method \
            bicubic upscales --threads frames in parallel. With --reference, prints the Y/U/V PSNR \
            (from the mean squared error over all frames) and the mean SSIM (Wang et al. 2004) of \
            OUT against REF, which must have OUT's size and frame count. See docs/operations.md.
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable { case bicubic, model }

    @Argument(help: "Input video (YUV4MPEG2, 8-bit 4:2:0).") var input: String
    @Argument(help: "Output video (YUV4MPEG2).") var output: String
    @Option(help: "Upscaling factor (1…8).") var scale = 2
    @Option(help: "bicubic, or model (a restoration network).") var method: Method = .bicubic
    @Option(help: "Model file for --method model (default: the built-in restore-x<scale>: restore-x2, or restore-x1 for repair only).") var model: String?
    @Option(help: "bicubic: frames processed in parallel; model: network threads (1…64).") var threads = 1
    @Flag(inversion: .prefixedNo, help: "Model: recompute only tiles whose input changed (temporal tile reuse).")
    var tileReuse = true
    @Option(help: "Model: tile width in input pixels (0: whole frames, no tiles).") var tileWidth = 128
    @Option(help: "Model: tile height in input pixels.") var tileHeight = 64
    @Option(help: "Reference video to score OUT against (same size and frame count as OUT).")
    var reference: String?
    @Option(help: ArgumentHelp(
        "Model: the codec quantizer index of every input frame, one per line (`loupe degrade --quantizers`), for networks conditioned on it.",
        valueName: "path"))
    var quantizers: String?
    @Option(help: "Codec the --quantizers indexes belong to: vp8 or vp9.") var codec: Degrade.Codec = .vp8

    func validate() throws {
        guard (1...8).contains(scale) else { throw ValidationError("--scale must be in 1…8 (got \(scale))") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be in 1…64 (got \(threads))") }
        guard tileWidth >= 0, tileHeight > 0 else { throw ValidationError("--tile-width must be ≥ 0 and --tile-height > 0") }
        if model != nil && method != .model { throw ValidationError("--model needs --method model") }
        if quantizers != nil && method != .model { throw ValidationError("--quantizers needs --method model") }
    }

    /// The per-frame quantizer indexes of --quantizers ("-": unknown).
    private func readQuantizers() throws -> [Int?]? {
        guard let quantizers else { return nil }
        let text: String
        do { text = try String(contentsOfFile: quantizers, encoding: .utf8) } catch {
            throw CommandFailure("\(quantizers): \(error.localizedDescription)")
        }
        var values: [Int?] = []
        for (line, token) in text.split(whereSeparator: \.isWhitespace).enumerated() {
            if token == "-" { values.append(nil); continue }
            guard let index = Int(token), (0...255).contains(index) else {
                throw CommandFailure("\(quantizers): entry \(line + 1) \"\(token)\" is not a quantizer index (0…255 or -)")
            }
            values.append(index)
        }
        return values
    }

    func run() throws {
        let processor = method == .model ? try makeProcessor() : nil
        let frameQuantizers = try readQuantizers()
        let quantizerCodec = codec.videoCodec
        let upscaler: BicubicUpscaler
        do { upscaler = try BicubicUpscaler(factor: scale) } catch { throw CommandFailure(error.description) }
        let reader: Y4MReader
        do { reader = try Y4MReader(path: input) } catch { throw CommandFailure.y4m(error, path: input) }
        let inWidth = reader.header.width, inHeight = reader.header.height
        let outWidth = inWidth * scale, outHeight = inHeight * scale
        guard outWidth <= Y4MHeader.maximumDimension, outHeight <= Y4MHeader.maximumDimension else {
            throw CommandFailure("output would be \(sizeText(outWidth, outHeight)), over \(Y4MHeader.maximumDimension) pixels a side")
        }
        var referenceReader: Y4MReader?
        if let reference {
            do { referenceReader = try Y4MReader(path: reference) } catch { throw CommandFailure.y4m(error, path: reference) }
            if let r = referenceReader?.header, r.width != outWidth || r.height != outHeight {
                throw CommandFailure("\(reference) is \(sizeText(r.width, r.height)), the output is \(sizeText(outWidth, outHeight))")
            }
        }
        var header = reader.header
        header.width = outWidth
        header.height = outHeight
        header.extensions = []
        let writer: Y4MWriter
        do { writer = try Y4MWriter(path: output, header: header) } catch { throw CommandFailure.y4m(error, path: output) }

        let started = ContinuousClock.now
        var quality = ClipQuality()
        while true {
            var batch: [I420Frame] = []
            var references: [I420Frame] = []
            do {
                while batch.count < threads, let frame = try reader.nextFrame() { batch.append(frame) }
            } catch {
                throw CommandFailure.y4m(error, path: input)
            }
            if let frameQuantizers, let quantizers {
                let first = reader.framesRead - batch.count
                guard first + batch.count <= frameQuantizers.count else {
                    throw CommandFailure("\(quantizers) has \(frameQuantizers.count) entries, \(input) has more frames")
                }
                for i in batch.indices {
                    batch[i].codecQuantizer = frameQuantizers[first + i].map { CodecQuantizer(codec: quantizerCodec, index: $0) }
                }
            }
            if let referenceReader, let reference {
                do {
                    while references.count < batch.count, let frame = try referenceReader.nextFrame() {
                        references.append(frame)
                    }
                } catch {
                    throw CommandFailure.y4m(error, path: reference)
                }
                if references.count < batch.count {
                    throw CommandFailure("\(reference) has \(referenceReader.framesRead) frames, \(input) has more")
                }
            }
            guard !batch.isEmpty else { break }
            let results = try processor.map { try Restore.restore(batch, references: references, processor: $0) }
                ?? Restore.process(batch, references: references, upscaler: upscaler)
            for (index, result) in results.enumerated() {
                let frameNumber = reader.framesRead - batch.count + index
                let (picture, measurement) = try result.mapError { error in
                    CommandFailure("frame \(frameNumber): \(error.description)")
                }.get()
                do { try writer.write(picture) } catch { throw CommandFailure.y4m(error, path: output) }
                if let measurement { quality.add(mse: measurement.mse, ssim: measurement.ssim) }
            }
        }
        do { try writer.close() } catch { throw CommandFailure.y4m(error, path: output) }
        if let referenceReader, let reference {
            let more: I420Frame?
            do { more = try referenceReader.nextFrame() } catch { throw CommandFailure.y4m(error, path: reference) }
            if more != nil {
                throw CommandFailure("\(reference) has more frames than \(input) (\(reader.framesRead))")
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let frames = reader.framesRead
        print(String(format: "restore: %d frames %@ -> %@ %@ x%d, %d threads, %.1f fps",
                     frames, sizeText(inWidth, inHeight), sizeText(outWidth, outHeight), processor?.name ?? "bicubic",
                     scale, threads, seconds > 0 ? Double(frames) / seconds : 0))
        if let counters = processor?.totals {
            print("tiles: \(counters.tilesComputed) computed, \(counters.tilesReused) reused, "
                  + "\(counters.tilesFallenBack) fallen back; \(counters.fullFrameRuns) full-frame runs; "
                  + String(format: "%.2f GMAC", Double(counters.multiplyAccumulates) / 1e9))
            if counters.framesWithoutQuantizer > 0, let fallback = processor?.model.graph.quantizer?.fallback {
                print("quantizer: \(counters.framesWithoutQuantizer) frames without one used the model's default "
                      + String(format: "%.2f", fallback) + " (pass --quantizers)")
            }
        }
        if let reference {
            if let psnr = quality.psnr {
                print(String(format: "PSNR Y %.2f U %.2f V %.2f dB vs %@", psnr.y, psnr.u, psnr.v, reference))
            }
            if let ssim = quality.ssim {
                print(String(format: "SSIM Y %.4f U %.4f V %.4f vs %@", ssim.y, ssim.u, ssim.v, reference))
            } else if quality.frames > 0 {
                print("SSIM not computed: pictures under 21x21")
            }
        }
    }

    /// The restoration processor for --method model, configured for the input's size below.
    private func makeProcessor() throws -> RestorationProcessor {
        let file: ModelFile
        do {
            if let model {
                file = try ModelFile(contentsOfFile: model)
            } else {
                file = try RestorationProcessor.builtInModel(scale: scale)
            }
        } catch let error as ModelLoadError {
            throw CommandFailure("\(model ?? "default model"): \(error)")
        } catch {
            throw CommandFailure("\(error)")
        }
        guard file.graph.scale == scale else {
            throw CommandFailure("the model scales ×\(file.graph.scale), --scale is \(scale)")
        }
        let configuration = RestorationConfiguration(
            threads: threads, tiling: tileWidth > 0, tileWidth: max(tileWidth, 1), tileHeight: tileHeight,
            tileReuse: tileReuse && tileWidth > 0, maxWidth: 16384, maxHeight: 16384)
        do {
            return try RestorationProcessor(model: file, configuration: configuration)
        } catch {
            throw CommandFailure(error.description)
        }
    }

    /// Restores `batch` in order through `processor` (configured on first use), scoring when
    /// references are given.
    static func restore(_ batch: [I420Frame], references: [I420Frame], processor: RestorationProcessor) throws
        -> [Result<(I420Frame, Measurement?), FrameScaleError>] {
        guard let first = batch.first else { return [] }
        if processor.counters(for: "restore") == nil {
            do { try processor.configure(stream: "restore", width: first.width, height: first.height) } catch {
                throw CommandFailure(error.description)
            }
        }
        let pictures: [I420Frame]
        do { pictures = try processor.process(batch, stream: "restore") } catch { throw CommandFailure(error.description) }
        return pictures.enumerated().map { i, picture in
            var measurement: Measurement?
            if i < references.count, let mse = PlaneMSE(picture, references[i]) {
                measurement = Measurement(mse: mse, ssim: PlaneSSIM(picture, references[i]))
            }
            return .success((picture, measurement))
        }
    }

    struct Measurement {
        var mse: PlaneMSE
        var ssim: PlaneSSIM?
    }

    /// Upscales (and scores, when references are given) each frame of `batch`, one per thread.
    static func process(_ batch: [I420Frame], references: [I420Frame], upscaler: BicubicUpscaler)
        -> [Result<(I420Frame, Measurement?), FrameScaleError>] {
        let results = Mutex([Result<(I420Frame, Measurement?), FrameScaleError>](
            repeating: .failure(.invalidFactor(0)), count: batch.count))
        DispatchQueue.concurrentPerform(iterations: batch.count) { i in
            let result: Result<(I420Frame, Measurement?), FrameScaleError>
            do throws(FrameScaleError) {
                let picture = try upscaler.upscale(batch[i])
                var measurement: Measurement?
                if i < references.count, let mse = PlaneMSE(picture, references[i]) {
                    measurement = Measurement(mse: mse, ssim: PlaneSSIM(picture, references[i]))
                }
                result = .success((picture, measurement))
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[i] = result }
        }
        return results.withLock { $0 }
    }
}
