@testable import Simulation
import Testing

/// A PNG read back independently of `PNGEncoder`: chunks with a bitwise CRC-32, the zlib stream's
/// stored blocks with their own Adler-32, filter bytes, and the palette applied.
struct DecodedPNG {
    var chunkTypes: [String] = []
    var width = 0, height = 0, bitDepth = 0, colorType = 0
    var storedBlockLengths: [Int] = []
    var palette: [RGBColor] = []
    var rows: [[UInt8]] = []

    func pixel(x: Int, y: Int) -> RGBColor { palette[Int(rows[y][x])] }

    static func bitwiseCRC32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    static func simpleAdler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    static func u32(_ b: ArraySlice<UInt8>) -> UInt32 {
        b.reduce(0) { $0 << 8 | UInt32($1) }
    }

    init(_ png: [UInt8]) throws {
        try #require(png.count >= 8)
        #expect(Array(png[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var at = 8
        var idat: [UInt8] = []
        while at < png.count {
            try #require(at + 12 <= png.count, "chunk header past the end")
            let length = Int(Self.u32(png[at..<(at + 4)]))
            try #require(at + 12 + length <= png.count, "chunk length \(length) runs past the end")
            let type = String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self)
            let data = Array(png[(at + 8)..<(at + 8 + length)])
            let crc = Self.u32(png[(at + 8 + length)..<(at + 12 + length)])
            #expect(crc == Self.bitwiseCRC32(png[(at + 4)..<(at + 8 + length)]), "CRC of \(type)")
            chunkTypes.append(type)
            switch type {
            case "IHDR":
                try #require(length == 13)
                width = Int(Self.u32(data[0..<4]))
                height = Int(Self.u32(data[4..<8]))
                bitDepth = Int(data[8])
                colorType = Int(data[9])
                #expect(Array(data[10..<13]) == [0, 0, 0], "deflate, filter method 0, no interlace")
            case "PLTE":
                try #require(length % 3 == 0 && length > 0)
                palette = stride(from: 0, to: length, by: 3).map { RGBColor(data[$0], data[$0 + 1], data[$0 + 2]) }
            case "IDAT": idat += data
            default: break
            }
            at += 12 + length
        }
        #expect(chunkTypes.first == "IHDR" && chunkTypes.last == "IEND")
        #expect(chunkTypes.firstIndex(of: "PLTE").map { $0 < (chunkTypes.firstIndex(of: "IDAT") ?? 0) } == true)

        // zlib (RFC 1950): CMF/FLG, then stored DEFLATE blocks (RFC 1951 §3.2.4), then Adler-32.
        try #require(idat.count >= 6)
        #expect(idat[0] == 0x78 && (Int(idat[0]) * 256 + Int(idat[1])) % 31 == 0 && idat[1] & 0x20 == 0)
        var raw: [UInt8] = []
        var p = 2
        while true {
            try #require(p + 5 <= idat.count)
            let header = idat[p]
            #expect((header >> 1) & 3 == 0, "BTYPE 00: stored")
            let len = Int(idat[p + 1]) | Int(idat[p + 2]) << 8
            let nlen = Int(idat[p + 3]) | Int(idat[p + 4]) << 8
            #expect(len ^ nlen == 0xFFFF, "NLEN is LEN's complement")
            try #require(p + 5 + len <= idat.count)
            raw += idat[(p + 5)..<(p + 5 + len)]
            storedBlockLengths.append(len)
            p += 5 + len
            if header & 1 == 1 { break }
        }
        try #require(p + 4 == idat.count, "the Adler-32 and nothing after it")
        #expect(Self.u32(idat[p..<(p + 4)]) == Self.simpleAdler32(raw))

        try #require(raw.count == (width + 1) * height)
        for y in 0..<height {
            #expect(raw[y * (width + 1)] == 0, "filter type 0 on row \(y)")
            rows.append(Array(raw[(y * (width + 1) + 1)..<((y + 1) * (width + 1))]))
        }
    }
}

@Suite struct PNGEncoderTests {
    @Test func checksumsMatchPublishedValues() {
        #expect(PNGEncoder.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNGEncoder.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNGEncoder.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNGEncoder.adler32([]) == 1)
        let long = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }
        #expect(PNGEncoder.adler32(long) == DecodedPNG.simpleAdler32(long))
        #expect(PNGEncoder.crc32(long) == DecodedPNG.bitwiseCRC32(long))
    }

    /// A 2 × 1 image (red, blue), bytes written out from the PNG and zlib specifications.
    @Test func twoPixelImageMatchesTheSpecifiedBytes() throws {
        let png = try PNGEncoder.encodeIndexed(width: 2, height: 1, palette: [RGBColor(255, 0, 0), RGBColor(0, 0, 255)],
                                               indices: [0, 1])
        let expected: [UInt8] = [
            0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
            0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x03, 0x00, 0x00, 0x00, 0xC3, 0xFC, 0x8F,
            0xB8, 0x00, 0x00, 0x00, 0x06, 0x50, 0x4C, 0x54, 0x45, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0x6C,
            0xA1, 0xFD, 0x8E, 0x00, 0x00, 0x00, 0x0E, 0x49, 0x44, 0x41, 0x54, 0x78, 0x01, 0x01, 0x03, 0x00,
            0xFC, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x04, 0x00, 0x02, 0x0B, 0x21, 0x8B, 0x71, 0x00, 0x00, 0x00,
            0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ]
        #expect(png == expected)
    }

    @Test(arguments: [
        ("zero width", 0, 4, 1, 0, PNGEncoder.EncodeError.invalidSize(width: 0, height: 4)),
        ("negative height", 4, -1, 1, 0, .invalidSize(width: 4, height: -1)),
        ("empty palette", 1, 1, 0, 1, .invalidPalette(count: 0)),
        ("palette of 257", 1, 1, 257, 1, .invalidPalette(count: 257)),
        ("too few pixels", 2, 2, 1, 3, .pixelCountMismatch(expected: 4, got: 3)),
        ("too many pixels", 2, 2, 1, 5, .pixelCountMismatch(expected: 4, got: 5)),
    ])
    func badInputThrowsItsError(_ name: String, _ w: Int, _ h: Int, _ colors: Int, _ count: Int,
                                _ error: PNGEncoder.EncodeError) {
        #expect(throws: error) {
            try PNGEncoder.encodeIndexed(width: w, height: h, palette: Array(repeating: .white, count: colors),
                                         indices: Array(repeating: 0, count: count))
        }
    }

    @Test func pixelOutsideThePaletteThrows() {
        #expect(throws: PNGEncoder.EncodeError.indexOutOfPalette(index: 2)) {
            try PNGEncoder.encodeIndexed(width: 2, height: 1, palette: [.white, .black], indices: [1, 2])
        }
    }

    @Test func largeImageSplitsIntoStoredBlocksThatParseBack() throws {
        var canvas = RasterCanvas(width: 300, height: 500)
        canvas.line(x0: 0, y0: 0, x1: 299, y1: 499, RGBColor(10, 20, 30), thickness: 2)
        let decoded = try DecodedPNG(canvas.png())
        #expect(decoded.width == 300 && decoded.height == 500 && decoded.bitDepth == 8 && decoded.colorType == 3)
        #expect(decoded.storedBlockLengths == [65_535, 65_535, 301 * 500 - 2 * 65_535])
        for (x, y) in [(0, 0), (150, 250), (151, 250), (299, 499), (298, 1), (5, 400)] {
            #expect(decoded.pixel(x: x, y: y) == canvas.color(x: x, y: y))
        }
        #expect((149...151).contains { decoded.pixel(x: $0, y: 250) == RGBColor(10, 20, 30) })
    }
}

@Suite struct ChartDrawingTests {
    @Test(arguments: [
        (0.0...4000.0, 8, 500.0, [0.0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]),
        (0.0...100.0, 8, 20.0, [0.0, 20, 40, 60, 80, 100]),
        (0.0...37.0, 5, 10.0, [0.0, 10, 20, 30]),
        (-3.0...3.0, 6, 1.0, [-3.0, -2, -1, 0, 1, 2, 3]),
        (0.0...1.0, 5, 0.2, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
    ])
    func ticksAreNiceSteps(_ range: ClosedRange<Double>, _ target: Int, _ step: Double, _ values: [Double]) {
        let ticks = ChartAxis.ticks(in: range, target: target)
        #expect(abs(ticks.step - step) < 1e-12)
        #expect(ticks.values.count == values.count)
        for (a, b) in zip(ticks.values, values) { #expect(abs(a - b) < 1e-9) }
    }

    @Test func tickLabelsHaveTheStepsDecimals() {
        #expect(ChartAxis.label(1500, step: 500) == "1500")
        #expect(ChartAxis.label(0.4, step: 0.2) == "0.4")
        #expect(ChartAxis.label(0.05, step: 0.05) == "0.05")
        #expect(ChartAxis.label(-1e-17, step: 0.2) == "0.0")
        #expect(ChartAxis.rounded(0...1280, target: 6) == 0...1500)
    }

    @Test func everyGlyphIsDrawnAndDistinct() {
        let printable = (33...126).map { Character(Unicode.Scalar(UInt8($0))) } + ["×"]
        var seen: [ArraySlice<UInt8>: Character] = [:]
        for c in printable {
            let rows = BitmapFont.rows(for: c)
            #expect(rows.count == 9 && rows.contains { $0 != 0 }, "\(c) is blank")
            #expect(rows.allSatisfy { $0 < 0x20 }, "\(c) is wider than 5 columns")
            #expect(seen[rows] == nil, "\(c) looks like \(seen[rows].map(String.init) ?? "")")
            seen[rows] = c
        }
        #expect(BitmapFont.rows(for: " ").allSatisfy { $0 == 0 })
        #expect(BitmapFont.rows(for: "é") == BitmapFont.rows(for: "\u{2603}") && !BitmapFont.covers("é"))
    }

    @Test func textLandsWhereTheGlyphSays() {
        var canvas = RasterCanvas(width: 40, height: 30)
        canvas.text("7", x: 3, y: 2, scale: 2, .black)
        // "7": top row full, then a diagonal; at scale 2 each font pixel is a 2 × 2 square.
        for column in 0..<5 { #expect(canvas.color(x: 3 + column * 2 + 1, y: 3) == .black) }
        #expect(canvas.color(x: 3 + 4 * 2, y: 2 + 1 * 2) == .black)  // row 1: ....#
        #expect(canvas.color(x: 3, y: 2 + 1 * 2) == .white)
        #expect(canvas.color(x: 3 + 1 * 2, y: 2 + 6 * 2 + 1) == .black)  // row 6: .#...
        var rotated = RasterCanvas(width: 40, height: 30)
        rotated.text("7", x: 3, y: 20, .black, rotated: true)
        // Turned counter-clockwise: the glyph's top row becomes the leftmost column, read upwards.
        for column in 0..<5 { #expect(rotated.color(x: 3, y: 20 - column) == .black) }
        #expect(rotated.color(x: 4, y: 20) == .white)
    }

    @Test func farAwayLinesAreClippedNotWalked() {
        var canvas = RasterCanvas(width: 50, height: 20)
        canvas.line(x0: -1e12, y0: 10, x1: 1e12, y1: 10, .black, thickness: 2)
        canvas.line(x0: 10, y0: -1e300, x1: 10, y1: .infinity, .black)  // not finite: skipped
        canvas.clip = RasterCanvas.PixelRect(minX: 5, minY: 0, maxX: 30, maxY: 19)
        canvas.line(x0: 0, y0: 2, x1: 49, y1: 2, .black)
        #expect((0..<50).allSatisfy { canvas.color(x: $0, y: 10) == .black && canvas.color(x: $0, y: 11) == .black })
        #expect(canvas.color(x: 10, y: 5) == .white)
        #expect(canvas.color(x: 4, y: 2) == .white && canvas.color(x: 5, y: 2) == .black)
        #expect(canvas.color(x: 30, y: 2) == .black && canvas.color(x: 31, y: 2) == .white)
    }
}

@Suite struct SimulationPlotsTests {
    /// 20 s: capacity 1000 kbps, 2000 from 10 s; estimate flat at 500; losses of 3 at 5 s; no
    /// queuing delay known between 12 and 14 s.
    static let rows: [TimeseriesRow] = (1...100).map { i in
        let t = Double(i) * 0.2
        return TimeseriesRow(timeS: t, capacityKbps: t <= 10 + 1e-9 ? 1000 : 2000, estimateKbps: 500,
                             sentKbps: 520, deliveredKbps: 510, queueDelayMs: (12...14).contains(t) ? nil : 40,
                             losses: abs(t - 5) < 1e-9 ? 3 : 0, rembKbps: nil)
    }

    static func columnColors(_ png: DecodedPNG, x: Int, near y: Int) -> [RGBColor] {
        (max(0, y - 2)...min(png.height - 1, y + 2)).map { png.pixel(x: x, y: $0) }
    }

    @Test func ratesShowCapacityStepAndEstimate() throws {
        let plots = SimulationPlots(rows: Self.rows, summary: nil, name: "steps")
        #expect(plots.rates.frame.yRange == 0...(2000 * 1.6))  // 1.6 × the largest capacity
        let f = plots.rates.frame
        let png = try DecodedPNG(plots.rates.render().png())
        #expect(png.width == 1000 && png.height == 400)

        let at5 = f.pixelPoint(x: 5, y: 1000), at15 = f.pixelPoint(x: 15, y: 2000)
        #expect(Self.columnColors(png, x: at5.x, near: at5.y).contains(SimulationPlots.capacityColor))
        #expect(Self.columnColors(png, x: at15.x, near: at15.y).contains(SimulationPlots.capacityColor))
        let old = f.pixelPoint(x: 15, y: 1000)
        #expect(!Self.columnColors(png, x: old.x, near: old.y).contains(SimulationPlots.capacityColor))
        // The step's vertical edge, where the first 2000 kbps row begins.
        let edge = f.pixelPoint(x: 10.2, y: 1500)
        #expect((edge.x - 1...edge.x + 1).contains { png.pixel(x: $0, y: edge.y) == SimulationPlots.capacityColor })

        // Estimate 500, delivered 510 and sent 520 are drawn in that order, a pixel or two apart.
        let e = f.pixelPoint(x: 7, y: 500)
        let colors = Set(Self.columnColors(png, x: e.x, near: e.y))
        #expect(colors.contains(SimulationPlots.deliveredColor) || colors.contains(SimulationPlots.sentColor))
        // Nothing of the series above the capacity and out of the legend's reach, nor left of the plot.
        let empty = f.pixelPoint(x: 19, y: 2800)
        #expect(png.pixel(x: empty.x, y: empty.y) == .white)
        #expect(png.pixel(x: f.plot.minX - 8, y: e.y) == .white)  // between a tick mark and its label
        // The legend's swatches, in the series' colors, inside the top-left of the plot.
        for color in [SimulationPlots.capacityColor, SimulationPlots.estimateColor,
                      SimulationPlots.sentColor, SimulationPlots.deliveredColor] {
            let found = (f.plot.minY + 10..<f.plot.minY + 110).contains { y in
                (f.plot.minX + 20..<f.plot.minX + 45).contains { png.pixel(x: $0, y: y) == color }
            }
            #expect(found)
        }
    }

    @Test func placeholderCapacitiesDoNotSetTheScale() {
        var rows = Self.rows
        for i in 50..<rows.count { rows[i].capacityKbps = 1_000_000 }
        #expect(SimulationPlots.ratesRange(rows) == 0...1600)
        for i in rows.indices { rows[i].capacityKbps = 500_000 }
        #expect(SimulationPlots.ratesRange(rows) == 0...600)  // 520 × 1.1, widened to a tick
    }

    @Test func emptyRunStillDrawsEmptyAxes() throws {
        let files = try SimulationPlots(rows: [], summary: nil, name: "empty").pngFiles()
        for file in files {
            let png = try DecodedPNG(file.bytes)
            #expect(png.width == 1000 && png.palette.contains(.black))
        }
    }

    @Test func lossBarsAndDelayGaps() throws {
        let plots = SimulationPlots(rows: Self.rows, summary: nil, name: "steps")
        let loss = try DecodedPNG(plots.loss.render().png()), lf = plots.loss.frame
        let bar = lf.pixelPoint(x: 5, y: 2)
        #expect(loss.pixel(x: bar.x, y: bar.y) == SimulationPlots.lossColor)
        let above = lf.pixelPoint(x: 5, y: 4)
        #expect(loss.pixel(x: bar.x, y: above.y) != SimulationPlots.lossColor)
        let quiet = lf.pixelPoint(x: 8, y: 1)
        #expect(loss.pixel(x: quiet.x, y: quiet.y) != SimulationPlots.lossColor)

        let delay = try DecodedPNG(plots.delay.render().png()), df = plots.delay.frame
        let drawn = df.pixelPoint(x: 5, y: 40), gap = df.pixelPoint(x: 13, y: 40)
        #expect(Self.columnColors(delay, x: drawn.x, near: drawn.y).contains(SimulationPlots.delayColor))
        #expect(!Self.columnColors(delay, x: gap.x, near: gap.y).contains(SimulationPlots.delayColor))
    }

    @Test func titleCarriesTheSummary() throws {
        let summary = SimulationSummary(scenario: "x.yaml", durationS: 20, seed: 1, utilization: 0.8312,
                                        delayP95Ms: 87.6, lossRate: 0.0123, estimateErrorP50: 0.1, rampupS: [],
                                        dropResponseS: [], framesSent: 1, framesReceived: 1, flows: [], jainFairness: nil)
        let plots = SimulationPlots(rows: Self.rows, summary: summary, name: "x")
        #expect(plots.rates.title == "x  (utilization 0.83, delay p95 88 ms, loss 0.012)")
        let files = try plots.pngFiles()
        #expect(files.map(\.name) == ["rates.png", "delay.png", "loss.png"])
        // Some of the title's text is drawn in the band above the plot.
        let png = try DecodedPNG(files[0].bytes)
        let titleBand = (0..<plots.rates.frame.plot.minY).flatMap { y in (0..<png.width).map { png.pixel(x: $0, y: y) } }
        #expect(titleBand.filter { $0 == .black }.count > 300)
    }
}
