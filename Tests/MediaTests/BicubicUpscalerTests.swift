import Testing
@testable import Media

/// An independent reference: every output pixel as the full 4×4 sum of Keys-kernel weights
/// (a = −0.5, written out as polynomials) times clamped source pixels, at the source position
/// (d + 0.5) · src / dst − 0.5, rounded half up and clamped to 0…255.
enum DirectBicubic {
    static func kernel(_ x: Double) -> Double {
        let t = abs(x)
        if t <= 1 { return 1.5 * t * t * t - 2.5 * t * t + 1 }
        if t < 2 { return -0.5 * t * t * t + 2.5 * t * t - 4 * t + 2 }
        return 0
    }

    static func resize(_ plane: [UInt8], width: Int, height: Int, toWidth dw: Int, height dh: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: dw * dh)
        for dy in 0..<dh {
            let sy = (Double(dy) + 0.5) * Double(height) / Double(dh) - 0.5
            for dx in 0..<dw {
                let sx = (Double(dx) + 0.5) * Double(width) / Double(dw) - 0.5
                var sum = 0.0
                for j in Int(sy.rounded(.down)) - 1...Int(sy.rounded(.down)) + 2 {
                    for i in Int(sx.rounded(.down)) - 1...Int(sx.rounded(.down)) + 2 {
                        let p = plane[min(max(j, 0), height - 1) * width + min(max(i, 0), width - 1)]
                        sum += kernel(sy - Double(j)) * kernel(sx - Double(i)) * Double(p)
                    }
                }
                out[dy * dw + dx] = UInt8(min(max((sum + 0.5).rounded(.down), 0), 255))
            }
        }
        return out
    }
}

struct BicubicUpscalerTests {
    @Test func kernelValues() {
        #expect(BicubicUpscaler.weight(0) == 1)
        #expect(BicubicUpscaler.weight(1) == 0)
        #expect(BicubicUpscaler.weight(-1) == 0)
        #expect(BicubicUpscaler.weight(2) == 0)
        #expect(BicubicUpscaler.weight(0.5) == 0.5625)
        #expect(BicubicUpscaler.weight(1.5) == -0.0625)
        // The ×2 phases are the integer taps /128.
        #expect([1.75, 0.75, 0.25, 1.25].map { BicubicUpscaler.weight($0) * 128 } == [-3, 29, 111, -9])
        for t in stride(from: 0.0, through: 1.0, by: 0.125) {
            let sum = (-1...2).map { BicubicUpscaler.weight(t - Double($0)) }.reduce(0, +)
            #expect(abs(sum - 1) < 1e-12, "partition of unity at \(t)")
        }
    }

    /// One row worked out by hand with exact fractions: [10, 20, 30, 40] ×2 gives
    /// 595/64, 755/64, 1105/64, 45/2, 55/2, 2095/64, 2445/64, 2605/64; ties (22.5, 27.5) round up.
    /// [0, 0, 255, 255] overshoots to −765/128 and 34935/128, clamped to 0 and 255.
    @Test(arguments: [
        ("ramp", [UInt8]([10, 20, 30, 40]), [UInt8]([9, 12, 17, 23, 28, 33, 38, 41])),
        ("step with overshoot", [0, 0, 255, 255], [0, 0, 0, 52, 203, 255, 255, 255]),
        ("alternating", [255, 0, 255, 0], [255, 197, 34, 40, 215, 221, 58, 0]),
    ])
    func handWorkedRows(name: String, row: [UInt8], expected: [UInt8]) throws {
        var frame = I420Frame(width: 4, height: 1)
        frame.y = row
        let out = try BicubicUpscaler(factor: 2).upscale(frame)
        #expect(out.width == 8 && out.height == 2)
        #expect(Array(out.y[0..<8]) == expected, "\(name)")
        #expect(Array(out.y[8..<16]) == expected, "\(name): a single source row is replicated vertically")
    }

    /// ×2 on even sizes: every plane on the integer path, bit-identical to the direct formula.
    @Test(arguments: [(16, 12), (2, 2), (40, 6)])
    func doubleMatchesTheDirectFormulaExactly(width: Int, height: Int) throws {
        let frame = pseudoRandomFrame(width: width, height: height, seed: UInt64(width * 1000 + height))
        let out = try BicubicUpscaler(factor: 2).upscale(frame)
        #expect(out.width == 2 * width && out.height == 2 * height)
        #expect(out.timestamp == 1234)
        #expect(out.y == DirectBicubic.resize(frame.y, width: width, height: height, toWidth: 2 * width, height: 2 * height))
        let cw = frame.chromaWidth, ch = frame.chromaHeight
        #expect(out.u == DirectBicubic.resize(frame.u, width: cw, height: ch, toWidth: 2 * cw, height: 2 * ch))
        #expect(out.v == DirectBicubic.resize(frame.v, width: cw, height: ch, toWidth: 2 * cw, height: 2 * ch))
    }

    /// Other ratios (×3, ×2 with odd sizes whose chroma grows 2·c − 1, arbitrary sizes) take the
    /// floating-point path: equal to the direct formula up to ±1 where a sum lands on a tie.
    @Test(arguments: [(7, 5, 21, 15), (13, 9, 26, 18), (10, 10, 17, 23), (9, 4, 64, 3)])
    func otherRatiosMatchTheDirectFormula(width: Int, height: Int, toWidth: Int, toHeight: Int) throws {
        let frame = pseudoRandomFrame(width: width, height: height, seed: 7)
        let out = try BicubicUpscaler.resize(frame, width: toWidth, height: toHeight)
        let pairs: [([UInt8], [UInt8], Int, Int, Int, Int)] = [
            (frame.y, out.y, width, height, toWidth, toHeight),
            (frame.u, out.u, frame.chromaWidth, frame.chromaHeight, out.chromaWidth, out.chromaHeight),
            (frame.v, out.v, frame.chromaWidth, frame.chromaHeight, out.chromaWidth, out.chromaHeight),
        ]
        for (source, result, sw, sh, dw, dh) in pairs {
            let expected = DirectBicubic.resize(source, width: sw, height: sh, toWidth: dw, height: dh)
            #expect(result.count == expected.count)
            let differences = zip(result, expected).map { abs(Int($0) - Int($1)) }
            #expect(differences.allSatisfy { $0 <= 1 })
            #expect(differences.filter { $0 > 0 }.count * 100 <= max(1, differences.count), "more than 1% off by one")
        }
    }

    /// The integer ×2 path and the general path agree on the same plane.
    @Test func integerPathEqualsGeneralPath() {
        let width = 31, height = 11
        let plane = pseudoRandomPlane(width * height, seed: 99)
        var fast = [UInt8](repeating: 0, count: 4 * width * height)
        var general = fast
        plane.withUnsafeBufferPointer { s in
            fast.withUnsafeMutableBufferPointer { d in
                guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                BicubicUpscaler.double(sb, stride: width, width: width, height: height, into: db)
            }
            general.withUnsafeMutableBufferPointer { d in
                guard let sb = s.baseAddress, let db = d.baseAddress else { return }
                BicubicUpscaler.general(sb, stride: width, width: width, height: height, into: db,
                                        width: 2 * width, height: 2 * height)
            }
        }
        #expect(fast == general)
    }

    /// Keys' kernel (a = −0.5) reproduces polynomials up to degree 2: away from the clamped
    /// borders, a quadratic ramp x(x + 1)/2 comes out as the quadratic at the output positions,
    /// rounded half up.
    @Test func quadraticsAreReproducedInTheInterior() throws {
        let width = 20
        var frame = I420Frame(width: width, height: 4)
        func q(_ x: Double) -> Double { x * (x + 1) / 2 }
        for row in 0..<4 { for x in 0..<width { frame.y[row * width + x] = UInt8(q(Double(x))) } }
        let out = try BicubicUpscaler(factor: 2).upscale(frame)
        for row in 0..<8 {
            for dx in 4..<(2 * width - 4) {  // taps stay inside 0…width − 1
                let x = (Double(dx) + 0.5) / 2 - 0.5
                #expect(out.y[row * 2 * width + dx] == UInt8((q(x) + 0.5).rounded(.down)), "x \(x)")
            }
        }
    }

    @Test func constantPicturesStayConstant() throws {
        let frame = I420Frame(width: 9, height: 7, fillY: 77, fillU: 99, fillV: 200)
        let out = try BicubicUpscaler(factor: 3).upscale(frame)
        #expect(out.width == 27 && out.height == 21)
        #expect(out.y.allSatisfy { $0 == 77 })
        #expect(out.u.allSatisfy { $0 == 99 })
        #expect(out.v.allSatisfy { $0 == 200 })
    }

    @Test func stridedInputIsRead() throws {
        let packed = pseudoRandomFrame(width: 6, height: 4, seed: 3)
        var padded: [UInt8] = []
        for row in 0..<4 { padded += packed.y[(row * 6)..<(row * 6 + 6)] + [0xEE, 0xEE] }
        let strided = try #require(I420Frame(width: 6, height: 4, y: padded, strideY: 8, u: packed.u, strideU: 3,
                                             v: packed.v, strideV: 3, timestamp: packed.timestamp))
        let upscaler = try BicubicUpscaler(factor: 2)
        #expect(try upscaler.upscale(strided) == upscaler.upscale(packed))
    }

    @Test func factorOneIsACopy() throws {
        let frame = pseudoRandomFrame(width: 5, height: 3, seed: 11)
        #expect(try BicubicUpscaler(factor: 1).upscale(frame) == frame)
    }

    @Test(arguments: [0, -1, 9])
    func badFactors(factor: Int) {
        #expect(throws: FrameScaleError.invalidFactor(factor)) { try BicubicUpscaler(factor: factor) }
    }

    @Test func badSizes() {
        #expect(throws: FrameScaleError.invalidSize(width: 0, height: 10)) {
            try BicubicUpscaler.resize(I420Frame(width: 4, height: 4), width: 0, height: 10)
        }
        #expect(throws: FrameScaleError.invalidSize(width: 16800, height: 16)) {
            try BicubicUpscaler(factor: 8).upscale(I420Frame(width: 2100, height: 2))
        }
        #expect(throws: FrameScaleError.invalidSize(width: 0, height: 0)) {
            try BicubicUpscaler(factor: 2).upscale(I420Frame(width: 0, height: 0))
        }
    }
}
