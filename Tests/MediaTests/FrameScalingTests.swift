import Testing
@testable import Media

struct FrameScalingTests {
    /// Halving with the box filter averages each 2×2 block, rounding half up:
    /// (a + b + c + d + 2) >> 2, on every plane.
    @Test func boxHalvingAveragesBlocks() throws {
        let frame = pseudoRandomFrame(width: 64, height: 36, seed: 21)
        let half = try frame.scaled(width: 32, height: 18, filter: .box)
        #expect(half.width == 32 && half.height == 18)
        #expect(half.timestamp == frame.timestamp)
        func average(_ plane: [UInt8], width: Int, height: Int) -> [UInt8] {
            var out: [UInt8] = []
            for y in 0..<(height / 2) {
                for x in 0..<(width / 2) {
                    let s = Int(plane[2 * y * width + 2 * x]) + Int(plane[2 * y * width + 2 * x + 1])
                        + Int(plane[(2 * y + 1) * width + 2 * x]) + Int(plane[(2 * y + 1) * width + 2 * x + 1])
                    out.append(UInt8((s + 2) >> 2))
                }
            }
            return out
        }
        #expect(half.y == average(frame.y, width: 64, height: 36))
        #expect(half.u == average(frame.u, width: 32, height: 18))
        #expect(half.v == average(frame.v, width: 32, height: 18))
    }

    @Test(arguments: ScaleFilter.allCases)
    func everyFilterKeepsFlatPicturesFlat(filter: ScaleFilter) throws {
        let frame = I420Frame(width: 50, height: 30, fillY: 90, fillU: 100, fillV: 160)
        for (w, h) in [(25, 15), (33, 17), (120, 64)] {
            let out = try frame.scaled(width: w, height: h, filter: filter)
            #expect(out.width == w && out.height == h)
            #expect(out.y.count == w * h)
            #expect(out.u.count == ((w + 1) / 2) * ((h + 1) / 2))
            #expect(out.y.allSatisfy { $0 == 90 }, "\(filter) \(w)x\(h)")
            #expect(out.u.allSatisfy { $0 == 100 })
            #expect(out.v.allSatisfy { $0 == 160 })
        }
    }

    /// A frame with padded rows scales like its packed copy.
    @Test func stridedInput() throws {
        let packed = pseudoRandomFrame(width: 16, height: 8, seed: 4)
        var y: [UInt8] = []
        for row in 0..<8 { y += packed.y[(row * 16)..<(row * 16 + 16)] + [1, 2, 3, 4] }
        let strided = try #require(I420Frame(width: 16, height: 8, y: y, strideY: 20, u: packed.u, strideU: 8,
                                             v: packed.v, strideV: 8, timestamp: packed.timestamp))
        #expect(try strided.scaled(width: 8, height: 4) == packed.scaled(width: 8, height: 4))
        #expect(try strided.scaled(width: 16, height: 8) == packed)  // same size: a packed copy
    }

    @Test func nearestSampling() throws {
        var frame = I420Frame(width: 4, height: 2)
        frame.y = [1, 2, 3, 4, 5, 6, 7, 8]
        let wide = try frame.scaled(width: 8, height: 2, filter: .none)
        #expect(wide.y == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8])
    }

    @Test(arguments: [(0, 10), (10, 0), (-2, 4), (16385, 2)])
    func invalidTargetSizes(width: Int, height: Int) {
        #expect(throws: FrameScaleError.invalidSize(width: width, height: height)) {
            try I420Frame(width: 8, height: 8).scaled(width: width, height: height)
        }
    }

    @Test func emptySourceIsRejected() {
        #expect(throws: FrameScaleError.invalidSize(width: 0, height: 0)) {
            try I420Frame(width: 0, height: 0).scaled(width: 4, height: 4)
        }
    }
}
