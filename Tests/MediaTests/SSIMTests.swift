import Foundation
import Testing
@testable import Media

/// An independent SSIM: at every position where an 11×11 window fits, the statistics are summed
/// directly over the window with a 2-D Gaussian (σ = 1.5, normalised over all 121 weights), as
/// in Wang et al. 2004, eq. 13–14 and §III-C.
enum DirectSSIM {
    static func plane(_ a: [UInt8], _ b: [UInt8], width: Int, height: Int) -> Double {
        var window = [[Double]](repeating: [Double](repeating: 0, count: 11), count: 11)
        for i in 0..<11 {
            for j in 0..<11 {
                let di = Double(i - 5), dj = Double(j - 5)
                window[i][j] = exp(-(di * di + dj * dj) / (2 * 1.5 * 1.5))
            }
        }
        let total = window.joined().reduce(0, +)
        let c1 = (0.01 * 255.0) * (0.01 * 255.0), c2 = (0.03 * 255.0) * (0.03 * 255.0)
        var sum = 0.0
        for y0 in 0...(height - 11) {
            for x0 in 0...(width - 11) {
                var mx = 0.0, my = 0.0
                for i in 0..<11 {
                    for j in 0..<11 {
                        let w = window[i][j] / total
                        mx += w * Double(a[(y0 + i) * width + x0 + j])
                        my += w * Double(b[(y0 + i) * width + x0 + j])
                    }
                }
                var vx = 0.0, vy = 0.0, cxy = 0.0
                for i in 0..<11 {
                    for j in 0..<11 {
                        let w = window[i][j] / total
                        let dx = Double(a[(y0 + i) * width + x0 + j]) - mx
                        let dy = Double(b[(y0 + i) * width + x0 + j]) - my
                        vx += w * dx * dx
                        vy += w * dy * dy
                        cxy += w * dx * dy
                    }
                }
                sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            }
        }
        return sum / Double((width - 10) * (height - 10))
    }

    static func frame(_ a: I420Frame, _ b: I420Frame) -> PlaneSSIM {
        PlaneSSIM(y: plane(a.y, b.y, width: a.width, height: a.height),
                  u: plane(a.u, b.u, width: a.chromaWidth, height: a.chromaHeight),
                  v: plane(a.v, b.v, width: a.chromaWidth, height: a.chromaHeight))
    }
}

/// A smooth picture with some texture: gradients plus a few sinusoids.
private func texturedFrame(width: Int, height: Int) -> I420Frame {
    var frame = I420Frame(width: width, height: height)
    for y in 0..<height {
        for x in 0..<width {
            let value = 120 + 60 * sin(Double(x) * 0.45) * cos(Double(y) * 0.3) + Double(x + y)
            frame.y[y * width + x] = UInt8(min(max(value, 0), 255))
        }
    }
    for y in 0..<frame.chromaHeight {
        for x in 0..<frame.chromaWidth {
            frame.u[y * frame.chromaWidth + x] = UInt8(110 + 30 * sin(Double(x + 2 * y) * 0.7))
            frame.v[y * frame.chromaWidth + x] = UInt8(140 + 25 * cos(Double(3 * x - y) * 0.5))
        }
    }
    return frame
}

private func expectClose(_ a: PlaneSSIM, _ b: PlaneSSIM, tolerance: Double = 1e-9,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(abs(a.y - b.y) < tolerance, "Y \(a.y) vs \(b.y)", sourceLocation: sourceLocation)
    #expect(abs(a.u - b.u) < tolerance, "U \(a.u) vs \(b.u)", sourceLocation: sourceLocation)
    #expect(abs(a.v - b.v) < tolerance, "V \(a.v) vs \(b.v)", sourceLocation: sourceLocation)
}

struct SSIMTests {
    @Test func identicalPicturesScoreExactlyOne() throws {
        let frame = texturedFrame(width: 30, height: 26)
        let ssim = try #require(PlaneSSIM(frame, frame))
        #expect(ssim == PlaneSSIM(y: 1, u: 1, v: 1))
        #expect(frame.ssimY(frame) == 1)
    }

    @Test func noisedPictureMatchesTheDirectComputation() throws {
        let clean = texturedFrame(width: 34, height: 24)
        var noisy = clean
        let noise = pseudoRandomPlane(noisy.y.count + 2 * noisy.u.count, seed: 5)
        func add(_ plane: inout [UInt8], offset: Int) {
            for i in plane.indices {
                plane[i] = UInt8(min(max(Int(plane[i]) + Int(noise[offset + i] % 31) - 15, 0), 255))
            }
        }
        add(&noisy.y, offset: 0)
        add(&noisy.u, offset: noisy.y.count)
        add(&noisy.v, offset: noisy.y.count + noisy.u.count)
        let ssim = try #require(PlaneSSIM(noisy, clean))
        expectClose(ssim, DirectSSIM.frame(noisy, clean))
        #expect(ssim.y < 0.95 && ssim.y > 0.3)
        #expect(try #require(PlaneSSIM(clean, noisy)) == ssim)  // symmetric
    }

    @Test func shiftedPictureMatchesTheDirectComputation() throws {
        let width = 40, height = 30
        let wide = texturedFrame(width: width + 2, height: height)
        func crop(_ frame: I420Frame, x: Int) -> I420Frame {
            var out = I420Frame(width: width, height: height)
            for row in 0..<height {
                for col in 0..<width { out.y[row * width + col] = frame.y[row * frame.width + col + x] }
            }
            for row in 0..<out.chromaHeight {
                for col in 0..<out.chromaWidth {
                    out.u[row * out.chromaWidth + col] = frame.u[row * frame.chromaWidth + col + x / 2]
                    out.v[row * out.chromaWidth + col] = frame.v[row * frame.chromaWidth + col + x / 2]
                }
            }
            return out
        }
        let a = crop(wide, x: 0), b = crop(wide, x: 2)
        let ssim = try #require(PlaneSSIM(a, b))
        expectClose(ssim, DirectSSIM.frame(a, b))
        #expect(ssim.y < 0.99)
    }

    /// Flat pictures have no variance: SSIM is the luminance term (2·μx·μy + C1) / (μx² + μy² + C1).
    @Test func flatPicturesGiveTheLuminanceTerm() throws {
        let a = I420Frame(width: 22, height: 22, fillY: 100, fillU: 50, fillV: 200)
        let b = I420Frame(width: 22, height: 22, fillY: 110, fillU: 50, fillV: 100)
        let c1 = 6.5025
        let ssim = try #require(PlaneSSIM(a, b))
        #expect(abs(ssim.y - (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1)) < 1e-12)
        #expect(abs(ssim.u - 1) < 1e-12)
        #expect(abs(ssim.v - (2 * 200 * 100 + c1) / (200 * 200 + 100 * 100 + c1)) < 1e-12)
    }

    @Test func stridedPlanesAreRead() throws {
        let a = texturedFrame(width: 24, height: 22)
        var b = a
        b.y[100] &+= 40
        var padded: [UInt8] = []
        for row in 0..<22 { padded += b.y[(row * 24)..<(row * 24 + 24)] + [0, 0, 0] }
        let strided = try #require(I420Frame(width: 24, height: 22, y: padded, strideY: 27, u: b.u, strideU: 12,
                                             v: b.v, strideV: 12))
        #expect(PlaneSSIM(a, strided) == PlaneSSIM(a, b))
        #expect(try #require(a.ssimY(b)) < 1)
    }

    @Test func tooSmallOrMismatchedGivesNil() {
        // 20×20 luma has 10×10 chroma: the 11×11 window does not fit.
        #expect(PlaneSSIM(I420Frame(width: 20, height: 20), I420Frame(width: 20, height: 20)) == nil)
        #expect(PlaneSSIM(I420Frame(width: 21, height: 21), I420Frame(width: 21, height: 21)) != nil)
        #expect(PlaneSSIM(I420Frame(width: 30, height: 30), I420Frame(width: 30, height: 32)) == nil)
    }
}

struct ClipQualityTests {
    /// PSNR pools the MSE of all frames: frame 1 is off by 2 everywhere in Y (MSE 4), frame 2 is
    /// identical, so the clip's Y MSE is 2 and its PSNR 10·log10(255² / 2).
    @Test func psnrComesFromTheMeanSquaredError() throws {
        let reference = texturedFrame(width: 24, height: 22)
        var off = reference
        off.y = off.y.map { $0 &+ 2 }
        var quality = ClipQuality()
        #expect(quality.psnr == nil)
        let added = [quality.add(off, reference: reference), quality.add(reference, reference: reference),
                     quality.add(I420Frame(width: 4, height: 4), reference: reference)]
        #expect(added == [true, true, false])
        #expect(quality.frames == 2)
        let psnr = try #require(quality.psnr)
        #expect(abs(psnr.y - 10 * log10(255.0 * 255.0 / 2)) < 1e-12)
        #expect(psnr.u == PlanePSNR.identical)
        #expect(quality.meanSquaredError == PlaneMSE(y: 2, u: 0, v: 0))
        let ssim = try #require(quality.ssim)
        let first = try #require(PlaneSSIM(off, reference))
        #expect(abs(ssim.y - (first.y + 1) / 2) < 1e-12)
    }

    @Test func decibels() {
        #expect(PlanePSNR.decibels(0) == 100)
        #expect(PlanePSNR.decibels(1e-20) == 100)
        #expect(abs(PlanePSNR.decibels(65025) - 0) < 1e-12)
        #expect(abs(PlanePSNR.decibels(6.5025) - 40) < 1e-12)
    }

    @Test func msePerPlane() throws {
        let a = I420Frame(width: 4, height: 4, fillY: 10, fillU: 20, fillV: 30)
        let b = I420Frame(width: 4, height: 4, fillY: 13, fillU: 20, fillV: 25)
        #expect(PlaneMSE(a, b) == PlaneMSE(y: 9, u: 0, v: 25))
        #expect(PlanePSNR(try #require(PlaneMSE(a, b))) == PlanePSNR(a, b))
    }
}
