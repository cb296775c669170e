import CVPX

/// A VP8 / VP9 (profile 0) decoder over libvpx producing `I420Frame`s.
///
/// Owns its `vpx_codec_ctx_t`; use from one thread at a time. Corrupt or truncated input makes
/// `decode` throw and reset the decoder, which then recovers at the next keyframe.
public final class VideoDecoder {
    public let codec: VideoCodec
    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>

    private let threads: Int
    private var isOpen = true

    /// The quantizer index of the last frame decoded (VP8 0…127, VP9 0…255; libvpx's
    /// `VPXD_GET_LAST_QUANTIZER`), nil before the first frame and after a decode error. It says
    /// how coarsely the publisher's encoder quantized the picture: what a restoration network
    /// conditioned on it needs to know.
    public private(set) var lastQuantizer: Int?

    public init(codec: VideoCodec, threads: Int = 1) throws(VideoCodecError) {
        self.codec = codec
        self.threads = min(max(1, threads), 16)
        context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        context.initialize(to: vpx_codec_ctx_t())
        do {
            try VideoDecoder.open(context, codec: codec, threads: self.threads)
        } catch {
            context.deinitialize(count: 1)
            context.deallocate()
            throw error
        }
    }

    private static func open(_ context: UnsafeMutablePointer<vpx_codec_ctx_t>, codec: VideoCodec,
                             threads: Int) throws(VideoCodecError) {
        var cfg = vpx_codec_dec_cfg_t(threads: UInt32(threads), w: 0, h: 0)
        let iface = codec == .vp8 ? vpx_codec_vp8_dx() : vpx_codec_vp9_dx()
        let status = loupe_vpx_dec_init(context, iface, &cfg, 0)
        guard status == VPX_CODEC_OK else {
            let message = VideoEncoder.describe(status, context: context)
            vpx_codec_destroy(context)
            context.pointee = vpx_codec_ctx_t()
            throw .initializationFailed(message)
        }
    }

    /// Replaces the libvpx context with a fresh one after a decode error: libvpx 1.12's VP9
    /// decoder can leak frame buffers on corrupt input until it has none left, and after an error
    /// nothing but a keyframe decodes anyway.
    private func reset() {
        vpx_codec_destroy(context)
        context.pointee = vpx_codec_ctx_t()
        isOpen = (try? VideoDecoder.open(context, codec: codec, threads: threads)) != nil
    }

    deinit {
        if isOpen { vpx_codec_destroy(context) }
        context.deinitialize(count: 1)
        context.deallocate()
    }

    /// Decodes one compressed frame. Returns the decoded pictures (normally one; none for a frame
    /// that is not shown), each stamped with `timestamp`.
    public func decode(_ bytes: [UInt8], timestamp: UInt32 = 0) throws(VideoCodecError) -> [I420Frame] {
        guard !bytes.isEmpty else { throw .emptyInput }
        lastQuantizer = nil
        if !isOpen { reset() }
        guard isOpen else { throw .decodeFailed("decoder could not be re-initialised") }
        guard let size = UInt32(exactly: bytes.count) else { throw .decodeFailed("frame too large") }
        let status = bytes.withUnsafeBufferPointer { buffer in
            vpx_codec_decode(context, buffer.baseAddress, size, nil, 0)
        }
        guard status == VPX_CODEC_OK else {
            let message = VideoEncoder.describe(status, context: context)
            reset()
            throw .decodeFailed(message)
        }
        if codec == .vp8 {
            var corrupted: Int32 = 0
            if loupe_vp8d_get_frame_corrupted(context, &corrupted) == VPX_CODEC_OK, corrupted != 0 {
                reset()
                throw .decodeFailed("VP8 frame corrupted")
            }
        }
        var quantizer: Int32 = 0
        if loupe_vpxd_get_last_quantizer(context, &quantizer) == VPX_CODEC_OK { lastQuantizer = Int(quantizer) }
        var frames: [I420Frame] = []
        var iterator: vpx_codec_iter_t? = nil
        while let image = vpx_codec_get_frame(context, &iterator) {
            var frame = try VideoDecoder.copy(image.pointee, timestamp: timestamp)
            frame.codecQuantizer = lastQuantizer.map { CodecQuantizer(codec: codec, index: $0) }
            frames.append(frame)
        }
        return frames
    }

    /// Decodes an `EncodedFrame`, stamping the picture with its RTP timestamp.
    public func decode(_ frame: EncodedFrame) throws(VideoCodecError) -> [I420Frame] {
        try decode(frame.bytes, timestamp: frame.rtpTimestamp)
    }

    /// Copies a libvpx picture into tightly packed planes, checking every pointer and stride.
    static func copy(_ image: vpx_image_t, timestamp: UInt32) throws(VideoCodecError) -> I420Frame {
        guard image.fmt == VPX_IMG_FMT_I420 || image.fmt == VPX_IMG_FMT_YV12 else {
            throw .unsupportedImageFormat(image.fmt.rawValue)
        }
        let width = Int(image.d_w), height = Int(image.d_h)
        guard width > 0, height > 0, width <= 16384, height <= 16384,
              image.x_chroma_shift == 1, image.y_chroma_shift == 1 else { throw .invalidDecodedImage }
        // YV12 stores V before U.
        let swap = image.fmt == VPX_IMG_FMT_YV12
        guard let py = image.planes.0,
              let pu = swap ? image.planes.2 : image.planes.1,
              let pv = swap ? image.planes.1 : image.planes.2 else { throw .invalidDecodedImage }
        let sy = Int(image.stride.0)
        let su = Int(swap ? image.stride.2 : image.stride.1)
        let sv = Int(swap ? image.stride.1 : image.stride.2)
        var frame = I420Frame(width: width, height: height, timestamp: timestamp)
        let cw = frame.chromaWidth, ch = frame.chromaHeight
        guard sy >= width, su >= cw, sv >= cw else { throw .invalidDecodedImage }
        copyPlane(from: py, stride: sy, into: &frame.y, width: width, rows: height)
        copyPlane(from: pu, stride: su, into: &frame.u, width: cw, rows: ch)
        copyPlane(from: pv, stride: sv, into: &frame.v, width: cw, rows: ch)
        return frame
    }

    private static func copyPlane(from source: UnsafeMutablePointer<UInt8>, stride: Int,
                                  into plane: inout [UInt8], width: Int, rows: Int) {
        plane.withUnsafeMutableBufferPointer { destination in
            guard let base = destination.baseAddress, destination.count >= width * rows else { return }
            for row in 0..<rows {
                (base + row * width).update(from: source + row * stride, count: width)
            }
        }
    }
}
