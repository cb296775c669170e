import CYUV

/// How libyuv filters when it resizes (its `FilterMode`).
public enum ScaleFilter: String, Sendable, Hashable, CaseIterable {
    /// Nearest sample (`kFilterNone`).
    case none
    /// Linear horizontally only (`kFilterLinear`).
    case linear
    /// Bilinear (`kFilterBilinear`); fast, aliases when shrinking by more than 2.
    case bilinear
    /// Area averaging when shrinking, bilinear when growing (`kFilterBox`): the node's
    /// downscaler, used alike for training data and for serving.
    case box

    var libyuvMode: FilterMode {
        switch self {
        case .none: kFilterNone
        case .linear: kFilterLinear
        case .bilinear: kFilterBilinear
        case .box: kFilterBox
        }
    }
}

/// Why a picture could not be resized.
public enum FrameScaleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The requested size is not in 1…16384 × 1…16384.
    case invalidSize(width: Int, height: Int)
    /// An upscaling factor outside 1…8.
    case invalidFactor(Int)
    /// libyuv returned a non-zero status.
    case libyuvFailed(Int32)

    public var description: String {
        switch self {
        case .invalidSize(let w, let h): "invalid picture size \(w)x\(h) (each side must be 1…16384)"
        case .invalidFactor(let f): "invalid scale factor \(f) (must be 1…8)"
        case .libyuvFailed(let status): "libyuv scaling failed (status \(status))"
        }
    }

    static func check(width: Int, height: Int) throws(FrameScaleError) {
        guard (1...16384).contains(width), (1...16384).contains(height) else {
            throw .invalidSize(width: width, height: height)
        }
    }
}

extension I420Frame {
    /// The picture resized to `width × height` by libyuv's `I420Scale` (each plane on its own,
    /// chroma to `(width + 1) / 2 × (height + 1) / 2`). The result has packed planes and the same
    /// timestamp; the same size returns a packed copy.
    public func scaled(width: Int, height: Int, filter: ScaleFilter = .box) throws(FrameScaleError) -> I420Frame {
        try FrameScaleError.check(width: width, height: height)
        guard self.width > 0, self.height > 0 else {
            throw .invalidSize(width: self.width, height: self.height)
        }
        if width == self.width && height == self.height { return packed() }
        var out = I420Frame(width: width, height: height, timestamp: timestamp)
        let cw = out.chromaWidth
        let status = y.withUnsafeBufferPointer { sy in
            u.withUnsafeBufferPointer { su in
                v.withUnsafeBufferPointer { sv in
                    out.y.withUnsafeMutableBufferPointer { dy in
                        out.u.withUnsafeMutableBufferPointer { du in
                            out.v.withUnsafeMutableBufferPointer { dv in
                                I420Scale(sy.baseAddress, Int32(strideY), su.baseAddress, Int32(strideU),
                                          sv.baseAddress, Int32(strideV), Int32(self.width), Int32(self.height),
                                          dy.baseAddress, Int32(width), du.baseAddress, Int32(cw),
                                          dv.baseAddress, Int32(cw), Int32(width), Int32(height),
                                          filter.libyuvMode)
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else { throw .libyuvFailed(status) }
        return out
    }
}
