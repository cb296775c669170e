import ArgumentParser
import Foundation
import Media

/// `loupe degrade`: the node's own degradation of a video file, as a weak uplink would deliver
/// it: libyuv box downscale, libvpx realtime encode at a bitrate, decode.
struct Degrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Downscale (libyuv box), encode (libvpx realtime, CBR) and decode a Y4M video.",
        discussion: """
            OUT is the decoded low-resolution video (Y4M, 4:2:0). Prints one line: frames, achieved \
            bitrate and the Y/U/V PSNR of OUT against the downscaled input (pooled over all frames). \
            See docs/operations.md.
            """)

    enum Codec: String, ExpressibleByArgument, CaseIterable {
        case vp8, vp9

        var videoCodec: VideoCodec { self == .vp8 ? .vp8 : .vp9 }
    }

    @Argument(help: "Input video (YUV4MPEG2, 8-bit 4:2:0).") var input: String
    @Argument(help: "Output video (YUV4MPEG2).") var output: String
    @Option(help: "Output width in pixels (2…16384).") var width: Int
    @Option(help: "Output height in pixels (2…16384).") var height: Int
    @Option(help: "Codec: vp8 or vp9.") var codec: Codec
    @Option(help: "Target bitrate in kbit/s (1…100000).") var kbps: Int
    @Option(help: "Output frame rate (1…240); frames are dropped evenly when it is below the input's.")
    var fps: Int?
    @Option(help: ArgumentHelp(
        "Also write the decoder's quantizer index of every output frame (VP8 0…127, VP9 0…255), one per line, to this file.",
        valueName: "path"))
    var quantizers: String?

    func validate() throws {
        guard (2...16384).contains(width), (2...16384).contains(height) else {
            throw ValidationError("--width and --height must be in 2…16384 (got \(sizeText(width, height)))")
        }
        guard (1...100_000).contains(kbps) else { throw ValidationError("--kbps must be in 1…100000 (got \(kbps))") }
        if let fps, !(1...240).contains(fps) { throw ValidationError("--fps must be in 1…240 (got \(fps))") }
    }

    func run() throws {
        let reader: Y4MReader
        do { reader = try Y4MReader(path: input) } catch { throw CommandFailure.y4m(error, path: input) }
        let inputRate = reader.header.frameRate
        // Keep frame i when its slot on the output clock (i × fps / input rate) changes.
        let outputRate: Y4MRatio
        if let fps, Double(fps) < inputRate.value {
            outputRate = Y4MRatio(fps, 1)
        } else {
            outputRate = inputRate
        }
        let dropping = outputRate != inputRate
        let encoderFPS = min(max(Int(outputRate.value.rounded()), 1), 240)
        let encoder: VideoEncoder, decoder: VideoDecoder
        do {
            let videoCodec = codec.videoCodec
            encoder = try VideoEncoder(codec: videoCodec, width: width, height: height, fps: encoderFPS, bitrateKbps: kbps)
            decoder = try VideoDecoder(codec: videoCodec)
        } catch {
            throw CommandFailure.codec(error)
        }
        let header = Y4MHeader(width: width, height: height, frameRate: outputRate,
                               pixelAspect: reader.header.pixelAspect, colorspace: reader.header.colorspace)
        let writer: Y4MWriter
        do { writer = try Y4MWriter(path: output, header: header) } catch { throw CommandFailure.y4m(error, path: output) }

        var quantizerLines: [String] = []
        var quality = ClipQuality()
        var encodedBytes = 0
        var repeated = 0
        var lastDecoded: I420Frame?
        var lastSlot = -1
        var index = 0
        while true {
            let next: I420Frame?
            do { next = try reader.nextFrame() } catch { throw CommandFailure.y4m(error, path: input) }
            guard let frame = next else { break }
            defer { index += 1 }
            if dropping {
                let slot = Int((Double(index) * outputRate.value / inputRate.value + 1e-9).rounded(.down))
                guard slot != lastSlot else { continue }
                lastSlot = slot
            }
            let small: I420Frame
            do { small = try frame.scaled(width: width, height: height, filter: .box) } catch {
                throw CommandFailure("frame \(index): \(error.description)")
            }
            var decoded: I420Frame?
            do {
                for packet in try encoder.encode(small) {
                    encodedBytes += packet.bytes.count
                    if let picture = try decoder.decode(packet).last { decoded = picture }
                }
            } catch {
                throw CommandFailure("frame \(index): \(CommandFailure.codec(error).description)")
            }
            // A frame the encoder skipped shows the previous picture, as a receiver would.
            guard let picture = decoded ?? lastDecoded else {
                throw CommandFailure("frame \(index): the encoder produced no picture for the first frame")
            }
            if decoded == nil { repeated += 1 }
            guard picture.width == width, picture.height == height else {
                throw CommandFailure("frame \(index): decoded \(sizeText(picture.width, picture.height)), expected \(sizeText(width, height))")
            }
            lastDecoded = picture
            // the shown picture's own (a repeated one keeps the quantizer it was decoded with)
            quantizerLines.append(picture.codecQuantizer.map { String($0.index) } ?? "-")
            quality.add(picture, reference: small, computeSSIM: false)
            do { try writer.write(picture) } catch { throw CommandFailure.y4m(error, path: output) }
        }
        do { try writer.close() } catch { throw CommandFailure.y4m(error, path: output) }
        if let quantizers {
            do {
                try (quantizerLines.joined(separator: "\n") + "\n").write(toFile: quantizers, atomically: true, encoding: .utf8)
            } catch {
                throw CommandFailure("\(quantizers): \(error.localizedDescription)")
            }
        }
        guard let psnr = quality.psnr else { throw CommandFailure("\(input): no frames") }
        let seconds = Double(quality.frames) / outputRate.value
        let achieved = Double(encodedBytes) * 8 / seconds / 1000
        var line = "degrade: \(quality.frames) frames \(sizeText(width, height)) \(codec.rawValue) at "
        line += String(format: "%g fps, %.1f kbps (target %d), PSNR Y %.2f U %.2f V %.2f dB vs the downscaled input",
                       outputRate.value, achieved, kbps, psnr.y, psnr.u, psnr.v)
        if repeated > 0 { line += ", \(repeated) frames skipped by the encoder (previous picture repeated)" }
        print(line)
    }
}
