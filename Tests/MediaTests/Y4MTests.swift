import Foundation
import Testing
@testable import Media

/// ASCII text as bytes.
private func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Sample bytes 0, 1, 2, … (wrapping).
private func ramp(_ count: Int, from start: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: start + $0) }
}

struct Y4MTests {
    /// The header ffmpeg writes for yuv420p (`ffmpeg -i … -pix_fmt yuv420p out.y4m`), then two
    /// 4×2 frames: Y 8 bytes, U 2, V 2. The second FRAME line carries a parameter.
    @Test func readsAnFFmpegStyleStream() throws {
        let stream = ascii("YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG\n")
            + ascii("FRAME\n") + ramp(8) + [100, 101] + [200, 201]
            + ascii("FRAME Ixyz\n") + ramp(8, from: 50) + [110, 111] + [210, 211]
        let reader = try Y4MReader(bytes: stream)
        #expect(reader.header.width == 4)
        #expect(reader.header.height == 2)
        #expect(reader.header.frameRate == Y4MRatio(30000, 1001))
        #expect(reader.header.pixelAspect == Y4MRatio(1, 1))
        #expect(reader.header.colorspace == .c420jpeg)
        #expect(reader.header.extensions == ["YSCSS=420JPEG"])
        #expect(reader.header.frameByteCount == 12)
        let first = try #require(try reader.nextFrame())
        #expect(first.y == ramp(8))
        #expect(first.u == [100, 101])
        #expect(first.v == [200, 201])
        #expect(first.timestamp == 0)
        let second = try #require(try reader.nextFrame())
        #expect(second.y == ramp(8, from: 50))
        #expect(second.u == [110, 111])
        #expect(second.v == [210, 211])
        #expect(second.timestamp == 3003)  // 90000 × 1001 / 30000
        #expect(try reader.nextFrame() == nil)
        #expect(try reader.nextFrame() == nil)
        #expect(reader.framesRead == 2)
    }

    /// Odd sizes: a 3×3 picture has 2×2 chroma planes, 9 + 4 + 4 bytes per frame.
    @Test func oddSizeChromaRoundsUp() throws {
        let stream = ascii("YUV4MPEG2 W3 H3 F25:1\nFRAME\n") + ramp(17)
        let (header, frames) = try Y4MReader.read(stream)
        #expect(header.colorspace == .c420jpeg)  // the format's default when C is absent
        #expect(header.pixelAspect == nil)
        #expect(frames.count == 1)
        #expect(frames.first?.y == ramp(9))
        #expect(frames.first?.u == [9, 10, 11, 12])
        #expect(frames.first?.v == [13, 14, 15, 16])
    }

    @Test(arguments: Y4MColorspace.allCases)
    func accepts420Colorspaces(colorspace: Y4MColorspace) throws {
        let stream = ascii("YUV4MPEG2 W2 H2 F30:1 Ip C\(colorspace.rawValue)\nFRAME\n") + ramp(6)
        let (header, frames) = try Y4MReader.read(stream)
        #expect(header.colorspace == colorspace)
        #expect(frames.count == 1)
    }

    @Test func unknownInterlacingAndZeroAspectAreAccepted() throws {
        let (header, _) = try Y4MReader.read(ascii("YUV4MPEG2 H2 W2 I? A0:0 F24:1\n"))
        #expect(header.width == 2 && header.height == 2)
        #expect(header.pixelAspect == Y4MRatio(0, 0))
        #expect(header.frameRate.value == 24)
    }

    @Test(arguments: [
        ("missing width", "YUV4MPEG2 H2 F30:1\n", Y4MError.missingParameter("W")),
        ("missing height", "YUV4MPEG2 W2 F30:1\n", .missingParameter("H")),
        ("missing frame rate", "YUV4MPEG2 W2 H2\n", .missingParameter("F")),
        ("no parameters", "YUV4MPEG2 \n", .missingParameter("W")),
        ("zero width", "YUV4MPEG2 W0 H2 F30:1\n", .invalidParameter("W", "W0")),
        ("negative height", "YUV4MPEG2 W2 H-2 F30:1\n", .invalidParameter("H", "H-2")),
        ("width not a number", "YUV4MPEG2 Wabc H2 F30:1\n", .invalidParameter("W", "Wabc")),
        ("width over 16384", "YUV4MPEG2 W16385 H2 F30:1\n", .invalidParameter("W", "W16385")),
        ("width of ten digits", "YUV4MPEG2 W1000000000 H2 F30:1\n", .invalidParameter("W", "W1000000000")),
        ("frame rate denominator 0", "YUV4MPEG2 W2 H2 F30:0\n", .invalidParameter("F", "F30:0")),
        ("frame rate without colon", "YUV4MPEG2 W2 H2 F30\n", .invalidParameter("F", "F30")),
        ("frame rate without numerator", "YUV4MPEG2 W2 H2 F:1\n", .invalidParameter("F", "F:1")),
        ("aspect not a ratio", "YUV4MPEG2 W2 H2 F30:1 Ax\n", .invalidParameter("A", "Ax")),
        ("interlacing letter unknown", "YUV4MPEG2 W2 H2 F30:1 Iq\n", .invalidParameter("I", "Iq")),
        ("width twice", "YUV4MPEG2 W2 H2 W4 F30:1\n", .duplicateParameter("W")),
        ("colorspace twice", "YUV4MPEG2 W2 H2 F30:1 C420 C420\n", .duplicateParameter("C")),
        ("unknown parameter", "YUV4MPEG2 W2 H2 F30:1 Z9\n", .unknownParameter("Z9")),
        ("4:4:4", "YUV4MPEG2 W2 H2 F30:1 C444\n", .unsupportedColorspace("444")),
        ("4:2:2", "YUV4MPEG2 W2 H2 F30:1 C422\n", .unsupportedColorspace("422")),
        ("10-bit 4:2:0", "YUV4MPEG2 W2 H2 F30:1 C420p10\n", .unsupportedColorspace("420p10")),
        ("monochrome", "YUV4MPEG2 W2 H2 F30:1 Cmono\n", .unsupportedColorspace("mono")),
        ("top field first", "YUV4MPEG2 W2 H2 F30:1 It\n", .unsupportedInterlacing("t")),
        ("mixed interlacing", "YUV4MPEG2 W2 H2 F30:1 Im\n", .unsupportedInterlacing("m")),
        ("wrong signature", "YUV4MPEG3 W2 H2 F30:1\n", .notY4M(found: "YUV4MPEG3 W2 H2 ")),
        ("no space after signature", "YUV4MPEG2\n", .notY4M(found: "YUV4MPEG2.")),
        ("empty", "", .truncatedHeader),
        ("signature prefix only", "YUV4", .truncatedHeader),
        ("no end of line", "YUV4MPEG2 W2 H2 F30:1", .truncatedHeader),
        ("header over 4096 bytes", "YUV4MPEG2 W2 H2 F30:1 X" + String(repeating: "a", count: 5000) + "\n",
         .headerTooLong),
    ])
    func badHeader(name: String, text: String, expected: Y4MError) {
        #expect(throws: expected, "\(name)") { try Y4MReader(bytes: ascii(text)) }
    }

    @Test func controlBytesInAHeaderAreRejected() {
        #expect(throws: Y4MError.unknownParameter("W2.")) {
            try Y4MReader(bytes: ascii("YUV4MPEG2 W2\u{01} H2 F30:1\n"))
        }
    }

    @Test func errorMessagesNameTheProblem() {
        #expect(Y4MError.missingParameter("W").description == "Y4M header: missing width (W)")
        #expect(Y4MError.invalidParameter("F", "F30:0").description == "Y4M header: invalid frame rate \"F30:0\"")
        #expect(Y4MError.unsupportedColorspace("444").description.contains("C444 is not supported"))
        #expect(Y4MError.truncatedFrame(frame: 3, expected: 6, found: 4).description
                == "Y4M frame 3: truncated (4 of 6 bytes)")
    }

    private static let header2x2 = ascii("YUV4MPEG2 W2 H2 F30:1\n")

    @Test(arguments: [
        ("sample data cut short", ascii("FRAME\n") + ramp(4), Y4MError.truncatedFrame(frame: 0, expected: 6, found: 4)),
        ("second frame cut short", ascii("FRAME\n") + ramp(6) + ascii("FRAME\n") + ramp(5),
         .truncatedFrame(frame: 1, expected: 6, found: 5)),
        ("frame line without data", ascii("FRAME\n"), .truncatedFrame(frame: 0, expected: 6, found: 0)),
        ("frame marker cut short", ascii("FRAM"), .truncatedFrameHeader(frame: 0)),
        ("frame line without end of line", ascii("FRAME Ixyz"), .truncatedFrameHeader(frame: 0)),
        ("wrong frame marker", ascii("FRAMX\n") + ramp(6), .badFrameMarker(frame: 0)),
        ("frame marker run into a parameter", ascii("FRAMEX\n") + ramp(6), .badFrameMarker(frame: 0)),
        ("trailing garbage after the last frame", ascii("FRAME\n") + ramp(6) + ascii("junk"), .badFrameMarker(frame: 1)),
        ("trailing line feed", ascii("FRAME\n") + ramp(6) + [0x0A], .badFrameMarker(frame: 1)),
        ("frame line over 1024 bytes", ascii("FRAME X" + String(repeating: "b", count: 1100) + "\n") + ramp(6),
         .frameHeaderTooLong(frame: 0)),
        ("frame one byte too long: next marker misaligned", ascii("FRAME\n") + ramp(7) + ascii("FRAME\n") + ramp(6),
         .badFrameMarker(frame: 1)),
    ])
    func badFrames(name: String, frames: [UInt8], expected: Y4MError) throws {
        let reader = try Y4MReader(bytes: Y4MTests.header2x2 + frames)
        #expect(throws: expected, "\(name)") {
            while try reader.nextFrame() != nil {}
        }
        // After an error the reader stays finished rather than reading on from the wrong place.
        #expect(try reader.nextFrame() == nil)
    }

    @Test func writerProducesTheExactBytes() throws {
        var frame = I420Frame(width: 4, height: 2, timestamp: 0)
        frame.y = ramp(8)
        frame.u = [1, 2]
        frame.v = [3, 4]
        let header = Y4MHeader(width: 4, height: 2, frameRate: Y4MRatio(25, 1))
        let bytes = try Y4MWriter.serialize(header: header, frames: [frame, frame])
        let expected = ascii("YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\n")
            + ascii("FRAME\n") + ramp(8) + [1, 2, 3, 4]
            + ascii("FRAME\n") + ramp(8) + [1, 2, 3, 4]
        #expect(bytes == expected)
    }

    @Test func writerKeepsExtensionsAndColorspace() {
        let header = Y4MHeader(width: 6, height: 4, frameRate: Y4MRatio(30000, 1001), pixelAspect: nil,
                               colorspace: .c420mpeg2, extensions: ["COLORRANGE=LIMITED"])
        #expect(header.serialized == ascii("YUV4MPEG2 W6 H4 F30000:1001 Ip C420mpeg2 XCOLORRANGE=LIMITED\n"))
    }

    /// A frame whose rows are padded (stride 6 for a 4-wide picture) is written without padding.
    @Test func writerDropsStridePadding() throws {
        let y: [UInt8] = [1, 2, 3, 4, 99, 99, 5, 6, 7, 8, 99, 99]
        let frame = try #require(I420Frame(width: 4, height: 2, y: y, strideY: 6, u: [10, 11, 98], strideU: 3,
                                           v: [20, 21, 97], strideV: 3))
        let writer = Y4MWriter(header: Y4MHeader(width: 4, height: 2, frameRate: Y4MRatio(30, 1)))
        try writer.write(frame)
        #expect(Array(writer.bytes.suffix(12)) == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 20, 21])
        #expect(writer.framesWritten == 1)
    }

    @Test func writerRejectsAFrameOfAnotherSize() {
        let writer = Y4MWriter(header: Y4MHeader(width: 4, height: 2, frameRate: Y4MRatio(30, 1)))
        #expect(throws: Y4MError.frameSizeMismatch(expectedWidth: 4, expectedHeight: 2, width: 2, height: 2)) {
            try writer.write(I420Frame(width: 2, height: 2))
        }
    }

    /// Through real files: the writer's file is read back frame by frame, and bytes written by
    /// hand into a file read the same as from memory.
    @Test func fileRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("loupe-y4m-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("clip.y4m").path
        let scene = SyntheticScene(width: 33, height: 17)
        let header = Y4MHeader(width: 33, height: 17, frameRate: Y4MRatio(30, 1))
        let writer = try Y4MWriter(path: path, header: header)
        for index in 0..<5 { try writer.write(scene.frame(index)) }
        try writer.close()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size == header.serialized.count + 5 * (6 + 33 * 17 + 2 * 17 * 9))

        let reader = try Y4MReader(path: path)
        #expect(reader.header == header)
        for index in 0..<5 {
            let frame = try #require(try reader.nextFrame())
            #expect(frame == scene.frame(index))  // timestamps: 3000 per frame at 30 fps either way
        }
        #expect(try reader.nextFrame() == nil)

        // A truncated copy of the file fails at the right frame.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let cut = directory.appendingPathComponent("cut.y4m").path
        try Data(bytes.dropLast(10)).write(to: URL(fileURLWithPath: cut))
        let cutReader = try Y4MReader(path: cut)
        for _ in 0..<4 { _ = try cutReader.nextFrame() }
        #expect(throws: Y4MError.truncatedFrame(frame: 4, expected: header.frameByteCount,
                                                found: header.frameByteCount - 10)) {
            try cutReader.nextFrame()
        }
    }

    @Test func missingFileIsACleanError() {
        #expect(throws: Y4MError.cannotOpen(path: "/nonexistent/in.y4m", reason: "No such file or directory")) {
            try Y4MReader(path: "/nonexistent/in.y4m")
        }
        #expect(throws: Y4MError.self) {
            try Y4MWriter(path: "/nonexistent/out.y4m", header: Y4MHeader(width: 2, height: 2, frameRate: Y4MRatio(1, 1)))
        }
    }

    @Test func timestampsFollowTheFrameRate() {
        #expect(Y4MReader.timestamp(ofFrame: 30, rate: Y4MRatio(30, 1)) == 90_000)
        #expect(Y4MReader.timestamp(ofFrame: 3, rate: Y4MRatio(24000, 1001)) == 11_261)  // 3 × 3753.75
        #expect(Y4MReader.timestamp(ofFrame: 47_722, rate: Y4MRatio(1, 1)) == UInt32(truncatingIfNeeded: 47_722 * 90_000))
    }

    /// Every prefix of a valid stream either reads some whole frames and ends cleanly or throws a
    /// typed error; none traps.
    @Test func everyPrefixReadsOrThrowsTyped() throws {
        let stream = ascii("YUV4MPEG2 W3 H2 F30:1 Ip C420\n") + ascii("FRAME\n") + ramp(10) + ascii("FRAME Xa\n") + ramp(10)
        let headerLength = try #require(stream.firstIndex(of: 0x0A)) + 1
        for length in 0...stream.count {
            let prefix = Array(stream.prefix(length))
            do {
                let (_, frames) = try Y4MReader.read(prefix)
                #expect([headerLength, headerLength + 16, stream.count].contains(length), "length \(length)")
                #expect(frames.count == (length == stream.count ? 2 : length == headerLength ? 0 : 1))
            } catch {
                #expect(![headerLength, headerLength + 16, stream.count].contains(length), "length \(length): \(error)")
            }
        }
    }
}
