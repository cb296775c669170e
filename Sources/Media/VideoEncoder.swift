import CVPX

/// A realtime VP8 / VP9 (profile 0) encoder over libvpx, configured the way WebRTC senders are:
/// one pass, CBR, no lookahead, error resilient, fast speed settings, keyframes on request.
///
/// Owns its `vpx_codec_ctx_t`; use from one thread at a time.
public final class VideoEncoder {
    public let codec: VideoCodec
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var fps: Int
    public private(set) var bitrateKbps: Int
    public let keyframeInterval: Int
    public let threads: Int
    public let allowsFrameDropping: Bool
    /// libvpx's rate-control buffer, ms: initial, optimal, size (libwebrtc's 500/600/1000 by default).
    public let rateControlBufferMs: (initial: Int, optimal: Int, size: Int)

    private let context: UnsafeMutablePointer<vpx_codec_ctx_t>
    private var config = vpx_codec_enc_cfg_t()
    private var isOpen = false
    /// Largest size the VP8 context accepts without re-initialisation.
    private var initialWidth: Int
    private var initialHeight: Int
    private var lastPTS: Int64?
    private var lastTimestamp: UInt32 = 0
    private var keyframePending = false

    /// Creates an encoder.
    /// - Parameters:
    ///   - keyframeInterval: maximum distance between automatic keyframes in frames; 0 disables
    ///     automatic keyframes (only `forceKeyframe` and the first frame produce them).
    ///   - threads: encoder threads (1…16).
    ///   - allowFrameDropping: let the rate controller skip frames when its buffer runs dry.
    public init(codec: VideoCodec, width: Int, height: Int, fps: Int, bitrateKbps: Int,
                keyframeInterval: Int = 3000, threads: Int = 1,
                allowFrameDropping: Bool = false,
                rateControlBufferMs: (initial: Int, optimal: Int, size: Int) = (500, 600, 1000)) throws(VideoCodecError) {
        self.rateControlBufferMs = rateControlBufferMs
        try VideoEncoder.validate(width: width, height: height)
        guard (1...240).contains(fps) else { throw .invalidConfiguration("fps \(fps) not in 1...240") }
        guard (1...100_000).contains(bitrateKbps) else {
            throw .invalidConfiguration("bitrate \(bitrateKbps) kbps not in 1...100000")
        }
        self.codec = codec
        self.width = width
        self.height = height
        self.fps = fps
        self.bitrateKbps = bitrateKbps
        self.keyframeInterval = max(0, keyframeInterval)
        self.threads = min(max(1, threads), 16)
        self.allowsFrameDropping = allowFrameDropping
        self.initialWidth = width
        self.initialHeight = height
        self.context = UnsafeMutablePointer<vpx_codec_ctx_t>.allocate(capacity: 1)
        self.context.initialize(to: vpx_codec_ctx_t())
        try open()
    }

    deinit {
        if isOpen { vpx_codec_destroy(context) }
        context.deinitialize(count: 1)
        context.deallocate()
    }

    private static func validate(width: Int, height: Int) throws(VideoCodecError) {
        guard (2...16384).contains(width), (2...16384).contains(height) else {
            throw .invalidConfiguration("size \(width)x\(height) not in 2...16384")
        }
    }

    private var interface: OpaquePointer? {
        switch codec {
        case .vp8: vpx_codec_vp8_cx()
        case .vp9: vpx_codec_vp9_cx()
        }
    }

    private func open() throws(VideoCodecError) {
        var cfg = vpx_codec_enc_cfg_t()
        let status = vpx_codec_enc_config_default(interface, &cfg, 0)
        guard status == VPX_CODEC_OK else { throw .initializationFailed(VideoEncoder.describe(status)) }
        cfg.g_w = UInt32(width)
        cfg.g_h = UInt32(height)
        cfg.g_profile = 0
        cfg.g_threads = UInt32(threads)
        cfg.g_timebase = vpx_rational(num: 1, den: 90_000)
        cfg.g_pass = VPX_RC_ONE_PASS
        cfg.g_lag_in_frames = 0
        cfg.g_error_resilient = vpx_codec_er_flags_t(VPX_ERROR_RESILIENT_DEFAULT)
        cfg.rc_end_usage = VPX_CBR
        cfg.rc_target_bitrate = UInt32(bitrateKbps)
        cfg.rc_min_quantizer = 2
        cfg.rc_max_quantizer = codec == .vp8 ? 56 : 52
        cfg.rc_undershoot_pct = 100
        cfg.rc_overshoot_pct = 15
        cfg.rc_buf_initial_sz = UInt32(clamping: max(1, rateControlBufferMs.initial))
        cfg.rc_buf_optimal_sz = UInt32(clamping: max(1, rateControlBufferMs.optimal))
        cfg.rc_buf_sz = UInt32(clamping: max(1, rateControlBufferMs.size))
        cfg.rc_dropframe_thresh = allowsFrameDropping ? 30 : 0
        cfg.rc_resize_allowed = 0
        if keyframeInterval > 0 {
            cfg.kf_mode = VPX_KF_AUTO
            cfg.kf_min_dist = 0
            cfg.kf_max_dist = UInt32(keyframeInterval)
        } else {
            cfg.kf_mode = VPX_KF_DISABLED
        }
        let initStatus = loupe_vpx_enc_init(context, interface, &cfg, 0)
        guard initStatus == VPX_CODEC_OK else {
            let message = VideoEncoder.describe(initStatus, context: context)
            vpx_codec_destroy(context)
            throw .initializationFailed(message)
        }
        isOpen = true
        config = cfg
        try applySpeedControls()
    }

    private func applySpeedControls() throws(VideoCodecError) {
        var results: [vpx_codec_err_t] = []
        switch codec {
        case .vp8:
            results.append(loupe_vp8e_set_cpuused(context, -6))
            results.append(loupe_vp8e_set_noise_sensitivity(context, 0))
            results.append(loupe_vp8e_set_static_threshold(context, 1))
            results.append(loupe_vp8e_set_token_partitions(context, 0))
            // 0.5 × optimal buffer (ms) × fps / 10, as a percentage of the per-frame budget.
            results.append(loupe_vp8e_set_max_intra_bitrate_pct(context, UInt32(max(300, 30 * fps))))
        case .vp9:
            results.append(loupe_vp8e_set_cpuused(context, width * height > 640 * 480 ? 8 : 7))
            results.append(loupe_vp9e_set_aq_mode(context, 3))
            results.append(loupe_vp9e_set_noise_sensitivity(context, 0))
            results.append(loupe_vp9e_set_row_mt(context, threads > 1 ? 1 : 0))
            results.append(loupe_vp9e_set_tile_columns(context, Int32(VideoEncoder.log2(threads))))
            results.append(loupe_vp9e_set_frame_parallel_decoding(context, 0))
        }
        if let bad = results.first(where: { $0 != VPX_CODEC_OK }) {
            throw .initializationFailed(VideoEncoder.describe(bad, context: context))
        }
    }

    private static func log2(_ n: Int) -> Int {
        var k = 0
        while (1 << (k + 1)) <= n { k += 1 }
        return k
    }

    static func describe(_ status: vpx_codec_err_t,
                         context: UnsafeMutablePointer<vpx_codec_ctx_t>? = nil) -> String {
        var text = String(cString: vpx_codec_err_to_string(status))
        if let context, let detail = vpx_codec_error_detail(context) {
            text += ": " + String(cString: detail)
        }
        return text
    }

    private func applyConfig() throws(VideoCodecError) {
        let status = vpx_codec_enc_config_set(context, &config)
        guard status == VPX_CODEC_OK else {
            throw .configurationRejected(VideoEncoder.describe(status, context: context))
        }
    }

    /// Changes the target bitrate from the next frame on (`vpx_codec_enc_config_set`).
    public func setBitrate(kbps: Int) throws(VideoCodecError) {
        guard (1...100_000).contains(kbps) else {
            throw .invalidConfiguration("bitrate \(kbps) kbps not in 1...100000")
        }
        config.rc_target_bitrate = UInt32(kbps)
        try applyConfig()
        bitrateKbps = kbps
    }

    /// Changes the nominal frame rate (the duration given to each frame; libvpx's rate control
    /// otherwise follows the timestamps' spacing).
    public func setFrameRate(_ fps: Int) throws(VideoCodecError) {
        guard (1...240).contains(fps) else { throw .invalidConfiguration("fps \(fps) not in 1...240") }
        self.fps = fps
        if codec == .vp8 {
            _ = loupe_vp8e_set_max_intra_bitrate_pct(context, UInt32(max(300, 30 * fps)))
        }
    }

    /// Changes the coded size. Sizes up to the initial size are applied in place (VP9 rescales
    /// its references; VP8 restarts with a keyframe); anything larger re-initialises the encoder,
    /// whose next frame is then a keyframe.
    public func reconfigure(width: Int, height: Int) throws(VideoCodecError) {
        try VideoEncoder.validate(width: width, height: height)
        if width == self.width && height == self.height { return }
        // Growing past the initial size goes through a fresh context for both codecs: libvpx
        // 1.12's VP9 encoder does not reliably reallocate its buffers for it in place.
        let fitsInPlace = width <= initialWidth && height <= initialHeight
        if fitsInPlace {
            var cfg = config
            cfg.g_w = UInt32(width)
            cfg.g_h = UInt32(height)
            if vpx_codec_enc_config_set(context, &cfg) == VPX_CODEC_OK {
                config = cfg
                self.width = width
                self.height = height
                if codec == .vp8 { keyframePending = true }
                return
            }
        }
        // Re-initialise with the new size.
        let oldWidth = self.width, oldHeight = self.height
        vpx_codec_destroy(context)
        isOpen = false
        self.width = width
        self.height = height
        do {
            try open()
        } catch {
            self.width = oldWidth
            self.height = oldHeight
            throw error
        }
        initialWidth = width
        initialHeight = height
        lastPTS = nil
    }

    /// Encodes one frame. Returns the compressed frames libvpx emitted for it: normally one,
    /// none when rate control dropped it.
    public func encode(_ frame: I420Frame, forceKeyframe: Bool = false) throws(VideoCodecError) -> [EncodedFrame] {
        guard isOpen else { throw .encodeFailed("encoder is not open") }
        guard frame.width == width, frame.height == height else {
            throw .frameSizeMismatch(expectedWidth: width, expectedHeight: height,
                                     width: frame.width, height: frame.height)
        }
        let duration = Int64(max(1, 90_000 / fps))
        let pts: Int64
        if let lastPTS {
            let delta = Int64(Int32(bitPattern: frame.timestamp &- lastTimestamp))
            pts = lastPTS + max(1, delta)
        } else {
            pts = 0
        }
        let flags: vpx_enc_frame_flags_t = (forceKeyframe || keyframePending) ? 1 : 0  // VPX_EFLAG_FORCE_KF
        let status = VideoEncoder.withImage(frame) { image in
            vpx_codec_encode(context, image, vpx_codec_pts_t(pts), UInt(duration), flags,
                             UInt(1))  // VPX_DL_REALTIME
        }
        guard status == VPX_CODEC_OK else {
            throw .encodeFailed(VideoEncoder.describe(status, context: context))
        }
        lastPTS = pts
        lastTimestamp = frame.timestamp
        keyframePending = false
        var out: [EncodedFrame] = []
        var iterator: vpx_codec_iter_t? = nil
        while let packet = vpx_codec_get_cx_data(context, &iterator) {
            guard packet.pointee.kind == VPX_CODEC_CX_FRAME_PKT else { continue }
            let data = packet.pointee.data.frame
            guard let buffer = data.buf, data.sz > 0 else { continue }
            let bytes = [UInt8](UnsafeRawBufferPointer(start: buffer, count: data.sz))
            out.append(EncodedFrame(codec: codec, bytes: bytes,
                                    isKeyframe: data.flags & vpx_codec_frame_flags_t(VPX_FRAME_IS_KEY) != 0,
                                    rtpTimestamp: frame.timestamp, width: width, height: height))
        }
        return out
    }

    /// Calls `body` with a `vpx_image_t` pointing into the frame's planes (valid only inside).
    private static func withImage<R>(_ frame: I420Frame,
                                     _ body: (UnsafePointer<vpx_image_t>) -> R) -> R {
        frame.y.withUnsafeBufferPointer { y in
            frame.u.withUnsafeBufferPointer { u in
                frame.v.withUnsafeBufferPointer { v in
                    var image = vpx_image_t()
                    image.fmt = VPX_IMG_FMT_I420
                    image.bit_depth = 8
                    image.w = UInt32(frame.width)
                    image.h = UInt32(frame.height)
                    image.d_w = UInt32(frame.width)
                    image.d_h = UInt32(frame.height)
                    image.x_chroma_shift = 1
                    image.y_chroma_shift = 1
                    image.bps = 12
                    image.planes = (UnsafeMutablePointer(mutating: y.baseAddress),
                                    UnsafeMutablePointer(mutating: u.baseAddress),
                                    UnsafeMutablePointer(mutating: v.baseAddress), nil)
                    image.stride = (Int32(frame.strideY), Int32(frame.strideU), Int32(frame.strideV), 0)
                    return withUnsafePointer(to: &image) { body($0) }
                }
            }
        }
    }
}
