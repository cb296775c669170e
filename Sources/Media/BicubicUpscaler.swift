/// The classic upscaler: separable cubic convolution with Keys' kernel, a = −0.5
/// (R. Keys, "Cubic convolution interpolation for digital image processing", IEEE Trans. ASSP
/// 29(6), 1981), on each plane of an I420 picture.
///
/// Geometry: output pixel `d` samples the source at `(d + 0.5) · src / dst − 0.5` (pixel centres
/// aligned, not corners), taps at the four nearest source pixels, indices beyond the edge clamped
/// to the edge pixel. This is the mapping of OpenCV's `cv2.resize(…, interpolation=INTER_CUBIC)`
/// and of PyTorch's `interpolate(mode="bicubic", align_corners=False)`, and their edge handling
/// (index clamping, i.e. replicated borders). The result is the exact real-valued sum rounded
/// half up and clamped to 0…255, computed without rounding between the two passes, as OpenCV
/// does for 8-bit pictures.
///
/// Against `cv2.resize(…, interpolation=INTER_CUBIC)` on 8-bit planes: OpenCV and PyTorch use
/// a = −0.75, a slightly sharper kernel, so their values differ from these (measured: up to 16
/// levels on uniform noise, up to 5 and 1 on average on a blurred one). The mapping, border clamping, rounding
/// half up and clamping to 0…255 are OpenCV's: the same per-pixel formula with a = −0.75
/// reproduced `cv2.resize(INTER_CUBIC)` bit for bit (OpenCV 5.0; random planes, ×2, ×3 and odd
/// sizes), OpenCV's 11-bit fixed-point weights notwithstanding. a = −0.5 is the kernel of
/// MATLAB's `imresize(…, "bicubic")` and Pillow's `BICUBIC` (Pillow renormalises the window at
/// borders instead of clamping). With a = −0.5 the ×2 phases' weights are multiples of 1/128
/// (−3, 29, 111, −9), so the ×2 path here is exact integer arithmetic.
///
/// Chroma planes use the same kernel with their own size ratio (for odd luma sizes the chroma
/// ratio is not exactly the factor).
public struct BicubicUpscaler: Sendable, Hashable {
    /// Keys' parameter.
    public static let a = -0.5
    /// Output size = input size × factor.
    public let factor: Int

    /// An upscaler by an integer factor (1…8). ×2 takes a dedicated integer path.
    public init(factor: Int) throws(FrameScaleError) {
        guard (1...8).contains(factor) else { throw .invalidFactor(factor) }
        self.factor = factor
    }

    /// `frame` enlarged `factor` times in each direction (timestamp kept, planes packed).
    public func upscale(_ frame: I420Frame) throws(FrameScaleError) -> I420Frame {
        try BicubicUpscaler.resize(frame, width: frame.width * factor, height: frame.height * factor)
    }

    /// `frame` resized to any `width × height` (up or down; downscaling does not low-pass
    /// filter, so it aliases: use libyuv's box filter, `scaled(width:height:filter:)`, for that).
    public static func resize(_ frame: I420Frame, width: Int, height: Int) throws(FrameScaleError) -> I420Frame {
        try FrameScaleError.check(width: width, height: height)
        guard frame.width > 0, frame.height > 0 else {
            throw .invalidSize(width: frame.width, height: frame.height)
        }
        var out = I420Frame(width: width, height: height, timestamp: frame.timestamp)
        resizePlane(frame.y, stride: frame.strideY, width: frame.width, height: frame.height,
                    into: &out.y, width: out.width, height: out.height)
        resizePlane(frame.u, stride: frame.strideU, width: frame.chromaWidth, height: frame.chromaHeight,
                    into: &out.u, width: out.chromaWidth, height: out.chromaHeight)
        resizePlane(frame.v, stride: frame.strideV, width: frame.chromaWidth, height: frame.chromaHeight,
                    into: &out.v, width: out.chromaWidth, height: out.chromaHeight)
        return out
    }

    /// Keys' cubic convolution kernel at distance `x` (support −2…2).
    public static func weight(_ x: Double) -> Double {
        let t = abs(x)
        if t <= 1 { return ((a + 2) * t - (a + 3)) * t * t + 1 }
        if t < 2 { return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
        return 0
    }

    /// Resizes one plane into `destination` (packed rows of `dstWidth`, already allocated).
    static func resizePlane(_ source: [UInt8], stride: Int, width srcWidth: Int, height srcHeight: Int,
                            into destination: inout [UInt8], width dstWidth: Int, height dstHeight: Int) {
        guard srcWidth > 0, srcHeight > 0, dstWidth > 0, dstHeight > 0,
              I420Frame.planeFits(source.count, stride: stride, width: srcWidth, rows: srcHeight),
              destination.count >= dstWidth * dstHeight else { return }
        source.withUnsafeBufferPointer { src in
            destination.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                if dstWidth == 2 * srcWidth && dstHeight == 2 * srcHeight {
                    BicubicUpscaler.double(s, stride: stride, width: srcWidth, height: srcHeight, into: d)
                } else {
                    BicubicUpscaler.general(s, stride: stride, width: srcWidth, height: srcHeight,
                                            into: d, width: dstWidth, height: dstHeight)
                }
            }
        }
    }

    // MARK: ×2

    /// Weights ×128 at the two ×2 phases. Even outputs sit a quarter pixel left of a source pixel
    /// (taps i−2…i+1), odd outputs a quarter pixel right (taps i−1…i+2).
    static let evenTaps: (Int32, Int32, Int32, Int32) = (-3, 29, 111, -9)
    static let oddTaps: (Int32, Int32, Int32, Int32) = (-9, 111, 29, -3)

    /// ×2 in exact integer arithmetic: a vertical pass into two Int32 rows (units of 1/128),
    /// padded by two clamped samples each side, then a horizontal pass (units of 1/16384).
    static func double(_ src: UnsafePointer<UInt8>, stride: Int, width w: Int, height h: Int,
                       into dst: UnsafeMutablePointer<UInt8>) {
        let padded = w + 4
        let rows = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * padded)
        defer { rows.deallocate() }
        rows.initialize(repeating: 0, count: 2 * padded)
        let even = rows, odd = rows + padded
        let (e0, e1, e2, e3) = evenTaps
        let (o0, o1, o2, o3) = oddTaps
        let dstWidth = 2 * w
        for i in 0..<h {
            let rm2 = src + max(i - 2, 0) * stride
            let rm1 = src + max(i - 1, 0) * stride
            let r0 = src + i * stride
            let rp1 = src + min(i + 1, h - 1) * stride
            let rp2 = src + min(i + 2, h - 1) * stride
            let ve = even + 2, vo = odd + 2
            for x in 0..<w {
                let a = Int32(rm2[x]), b = Int32(rm1[x]), c = Int32(r0[x]), d = Int32(rp1[x]), e = Int32(rp2[x])
                ve[x] = e0 &* a &+ e1 &* b &+ e2 &* c &+ e3 &* d
                vo[x] = o0 &* b &+ o1 &* c &+ o2 &* d &+ o3 &* e
            }
            padEdges(even, width: w)
            padEdges(odd, width: w)
            horizontalDouble(even, width: w, into: dst + (2 * i) * dstWidth)
            horizontalDouble(odd, width: w, into: dst + (2 * i + 1) * dstWidth)
        }
    }

    /// Copies column 0 into the two slots left of it and column w − 1 into the two right of it.
    @inline(__always)
    static func padEdges(_ row: UnsafeMutablePointer<Int32>, width w: Int) {
        row[0] = row[2]; row[1] = row[2]
        row[w + 2] = row[w + 1]; row[w + 3] = row[w + 1]
    }

    /// One output row of the ×2 path from a padded vertical row (`t[x + 2]` is column x).
    @inline(__always)
    static func horizontalDouble(_ t: UnsafeMutablePointer<Int32>, width w: Int,
                                 into out: UnsafeMutablePointer<UInt8>) {
        let (e0, e1, e2, e3) = evenTaps
        let (o0, o1, o2, o3) = oddTaps
        let half: Int32 = 1 << 13
        for x in 0..<w {
            let a = t[x], b = t[x + 1], c = t[x + 2], d = t[x + 3], e = t[x + 4]
            let ev = (e0 &* a &+ e1 &* b &+ e2 &* c &+ e3 &* d &+ half) >> 14
            let ov = (o0 &* b &+ o1 &* c &+ o2 &* d &+ o3 &* e &+ half) >> 14
            out[2 * x] = UInt8(truncatingIfNeeded: min(max(ev, 0), 255))
            out[2 * x + 1] = UInt8(truncatingIfNeeded: min(max(ov, 0), 255))
        }
    }

    // MARK: any size

    /// Source indices (clamped) and weights of the four taps of each output position.
    static func taps(source: Int, destination: Int) -> (index: [Int], weight: [Double]) {
        var indices = [Int](repeating: 0, count: 4 * destination)
        var weights = [Double](repeating: 0, count: 4 * destination)
        let ratio = Double(source) / Double(destination)
        for d in 0..<destination {
            let position = (Double(d) + 0.5) * ratio - 0.5
            let base = Int(position.rounded(.down))
            let t = position - Double(base)
            for k in 0..<4 {
                indices[4 * d + k] = min(max(base - 1 + k, 0), source - 1)
                weights[4 * d + k] = BicubicUpscaler.weight(t + 1 - Double(k))
            }
        }
        return (indices, weights)
    }

    /// Any size: vertical pass into a Double row, then horizontal pass; rounding at the end only.
    static func general(_ src: UnsafePointer<UInt8>, stride: Int, width sw: Int, height sh: Int,
                        into dst: UnsafeMutablePointer<UInt8>, width dw: Int, height dh: Int) {
        let (xi, xw) = taps(source: sw, destination: dw)
        let (yi, yw) = taps(source: sh, destination: dh)
        var row = [Double](repeating: 0, count: sw)
        row.withUnsafeMutableBufferPointer { rowBuffer in
            guard let v = rowBuffer.baseAddress else { return }
            for dy in 0..<dh {
                let r0 = src + yi[4 * dy] * stride, r1 = src + yi[4 * dy + 1] * stride
                let r2 = src + yi[4 * dy + 2] * stride, r3 = src + yi[4 * dy + 3] * stride
                let w0 = yw[4 * dy], w1 = yw[4 * dy + 1], w2 = yw[4 * dy + 2], w3 = yw[4 * dy + 3]
                for x in 0..<sw {
                    v[x] = w0 * Double(r0[x]) + w1 * Double(r1[x]) + w2 * Double(r2[x]) + w3 * Double(r3[x])
                }
                let out = dst + dy * dw
                for dx in 0..<dw {
                    let k = 4 * dx
                    let sum = xw[k] * v[xi[k]] + xw[k + 1] * v[xi[k + 1]]
                        + xw[k + 2] * v[xi[k + 2]] + xw[k + 3] * v[xi[k + 3]]
                    out[dx] = UInt8(min(max((sum + 0.5).rounded(.down), 0), 255))
                }
            }
        }
    }
}
