/// The uncompressed header at the start of every VP8 frame (RFC 6386 §9.1), which is also the
/// "VP8 payload header" of the first RTP packet of a frame (RFC 7741 §4.3).
///
/// ```
///  0 1 2 3 4 5 6 7
/// +-+-+-+-+-+-+-+-+
/// |Size0|H| VER |P|   P = 0: keyframe; H: show_frame; VER: version
/// +-+-+-+-+-+-+-+-+
/// |     Size1     |   first partition size = Size0 + 8·Size1 + 2048·Size2
/// +-+-+-+-+-+-+-+-+
/// |     Size2     |
/// +-+-+-+-+-+-+-+-+
/// keyframes only: 9d 01 2a, then 2 bytes each (little endian) of
/// 14-bit width + 2-bit horizontal scale, 14-bit height + 2-bit vertical scale
/// ```
public struct VP8FrameHeader: Sendable, Hashable {
    public var isKeyframe: Bool
    /// Decoding complexity profile, 0–3.
    public var version: UInt8
    public var showFrame: Bool
    /// Size in bytes of the first partition (19 bits).
    public var firstPartitionSize: Int
    /// Keyframes only: picture width and height in pixels (14 bits each) and the 2-bit scaling codes.
    public var width: Int?
    public var height: Int?
    public var horizontalScale: UInt8?
    public var verticalScale: UInt8?

    /// The keyframe start code (RFC 6386 §9.1).
    public static let startCode: [UInt8] = [0x9D, 0x01, 0x2A]

    /// Parses the frame header at the start of `bytes` (a whole frame, or the first packet's data).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(VP8FrameHeaderParseError) -> VP8FrameHeader {
        let s = bytes.startIndex
        guard bytes.count >= 3 else { throw .truncated }
        let b0 = bytes[s], b1 = bytes[s + 1], b2 = bytes[s + 2]
        let tag = UInt32(b0) | UInt32(b1) << 8 | UInt32(b2) << 16
        let version = (b0 >> 1) & 0x07
        guard version <= 3 else { throw .unsupportedVersion(version) }
        var header = VP8FrameHeader(isKeyframe: b0 & 0x01 == 0, version: version,
                                    showFrame: b0 & 0x10 != 0, firstPartitionSize: Int(tag >> 5))
        guard header.isKeyframe else { return header }
        guard bytes.count >= 10 else { throw .truncatedKeyframeHeader }
        guard bytes[s + 3] == 0x9D, bytes[s + 4] == 0x01, bytes[s + 5] == 0x2A else { throw .badStartCode }
        let w = UInt16(bytes[s + 6]) | UInt16(bytes[s + 7]) << 8
        let h = UInt16(bytes[s + 8]) | UInt16(bytes[s + 9]) << 8
        header.width = Int(w & 0x3FFF)
        header.height = Int(h & 0x3FFF)
        header.horizontalScale = UInt8(truncatingIfNeeded: w >> 14)
        header.verticalScale = UInt8(truncatingIfNeeded: h >> 14)
        guard header.width != 0, header.height != 0 else { throw .zeroDimension }
        return header
    }

    public static func parse(_ bytes: [UInt8]) throws(VP8FrameHeaderParseError) -> VP8FrameHeader {
        try parse(bytes[...])
    }
}

/// Why a VP8 frame header (RFC 6386 §9.1) could not be parsed.
public enum VP8FrameHeaderParseError: Error, Sendable, Hashable {
    /// Fewer than the 3 bytes of the frame tag.
    case truncated
    /// VER above 3 (reserved).
    case unsupportedVersion(UInt8)
    /// A keyframe shorter than the 10 bytes of tag, start code and dimensions.
    case truncatedKeyframeHeader
    /// A keyframe whose start code is not 9d 01 2a.
    case badStartCode
    /// A keyframe declaring a width or height of 0.
    case zeroDimension
}
