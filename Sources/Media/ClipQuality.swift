#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Mean squared error per plane between two pictures of the same size.
public struct PlaneMSE: Sendable, Hashable {
    public var y: Double
    public var u: Double
    public var v: Double

    public init(y: Double, u: Double, v: Double) {
        self.y = y
        self.u = u
        self.v = v
    }

    /// MSE of `a` against `b`, or nil when their sizes differ.
    public init?(_ a: I420Frame, _ b: I420Frame) {
        guard a.width == b.width, a.height == b.height, a.width > 0, a.height > 0 else { return nil }
        self.init(
            y: PlanePSNR.meanSquaredError(a.y, a.strideY, b.y, b.strideY, width: a.width, rows: a.height),
            u: PlanePSNR.meanSquaredError(a.u, a.strideU, b.u, b.strideU, width: a.chromaWidth, rows: a.chromaHeight),
            v: PlanePSNR.meanSquaredError(a.v, a.strideV, b.v, b.strideV, width: a.chromaWidth, rows: a.chromaHeight))
    }
}

extension PlanePSNR {
    /// PSNR from mean squared errors: 10·log10(255² / MSE), `identical` (100 dB) for MSE 0 and
    /// never more than that.
    public init(_ mse: PlaneMSE) {
        y = PlanePSNR.decibels(mse.y)
        u = PlanePSNR.decibels(mse.u)
        v = PlanePSNR.decibels(mse.v)
    }

    /// 10·log10(255² / mse), capped at `identical`.
    public static func decibels(_ mse: Double) -> Double {
        guard mse > 0 else { return identical }
        return min(identical, 10 * log10(255 * 255 / mse))
    }
}

/// Quality of a sequence of frames against their references, accumulated frame by frame.
///
/// PSNR is pooled the way ffmpeg's `psnr` filter reports its average: from the mean over all
/// frames of each plane's MSE (not the mean of per-frame PSNRs, which identical frames would
/// skew). SSIM is the mean of per-frame SSIM.
public struct ClipQuality: Sendable, Hashable {
    public private(set) var frames = 0
    /// Frames for which SSIM was computed (all of them unless pictures are under 21×21).
    public private(set) var ssimFrames = 0
    private var mseSum = PlaneMSE(y: 0, u: 0, v: 0)
    private var ssimSum = PlaneSSIM(y: 0, u: 0, v: 0)

    public init() {}

    /// Adds one frame and its reference. Returns false (and adds nothing) when sizes differ.
    @discardableResult
    public mutating func add(_ frame: I420Frame, reference: I420Frame, computeSSIM: Bool = true) -> Bool {
        guard let mse = PlaneMSE(frame, reference) else { return false }
        add(mse: mse, ssim: computeSSIM ? PlaneSSIM(frame, reference) : nil)
        return true
    }

    /// Adds one frame's measurements, computed elsewhere (e.g. on several threads).
    public mutating func add(mse: PlaneMSE, ssim: PlaneSSIM?) {
        frames += 1
        mseSum.y += mse.y
        mseSum.u += mse.u
        mseSum.v += mse.v
        if let ssim {
            ssimFrames += 1
            ssimSum.y += ssim.y
            ssimSum.u += ssim.u
            ssimSum.v += ssim.v
        }
    }

    /// Mean MSE per plane over all frames, nil before the first.
    public var meanSquaredError: PlaneMSE? {
        guard frames > 0 else { return nil }
        let n = Double(frames)
        return PlaneMSE(y: mseSum.y / n, u: mseSum.u / n, v: mseSum.v / n)
    }

    /// PSNR of the mean MSE, nil before the first frame.
    public var psnr: PlanePSNR? { meanSquaredError.map { PlanePSNR($0) } }

    /// Mean SSIM, nil when no frame had SSIM computed.
    public var ssim: PlaneSSIM? {
        guard ssimFrames > 0 else { return nil }
        let n = Double(ssimFrames)
        return PlaneSSIM(y: ssimSum.y / n, u: ssimSum.u / n, v: ssimSum.v / n)
    }
}
