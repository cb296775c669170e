#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Peak signal-to-noise ratio between two pictures of the same size, per plane, in dB
/// (10·log10(255² / MSE)). Identical planes give `PlanePSNR.identical` (+∞ replaced by 100 dB).
public struct PlanePSNR: Sendable, Hashable {
    public var y: Double
    public var u: Double
    public var v: Double
    /// The value reported for identical planes.
    public static let identical = 100.0

    /// PSNR of `a` against `b`, or nil when their sizes differ.
    public init?(_ a: I420Frame, _ b: I420Frame) {
        guard a.width == b.width, a.height == b.height, a.width > 0, a.height > 0 else { return nil }
        y = PlanePSNR.psnr(a.y, a.strideY, b.y, b.strideY, width: a.width, rows: a.height)
        u = PlanePSNR.psnr(a.u, a.strideU, b.u, b.strideU, width: a.chromaWidth, rows: a.chromaHeight)
        v = PlanePSNR.psnr(a.v, a.strideV, b.v, b.strideV, width: a.chromaWidth, rows: a.chromaHeight)
    }

    /// The mean squared error of one plane.
    static func meanSquaredError(_ a: [UInt8], _ strideA: Int, _ b: [UInt8], _ strideB: Int,
                                 width: Int, rows: Int) -> Double {
        var sum: UInt64 = 0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                for row in 0..<rows {
                    var rowSum: UInt64 = 0
                    let ra = row * strideA, rb = row * strideB
                    for col in 0..<width {
                        let d = Int(pa[ra + col]) - Int(pb[rb + col])
                        rowSum += UInt64(d * d)
                    }
                    sum += rowSum
                }
            }
        }
        return Double(sum) / Double(width * rows)
    }

    static func psnr(_ a: [UInt8], _ strideA: Int, _ b: [UInt8], _ strideB: Int,
                     width: Int, rows: Int) -> Double {
        let mse = meanSquaredError(a, strideA, b, strideB, width: width, rows: rows)
        guard mse > 0 else { return identical }
        return min(identical, 10 * log10(255 * 255 / mse))
    }
}

extension I420Frame {
    /// Y-plane PSNR against `other` in dB, or nil when sizes differ.
    public func psnrY(_ other: I420Frame) -> Double? { PlanePSNR(self, other)?.y }
}
