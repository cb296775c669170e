import RTP
import SansIO
import Testing
@testable import Media

struct VideoCodecTests {
    /// Encode 30 frames → packetize → shuffle within each frame → assemble → decode.
    @Test func vp8PipelineThroughRTP() throws {
        let scene = SyntheticScene(width: 640, height: 360, fps: 30)
        let encoder = try VideoEncoder(codec: .vp8, width: 640, height: 360, fps: 30, bitrateKbps: 800)
        let decoder = try VideoDecoder(codec: .vp8)
        var packetizer = VP8Packetizer(maxPayloadSize: 1200)
        var assembler = VideoFrameAssembler(codec: .vp8)
        var sequence: UInt16 = 65500
        var rng: UInt64 = 42
        var worstPSNR = Double.infinity
        var decoded = 0
        for index in 0..<30 {
            let source = scene.frame(index)
            let encoded = try encoder.encode(source, forceKeyframe: false)
            #expect(encoded.count == 1)
            for frame in encoded {
                var rtp = packetizer.packets(for: frame, payloadType: 96, ssrc: 7, sequenceNumber: &sequence)
                #expect(rtp.allSatisfy { $0.payload.count <= 1200 })
                #expect(rtp.last?.header.marker == true)
                // Fisher–Yates with a fixed LCG.
                for i in stride(from: rtp.count - 1, to: 0, by: -1) {
                    rng = rng &* 6364136223846793005 &+ 1442695040888963407
                    rtp.swapAt(i, Int(rng >> 33) % (i + 1))
                }
                var events: [VideoFrameAssemblerEvent] = []
                let now = Instant.milliseconds(Int64(index) * 33)
                for packet in rtp { events += assembler.insert(packet, now: now) }
                let assembled = events.compactMap { if case .frame(let f) = $0 { f } else { nil } }
                #expect(assembled.count == 1)
                guard let assembled = assembled.first else {
                    Issue.record("frame \(index) not assembled: \(events)")
                    continue
                }
                #expect(assembled.bytes == frame.bytes)
                #expect(assembled.isKeyframe == frame.isKeyframe)
                if index == 0 {
                    #expect(assembled.isKeyframe)
                    #expect(assembled.width == 640)
                    #expect(assembled.height == 360)
                }
                let pictures = try decoder.decode(assembled.bytes, timestamp: assembled.timestamp)
                #expect(pictures.count == 1)
                for picture in pictures {
                    #expect(picture.width == 640 && picture.height == 360)
                    #expect(picture.timestamp == source.timestamp)
                    let psnr = try #require(PlanePSNR(picture, source))
                    worstPSNR = min(worstPSNR, psnr.y)
                    #expect(psnr.u > 30 && psnr.v > 30)
                    decoded += 1
                }
            }
        }
        #expect(decoded == 30)
        #expect(worstPSNR > 30, "worst Y-PSNR \(worstPSNR)")
        #expect(assembler.statistics.framesDropped == 0 && assembler.statistics.keyframeRequests == 0)
    }

    @Test func vp9RoundTrip() throws {
        let scene = SyntheticScene(width: 320, height: 180)
        let encoder = try VideoEncoder(codec: .vp9, width: 320, height: 180, fps: 30, bitrateKbps: 400)
        let decoder = try VideoDecoder(codec: .vp9)
        var decoded = 0
        for index in 0..<8 {
            let source = scene.frame(index)
            for frame in try encoder.encode(source) {
                #expect(frame.isKeyframe == (index == 0))
                for picture in try decoder.decode(frame) {
                    #expect(picture.width == 320 && picture.height == 180)
                    #expect((picture.psnrY(source) ?? 0) > 30)
                    decoded += 1
                }
            }
        }
        #expect(decoded == 8)
    }

    @Test(arguments: [VideoCodec.vp8, .vp9])
    func oddSizeRoundTrip(codec: VideoCodec) throws {
        let scene = SyntheticScene(width: 161, height: 91)
        let encoder = try VideoEncoder(codec: codec, width: 161, height: 91, fps: 30, bitrateKbps: 300)
        let decoder = try VideoDecoder(codec: codec)
        let source = scene.frame(0)
        let pictures = try encoder.encode(source).flatMap { frame throws(VideoCodecError) in
            try decoder.decode(frame)
        }
        #expect(pictures.count == 1)
        #expect(pictures.first?.width == 161)
        #expect(pictures.first?.height == 91)
        #expect(pictures.first?.u.count == 81 * 46)
        #expect((pictures.first?.psnrY(source) ?? 0) > 28)
    }

    @Test func setBitrateLowersFrameSizes() throws {
        let scene = SyntheticScene(width: 320, height: 180)
        let encoder = try VideoEncoder(codec: .vp8, width: 320, height: 180, fps: 30, bitrateKbps: 1200)
        var high = 0, low = 0
        for index in 0..<60 {
            if index == 30 { try encoder.setBitrate(kbps: 100) }
            let size = try encoder.encode(scene.frame(index)).reduce(0) { $0 + $1.bytes.count }
            if (10..<30).contains(index) { high += size }
            if (40..<60).contains(index) { low += size }
        }
        #expect(encoder.bitrateKbps == 100)
        #expect(low * 2 < high, "high \(high) low \(low)")
    }

    @Test(arguments: [VideoCodec.vp8, .vp9])
    func reconfigureChangesDecodedSize(codec: VideoCodec) throws {
        let encoder = try VideoEncoder(codec: codec, width: 640, height: 360, fps: 30, bitrateKbps: 600)
        let decoder = try VideoDecoder(codec: codec)
        let big = SyntheticScene(width: 640, height: 360), small = SyntheticScene(width: 320, height: 180)
        for index in 0..<2 {
            for frame in try encoder.encode(big.frame(index)) { _ = try decoder.decode(frame) }
        }
        try encoder.reconfigure(width: 320, height: 180)
        #expect(encoder.width == 320)
        #expect(throws: VideoCodecError.frameSizeMismatch(expectedWidth: 320, expectedHeight: 180,
                                                           width: 640, height: 360)) {
            try encoder.encode(big.frame(2))
        }
        for index in 2..<5 {
            let encoded = try encoder.encode(small.frame(index))
            #expect(encoded.allSatisfy { $0.width == 320 && $0.height == 180 })
            for frame in encoded {
                let pictures = try decoder.decode(frame)
                #expect(pictures.map(\.width) == [320])
                #expect(pictures.map(\.height) == [180])
                #expect((pictures.first?.psnrY(small.frame(index)) ?? 0) > 28)
            }
        }
        // Growing past the initial size re-initialises VP8; both codecs keep decoding.
        try encoder.reconfigure(width: 800, height: 450)
        let larger = SyntheticScene(width: 800, height: 450)
        let encoded = try encoder.encode(larger.frame(5))
        #expect(encoded.count == 1)
        let pictures = try decoder.decode(try #require(encoded.first))
        #expect(pictures.map(\.width) == [800])
    }

    @Test(arguments: [(VideoCodec.vp8, 127), (.vp9, 255)])
    func decoderReportsTheFramesQuantizer(codec: VideoCodec, maxIndex: Int) throws {
        // The same scene at a starved and at a generous bitrate: the starved stream is quantized
        // more coarsely, frame for frame, and every index is in the codec's range.
        func quantizers(kbps: Int) throws -> [Int] {
            let scene = SyntheticScene(width: 320, height: 180)
            let encoder = try VideoEncoder(codec: codec, width: 320, height: 180, fps: 30, bitrateKbps: kbps)
            let decoder = try VideoDecoder(codec: codec)
            #expect(decoder.lastQuantizer == nil)
            var result: [Int] = []
            for index in 0..<20 {
                for frame in try encoder.encode(scene.frame(index)) {
                    _ = try decoder.decode(frame)
                    result.append(try #require(decoder.lastQuantizer))
                }
            }
            #expect(throws: VideoCodecError.self) { try decoder.decode([0x31, 0x00, 0x00, 0xFF, 0x12]) }
            #expect(decoder.lastQuantizer == nil)
            return result
        }
        let starved = try quantizers(kbps: 40), generous = try quantizers(kbps: 3000)
        #expect((starved + generous).allSatisfy { (0...maxIndex).contains($0) })
        let mean = { (q: [Int]) in Double(q.dropFirst(5).reduce(0, +)) / Double(q.count - 5) }
        #expect(mean(starved) > mean(generous) + 20, "starved \(starved) generous \(generous)")
    }

    @Test func forceKeyframe() throws {
        let scene = SyntheticScene(width: 160, height: 90)
        let encoder = try VideoEncoder(codec: .vp8, width: 160, height: 90, fps: 30, bitrateKbps: 200)
        var flags: [Bool] = []
        for index in 0..<6 {
            flags += try encoder.encode(scene.frame(index), forceKeyframe: index == 4).map(\.isKeyframe)
        }
        #expect(flags == [true, false, false, false, true, false])
        let header = try VP8FrameHeader.parse(try encoder.encode(scene.frame(6), forceKeyframe: true)[0].bytes)
        #expect(header.isKeyframe && header.width == 160 && header.height == 90)
    }

    @Test(arguments: [VideoCodec.vp8, .vp9])
    func corruptInputThrowsTyped(codec: VideoCodec) throws {
        let encoder = try VideoEncoder(codec: codec, width: 160, height: 90, fps: 30, bitrateKbps: 300)
        let keyframe = try #require(try encoder.encode(SyntheticScene(width: 160, height: 90).frame(0)).first)
        #expect(throws: VideoCodecError.emptyInput) { try VideoDecoder(codec: codec).decode([]) }
        // Interframe-looking garbage before any keyframe.
        #expect(throws: VideoCodecError.self) {
            try VideoDecoder(codec: codec).decode([0x31, 0x00, 0x00, 0xFF, 0x12, 0x34, 0x56])
        }
        // Every prefix of a real keyframe decodes to a right-sized picture or throws; never traps.
        let decoder = try VideoDecoder(codec: codec)
        for length in stride(from: 1, to: keyframe.bytes.count, by: max(1, keyframe.bytes.count / 40)) {
            do {
                for picture in try decoder.decode(Array(keyframe.bytes[0..<length])) {
                    #expect(picture.width == 160 && picture.height == 90)
                }
            } catch {}
        }
        // Bit flips in a real keyframe.
        var state: UInt32 = 99
        for _ in 0..<20 {
            var damaged = keyframe.bytes
            for _ in 0..<8 {
                state = state &* 1_664_525 &+ 1_013_904_223
                damaged[Int(state >> 8) % damaged.count] ^= UInt8(truncatingIfNeeded: state)
            }
            _ = try? decoder.decode(damaged)
        }
        // The decoder recovers on an intact keyframe.
        #expect(try decoder.decode(keyframe).count == 1)
    }

    @Test func invalidEncoderConfigurationsThrow() {
        #expect(throws: VideoCodecError.self) {
            try VideoEncoder(codec: .vp8, width: 0, height: 90, fps: 30, bitrateKbps: 100)
        }
        #expect(throws: VideoCodecError.self) {
            try VideoEncoder(codec: .vp9, width: 160, height: 90, fps: 0, bitrateKbps: 100)
        }
    }
}

struct I420FrameTests {
    @Test func sceneIsDeterministicAndMoves() {
        let scene = SyntheticScene(width: 64, height: 36)
        #expect(scene.frame(5) == scene.frame(5))
        #expect(scene.frame(5).y != scene.frame(6).y)
        #expect(scene.frame(3).timestamp == 9000)
    }

    @Test func planeInitValidatesSizes() {
        let ok = I420Frame(width: 3, height: 3, y: [UInt8](repeating: 0, count: 4 * 2 + 3), strideY: 4,
                           u: [0, 0, 0, 0], strideU: 2, v: [0, 0, 0, 0], strideV: 2)
        #expect(ok != nil)
        #expect(I420Frame(width: 3, height: 3, y: [UInt8](repeating: 0, count: 10), strideY: 4,
                          u: [0, 0, 0, 0], strideU: 2, v: [0, 0, 0, 0], strideV: 2) == nil)
        #expect(I420Frame(width: 3, height: 3, y: [UInt8](repeating: 0, count: 9), strideY: 2,
                          u: [0, 0, 0, 0], strideU: 2, v: [0, 0, 0, 0], strideV: 2) == nil)
    }

    @Test func psnrValues() throws {
        let a = I420Frame(width: 4, height: 4, fillY: 100)
        var b = a
        #expect(PlanePSNR(a, b)?.y == PlanePSNR.identical)
        for i in b.y.indices { b.y[i] = 110 }  // MSE 100 → 10·log10(65025/100) ≈ 28.13 dB
        let psnr = try #require(PlanePSNR(a, b))
        #expect(abs(psnr.y - 28.1308) < 0.001)
        #expect(psnr.u == PlanePSNR.identical)
        #expect(PlanePSNR(a, I420Frame(width: 2, height: 4)) == nil)
        // Padded strides compare the same pixels.
        let padded = try #require(I420Frame(width: 4, height: 4, y: [UInt8](repeating: 110, count: 8 * 4),
                                            strideY: 8, u: [UInt8](repeating: 128, count: 4), strideU: 2,
                                            v: [UInt8](repeating: 128, count: 4), strideV: 2))
        #expect(abs((PlanePSNR(a, padded)?.y ?? 0) - 28.1308) < 0.001)
        #expect(padded.packed().y == b.y)
    }
}
