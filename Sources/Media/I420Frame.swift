/// A planar YUV 4:2:0 picture (I420): a full-resolution luma plane followed by two chroma planes
/// of `(width + 1) / 2 × (height + 1) / 2` samples, 8 bits per sample, BT.601 limited range.
///
/// Each plane is stored row by row with its own stride (bytes per row, at least the plane's width).
public struct I420Frame: Sendable, Hashable {
    /// Luma width and height in pixels.
    public let width: Int
    public let height: Int
    public var y: [UInt8]
    public var u: [UInt8]
    public var v: [UInt8]
    public let strideY: Int
    public let strideU: Int
    public let strideV: Int
    /// Presentation time of the frame in 90 kHz RTP units (RFC 3551 §4.5 video clock).
    public var timestamp: UInt32
    /// How coarsely the codec quantized this picture, when it was decoded from a bitstream
    /// (`VideoDecoder` sets it; nil for pictures from elsewhere). A restoration network
    /// conditioned on the quantizer reads it.
    public var codecQuantizer: CodecQuantizer?

    /// Chroma plane width and height: luma size rounded up, halved.
    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }

    /// A frame with tightly packed planes filled with the given sample values (default: black).
    public init(width: Int, height: Int, timestamp: UInt32 = 0,
                fillY: UInt8 = 16, fillU: UInt8 = 128, fillV: UInt8 = 128) {
        let w = max(0, width), h = max(0, height)
        let cw = (w + 1) / 2, ch = (h + 1) / 2
        self.width = w
        self.height = h
        self.strideY = w
        self.strideU = cw
        self.strideV = cw
        self.y = [UInt8](repeating: fillY, count: w * h)
        self.u = [UInt8](repeating: fillU, count: cw * ch)
        self.v = [UInt8](repeating: fillV, count: cw * ch)
        self.timestamp = timestamp
    }

    /// A frame from existing planes. Returns nil when a stride is smaller than its plane's width
    /// or a plane holds fewer bytes than `stride × (rows − 1) + width`.
    public init?(width: Int, height: Int, y: [UInt8], strideY: Int, u: [UInt8], strideU: Int,
                 v: [UInt8], strideV: Int, timestamp: UInt32 = 0) {
        guard width > 0, height > 0 else { return nil }
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        guard I420Frame.planeFits(y.count, stride: strideY, width: width, rows: height),
              I420Frame.planeFits(u.count, stride: strideU, width: cw, rows: ch),
              I420Frame.planeFits(v.count, stride: strideV, width: cw, rows: ch) else { return nil }
        self.width = width
        self.height = height
        self.y = y
        self.u = u
        self.v = v
        self.strideY = strideY
        self.strideU = strideU
        self.strideV = strideV
        self.timestamp = timestamp
    }

    static func planeFits(_ count: Int, stride: Int, width: Int, rows: Int) -> Bool {
        guard stride >= width, rows > 0 else { return false }
        let (span, o1) = stride.multipliedReportingOverflow(by: rows - 1)
        guard !o1 else { return false }
        let (need, o2) = span.addingReportingOverflow(width)
        return !o2 && count >= need
    }

    /// The sample at luma position (x, y); coordinates must be inside the frame.
    public func luma(x: Int, y row: Int) -> UInt8 { y[row * strideY + x] }

    /// The same picture with tightly packed planes (stride == plane width).
    public func packed() -> I420Frame {
        if strideY == width && strideU == chromaWidth && strideV == chromaWidth { return self }
        var out = I420Frame(width: width, height: height, timestamp: timestamp)
        I420Frame.copyPlane(y, stride: strideY, into: &out.y, stride: width, width: width, rows: height)
        I420Frame.copyPlane(u, stride: strideU, into: &out.u, stride: chromaWidth,
                            width: chromaWidth, rows: chromaHeight)
        I420Frame.copyPlane(v, stride: strideV, into: &out.v, stride: chromaWidth,
                            width: chromaWidth, rows: chromaHeight)
        return out
    }

    static func copyPlane(_ src: [UInt8], stride: Int, into dst: inout [UInt8], stride dstStride: Int,
                          width: Int, rows: Int) {
        for r in 0..<rows {
            dst[(r * dstStride)..<(r * dstStride + width)] = src[(r * stride)..<(r * stride + width)]
        }
    }
}

/// A decoded picture's quantizer: the codec and its quantizer index (libvpx
/// `VPXD_GET_LAST_QUANTIZER`: VP8 0…127, VP9 0…255).
public struct CodecQuantizer: Sendable, Hashable {
    public var codec: VideoCodec
    public var index: Int

    public init(codec: VideoCodec, index: Int) {
        self.codec = codec
        self.index = index
    }
}
