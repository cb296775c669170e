/// The video codecs Loupe encodes and decodes through libvpx.
public enum VideoCodec: String, Sendable, Hashable, CaseIterable {
    /// VP8 (RFC 6386).
    case vp8
    /// VP9, profile 0 (8-bit 4:2:0).
    case vp9
}

/// One compressed frame as produced by `VideoEncoder`, ready for an RTP packetizer.
public struct EncodedFrame: Sendable, Hashable {
    public var codec: VideoCodec
    /// The frame's bitstream (for VP8: the whole frame, RFC 6386 §9).
    public var bytes: [UInt8]
    /// True when the frame decodes without any reference frame.
    public var isKeyframe: Bool
    /// Timestamp in the 90 kHz RTP video clock (RFC 3551 §4.5), copied from the input frame.
    public var rtpTimestamp: UInt32
    /// The coded picture size.
    public var width: Int
    public var height: Int

    public init(codec: VideoCodec, bytes: [UInt8], isKeyframe: Bool, rtpTimestamp: UInt32,
                width: Int, height: Int) {
        self.codec = codec
        self.bytes = bytes
        self.isKeyframe = isKeyframe
        self.rtpTimestamp = rtpTimestamp
        self.width = width
        self.height = height
    }
}

/// Why a libvpx encoder or decoder call failed. The string is libvpx's own message.
public enum VideoCodecError: Error, Sendable, Hashable {
    /// Width, height, frame rate or bitrate out of range (message says which).
    case invalidConfiguration(String)
    /// `vpx_codec_enc_init` / `vpx_codec_dec_init` failed.
    case initializationFailed(String)
    /// The encoder refused a new configuration (`vpx_codec_enc_config_set`).
    case configurationRejected(String)
    /// The input frame's size differs from the encoder's configured size.
    case frameSizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// `vpx_codec_encode` failed.
    case encodeFailed(String)
    /// The bitstream was empty.
    case emptyInput
    /// `vpx_codec_decode` rejected the bitstream (corrupt, truncated or unsupported).
    case decodeFailed(String)
    /// The decoder produced a picture that is not 8-bit I420 (e.g. a VP9 profile 1–3 stream).
    case unsupportedImageFormat(UInt32)
    /// The decoder produced a picture whose planes or strides are inconsistent with its size.
    case invalidDecodedImage
}
