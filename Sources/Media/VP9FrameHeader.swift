/// The start of the uncompressed header of a VP9 frame (VP9 Bitstream Specification v0.6,
/// §6.2 `uncompressed_header`, §6.2.1 `frame_sync_code`, §6.2.2 `color_config`, §6.2.3–6.2.5
/// frame and render size), read as far as keyframe and intra-only frames carry their picture size.
///
/// ```
/// frame_marker(2) = 2, profile_low_bit(1), profile_high_bit(1), [reserved_zero(1) if profile 3]
/// show_existing_frame(1) → frame_to_show_map_idx(3), end
/// frame_type(1) (0 = KEY_FRAME), show_frame(1), error_resilient_mode(1)
/// keyframe: sync code 0x49 0x83 0x42, color_config, frame_width_minus_1(16),
///           frame_height_minus_1(16), render_and_frame_size_different(1) [+ 2×16]
/// otherwise: intra_only(1) if !show_frame, reset_frame_context(2) if !error_resilient_mode;
///            intra-only: sync code, color_config (profile > 0), refresh_frame_flags(8), sizes
/// ```
/// Bits are read most significant first.
public struct VP9FrameHeader: Sendable, Hashable {
    /// Profile 0–3 (Loupe decodes profile 0: 8-bit 4:2:0).
    public var profile: UInt8
    /// The frame only re-shows an earlier decoded frame (no picture data follows the header).
    public var showExistingFrame: Bool
    /// With `showExistingFrame`: the reference slot shown (0–7).
    public var frameToShow: UInt8?
    /// frame_type = KEY_FRAME: decodes without any reference and resets them all.
    public var isKeyframe: Bool
    public var showFrame: Bool
    public var errorResilientMode: Bool
    /// A non-key frame coded without inter prediction (it still keeps the other references).
    public var isIntraOnly: Bool
    /// Keyframes and intra-only frames: 8, 10 or 12.
    public var bitDepth: Int?
    /// Keyframes (and intra-only frames of profile > 0): color_space, 0–7 (7 = RGB).
    public var colorSpace: UInt8?
    /// color_range: true for full-range samples.
    public var isFullRange: Bool?
    /// Chroma subsampling (true = halved); profile 0 is always 4:2:0.
    public var subsamplingX: Bool?
    public var subsamplingY: Bool?
    /// Keyframes and intra-only frames: the coded picture size in pixels (1–65536).
    public var width: Int?
    public var height: Int?
    /// The size the picture is meant to be displayed at; equal to width/height unless signalled.
    public var renderWidth: Int?
    public var renderHeight: Int?

    /// frame_sync_code (§6.2.1).
    public static let syncCode: [UInt8] = [0x49, 0x83, 0x42]
    /// color_space value for RGB (§7.2.2 CS_RGB), allowed only in profiles 1 and 3.
    public static let rgbColorSpace: UInt8 = 7

    /// True when the header gives a picture size (keyframes and intra-only frames).
    public var carriesSize: Bool { width != nil }

    /// Parses the uncompressed header at the start of `bytes` (a whole frame, the first frame of
    /// a superframe, or just the first packet's payload data).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(VP9FrameHeaderParseError) -> VP9FrameHeader {
        var bits = BitReader(bytes: bytes)
        let marker = try bits.read(2)
        guard marker == 2 else { throw .invalidFrameMarker(UInt8(marker)) }
        let low = try bits.read(1), high = try bits.read(1)
        let profile = UInt8(high << 1 | low)
        if profile == 3, try bits.read(1) != 0 { throw .reservedBitSet }
        var header = VP9FrameHeader(profile: profile, showExistingFrame: false, frameToShow: nil,
                                    isKeyframe: false, showFrame: false, errorResilientMode: false,
                                    isIntraOnly: false)
        if try bits.flag() {
            header.showExistingFrame = true
            header.frameToShow = UInt8(try bits.read(3))
            header.showFrame = true
            return header
        }
        header.isKeyframe = try bits.read(1) == 0
        header.showFrame = try bits.flag()
        header.errorResilientMode = try bits.flag()
        if header.isKeyframe {
            try readSyncCode(&bits)
            try header.readColorConfig(&bits)
            try header.readSizes(&bits)
            return header
        }
        if !header.showFrame { header.isIntraOnly = try bits.flag() }
        if !header.errorResilientMode { _ = try bits.read(2) }  // reset_frame_context
        guard header.isIntraOnly else { return header }
        try readSyncCode(&bits)
        if profile > 0 {
            try header.readColorConfig(&bits)
        } else {
            header.bitDepth = 8
            header.colorSpace = 1  // CS_BT_601, implied for profile 0 intra-only frames
            header.isFullRange = false
            header.subsamplingX = true
            header.subsamplingY = true
        }
        _ = try bits.read(8)  // refresh_frame_flags
        try header.readSizes(&bits)
        return header
    }

    public static func parse(_ bytes: [UInt8]) throws(VP9FrameHeaderParseError) -> VP9FrameHeader {
        try parse(bytes[...])
    }

    private static func readSyncCode(_ bits: inout BitReader) throws(VP9FrameHeaderParseError) {
        let code = try bits.read(24)
        guard code == 0x49_83_42 else { throw .invalidSyncCode(UInt32(code)) }
    }

    /// color_config (§6.2.2).
    private mutating func readColorConfig(_ bits: inout BitReader) throws(VP9FrameHeaderParseError) {
        if profile >= 2 {
            bitDepth = try bits.flag() ? 12 : 10
        } else {
            bitDepth = 8
        }
        let space = UInt8(try bits.read(3))
        colorSpace = space
        if space != Self.rgbColorSpace {
            isFullRange = try bits.flag()
            if profile == 1 || profile == 3 {
                subsamplingX = try bits.flag()
                subsamplingY = try bits.flag()
                if try bits.read(1) != 0 { throw .reservedBitSet }
            } else {
                subsamplingX = true
                subsamplingY = true
            }
        } else {
            isFullRange = true
            guard profile == 1 || profile == 3 else { throw .rgbInProfile(profile) }
            subsamplingX = false
            subsamplingY = false
            if try bits.read(1) != 0 { throw .reservedBitSet }
        }
    }

    /// frame_size and render_size (§6.2.3, §6.2.5).
    private mutating func readSizes(_ bits: inout BitReader) throws(VP9FrameHeaderParseError) {
        width = Int(try bits.read(16)) + 1
        height = Int(try bits.read(16)) + 1
        if try bits.flag() {
            renderWidth = Int(try bits.read(16)) + 1
            renderHeight = Int(try bits.read(16)) + 1
        } else {
            renderWidth = width
            renderHeight = height
        }
    }
}

/// Reads bits most significant first from a byte slice; running out throws `.truncated`.
private struct BitReader {
    let bytes: ArraySlice<UInt8>
    var position = 0  // in bits from bytes.startIndex

    init(bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    /// Reads `count` (at most 32) bits.
    mutating func read(_ count: Int) throws(VP9FrameHeaderParseError) -> UInt64 {
        guard count <= bytes.count * 8 - position else { throw .truncated }
        var value: UInt64 = 0
        for _ in 0..<count {
            let byte = bytes[bytes.startIndex + position / 8]
            value = value << 1 | UInt64((byte >> (7 - UInt8(position % 8))) & 1)
            position += 1
        }
        return value
    }

    mutating func flag() throws(VP9FrameHeaderParseError) -> Bool { try read(1) == 1 }
}

/// Why a VP9 uncompressed frame header could not be parsed.
public enum VP9FrameHeaderParseError: Error, Sendable, Hashable {
    /// The bytes end inside the fields read.
    case truncated
    /// frame_marker is not 2 (the value found is given).
    case invalidFrameMarker(UInt8)
    /// A reserved_zero bit is 1.
    case reservedBitSet
    /// A keyframe or intra-only frame whose frame_sync_code is not 0x49 0x83 0x42.
    case invalidSyncCode(UInt32)
    /// color_space RGB in profile 0 or 2, which the specification forbids.
    case rgbInProfile(UInt8)
}
