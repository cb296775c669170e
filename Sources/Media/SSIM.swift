#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Structural similarity between two pictures of the same size, per plane: Z. Wang, A. C. Bovik,
/// H. R. Sheikh, E. P. Simoncelli, "Image quality assessment: from error visibility to
/// structural similarity", IEEE Trans. Image Processing 13(4), 2004.
///
/// As in the paper's reference implementation (`ssim_index.m`): an 11×11 Gaussian window with
/// σ = 1.5 (normalised to sum 1), K1 = 0.01, K2 = 0.03, L = 255, local statistics over every
/// position where the window lies wholly inside the plane ("valid" filtering, no padding), local
/// variances without Bessel's correction, the SSIM map averaged with equal weight. No
/// downsampling of large pictures (the later `ssim.m` does that; this does not).
public struct PlaneSSIM: Sendable, Hashable {
    public var y: Double
    public var u: Double
    public var v: Double

    /// Window side and Gaussian σ.
    public static let windowSize = 11
    public static let sigma = 1.5
    /// The stabilising constants (K1·L)² and (K2·L)².
    public static let c1 = (0.01 * 255.0) * (0.01 * 255.0)
    public static let c2 = (0.03 * 255.0) * (0.03 * 255.0)

    public init(y: Double, u: Double, v: Double) {
        self.y = y
        self.u = u
        self.v = v
    }

    /// SSIM of `a` against `b`, or nil when their sizes differ or a chroma plane is smaller than
    /// the 11×11 window (luma under 21×21).
    public init?(_ a: I420Frame, _ b: I420Frame) {
        guard a.width == b.width, a.height == b.height,
              a.chromaWidth >= PlaneSSIM.windowSize, a.chromaHeight >= PlaneSSIM.windowSize,
              let y = PlaneSSIM.ssim(a.y, a.strideY, b.y, b.strideY, width: a.width, rows: a.height),
              let u = PlaneSSIM.ssim(a.u, a.strideU, b.u, b.strideU, width: a.chromaWidth, rows: a.chromaHeight),
              let v = PlaneSSIM.ssim(a.v, a.strideV, b.v, b.strideV, width: a.chromaWidth, rows: a.chromaHeight)
        else { return nil }
        self.init(y: y, u: u, v: v)
    }

    /// The normalised 1-D Gaussian; the 2-D window is its outer product with itself.
    static let gaussian: [Double] = {
        let radius = Double(windowSize / 2)
        let raw = (0..<windowSize).map { k in exp(-(Double(k) - radius) * (Double(k) - radius) / (2 * sigma * sigma)) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }()

    /// The six distinct weights of the symmetric window: g0 at the centre, gk at distance k.
    static let g0 = gaussian[5], g1 = gaussian[4], g2 = gaussian[3], g3 = gaussian[2], g4 = gaussian[1], g5 = gaussian[0]

    /// Mean SSIM of one plane, or nil when it is smaller than the window or a buffer is short.
    ///
    /// Separable: each row's five statistics (x, y, x², y², xy) are filtered horizontally into an
    /// 11-row ring, then each column of the ring vertically. The 11 taps are written out, folded
    /// by symmetry, so that the loops run over whole rows (vectorisable, and cheap unoptimised).
    static func ssim(_ a: [UInt8], _ strideA: Int, _ b: [UInt8], _ strideB: Int,
                     width: Int, rows: Int) -> Double? {
        let n = windowSize
        guard width >= n, rows >= n,
              I420Frame.planeFits(a.count, stride: strideA, width: width, rows: rows),
              I420Frame.planeFits(b.count, stride: strideB, width: width, rows: rows) else { return nil }
        let outWidth = width - n + 1, outRows = rows - n + 1
        // Scratch: 5 statistic rows of `width`, a ring of 5 × n rows of `outWidth`, 5 filtered rows.
        let ringPlane = n * outWidth
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: 5 * width + 5 * ringPlane + 5 * outWidth)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: 5 * width + 5 * ringPlane + 5 * outWidth)
        let statistics = scratch, ring = scratch + 5 * width, filtered = ring + 5 * ringPlane
        var total = 0.0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let a0 = pa.baseAddress, let b0 = pb.baseAddress else { return }
                for row in 0..<rows {
                    let ra = a0 + row * strideA, rb = b0 + row * strideB
                    let sx = statistics, sy = sx + width, sxx = sy + width, syy = sxx + width, sxy = syy + width
                    for x in 0..<width {
                        let p = Double(ra[x]), q = Double(rb[x])
                        sx[x] = p; sy[x] = q; sxx[x] = p * p; syy[x] = q * q; sxy[x] = p * q
                    }
                    let slot = (row % n) * outWidth
                    for s in 0..<5 {
                        horizontal(statistics + s * width, into: ring + s * ringPlane + slot, count: outWidth)
                    }
                    guard row >= n - 1 else { continue }
                    let top = row - (n - 1)  // the window covers rows top…row
                    for s in 0..<5 {
                        vertical(ring + s * ringPlane, first: top, rowLength: outWidth, into: filtered + s * outWidth)
                    }
                    total += ssimRow(filtered, count: outWidth)
                }
            }
        }
        return total / Double(outWidth * outRows)
    }

    /// `out[x]` = the window's weighted sum of `row[x…x+10]`.
    static func horizontal(_ row: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>, count: Int) {
        let (w0, w1, w2, w3, w4, w5) = (g0, g1, g2, g3, g4, g5)
        for x in 0..<count {
            let r = row + x
            out[x] = w0 * r[5] + w1 * (r[4] + r[6]) + w2 * (r[3] + r[7]) + w3 * (r[2] + r[8])
                + w4 * (r[1] + r[9]) + w5 * (r[0] + r[10])
        }
    }

    /// `out[x]` = the window's weighted sum down column x of ring rows `first…first+10` (mod 11).
    static func vertical(_ ring: UnsafeMutablePointer<Double>, first: Int, rowLength: Int,
                         into out: UnsafeMutablePointer<Double>) {
        func at(_ k: Int) -> UnsafeMutablePointer<Double> { ring + ((first + k) % windowSize) * rowLength }
        let r0 = at(0), r1 = at(1), r2 = at(2), r3 = at(3), r4 = at(4), r5 = at(5)
        let r6 = at(6), r7 = at(7), r8 = at(8), r9 = at(9), r10 = at(10)
        let (w0, w1, w2, w3, w4, w5) = (g0, g1, g2, g3, g4, g5)
        for x in 0..<rowLength {
            out[x] = w0 * r5[x] + w1 * (r4[x] + r6[x]) + w2 * (r3[x] + r7[x]) + w3 * (r2[x] + r8[x])
                + w4 * (r1[x] + r9[x]) + w5 * (r0[x] + r10[x])
        }
    }

    /// Sum of the SSIM map over one row, from the five filtered statistics rows.
    static func ssimRow(_ filtered: UnsafeMutablePointer<Double>, count: Int) -> Double {
        let mx = filtered, my = mx + count, exx = my + count, eyy = exx + count, exy = eyy + count
        let c1 = PlaneSSIM.c1, c2 = PlaneSSIM.c2
        var sum = 0.0
        for x in 0..<count {
            let m1 = mx[x], m2 = my[x]
            let v1 = exx[x] - m1 * m1, v2 = eyy[x] - m2 * m2, cov = exy[x] - m1 * m2
            sum += ((2 * m1 * m2 + c1) * (2 * cov + c2)) / ((m1 * m1 + m2 * m2 + c1) * (v1 + v2 + c2))
        }
        return sum
    }
}

extension I420Frame {
    /// Y-plane SSIM against `other`, or nil when sizes differ or the picture is under 21×21.
    public func ssimY(_ other: I420Frame) -> Double? { PlaneSSIM(self, other)?.y }
}
