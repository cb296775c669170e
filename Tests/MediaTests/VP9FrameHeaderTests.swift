import Testing
@testable import Media

/// An uncompressed VP9 header written out bit by bit from the bitstream specification (§6.2).
struct VP9HeaderVector: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: String
    let check: @Sendable (VP9FrameHeader) -> Bool

    var testDescription: String { name }
}

let vp9HeaderVectors: [VP9HeaderVector] = [
    // 10 0 0 0 0 1 0 | 49 83 42 | cs 010 range 0 | 639 | 359 | render differs 0
    VP9HeaderVector(name: "profile 0 keyframe 640x360", bytes: "82 49 83 42 40 27 f0 16 70") {
        $0.profile == 0 && $0.isKeyframe && $0.showFrame && !$0.errorResilientMode && $0.bitDepth == 8
            && $0.colorSpace == 2 && $0.isFullRange == false && $0.subsamplingX == true && $0.subsamplingY == true
            && $0.width == 640 && $0.height == 360 && $0.renderWidth == 640 && $0.renderHeight == 360
    },
    // ... render differs 1 | 1279 | 719
    VP9HeaderVector(name: "keyframe with a different render size", bytes: "82 49 83 42 40 27 f0 16 78 27 f8 16 78") {
        $0.isKeyframe && $0.width == 640 && $0.height == 360 && $0.renderWidth == 1280 && $0.renderHeight == 720
    },
    // 10 0 0 0 1 0 0 | intra_only 1 | reset 00 | 49 83 42 | refresh 01 | 319 | 179 | 0
    VP9HeaderVector(name: "profile 0 intra-only 320x180", bytes: "84 89 30 68 40 20 27 e0 16 60") {
        !$0.isKeyframe && $0.isIntraOnly && !$0.showFrame && $0.bitDepth == 8 && $0.width == 320 && $0.height == 180
    },
    // 10 1 0 0 0 1 1 | sync | cs 001 range 1 ssx 0 ssy 0 reserved 0 | 1919 | 1079 | 0
    VP9HeaderVector(name: "profile 1 keyframe 4:4:4 1920x1080", bytes: "a3 49 83 42 30 0e fe 08 6e") {
        $0.profile == 1 && $0.isKeyframe && $0.errorResilientMode && $0.bitDepth == 8 && $0.colorSpace == 1
            && $0.isFullRange == true && $0.subsamplingX == false && $0.subsamplingY == false
            && $0.width == 1920 && $0.height == 1080
    },
    // 10 0 1 0 0 1 0 | sync | twelve 1 | cs 101 range 0 | 63 | 63 | 0
    VP9HeaderVector(name: "profile 2 keyframe 12-bit 64x64", bytes: "92 49 83 42 d0 01 f8 01 f8") {
        $0.profile == 2 && $0.bitDepth == 12 && $0.colorSpace == 5 && $0.width == 64 && $0.height == 64
    },
    // 10 1 1 reserved 0 | 0 0 1 0 | sync | ten 0 | cs 111 (RGB) reserved 0 | 15 | 7 | 0
    VP9HeaderVector(name: "profile 3 RGB keyframe 16x8", bytes: "b1 24 c1 a1 38 00 3c 00 1c") {
        $0.profile == 3 && $0.bitDepth == 10 && $0.colorSpace == 7 && $0.isFullRange == true
            && $0.subsamplingX == false && $0.width == 16 && $0.height == 8
    },
    // 10 0 0 1 | idx 101
    VP9HeaderVector(name: "show existing frame 5", bytes: "8d") {
        $0.showExistingFrame && $0.frameToShow == 5 && !$0.isKeyframe && $0.width == nil
    },
    // 10 0 0 0 1 1 0 | reset_frame_context 00
    VP9HeaderVector(name: "inter frame", bytes: "86 00") {
        !$0.isKeyframe && !$0.isIntraOnly && $0.showFrame && $0.width == nil && !$0.carriesSize
    },
    // 10 0 0 0 1 1 1: error resilient, so no reset_frame_context bits.
    VP9HeaderVector(name: "error-resilient inter frame in one octet", bytes: "87") {
        !$0.isKeyframe && $0.errorResilientMode
    },
]

/// Malformed headers and the error each must give.
let vp9HeaderErrors: [(String, VP9FrameHeaderParseError)] = [
    ("", .truncated),
    ("86", .truncated),                           // reset_frame_context cut off
    ("82 49 83", .truncated),                     // sync code cut off
    ("82 49 83 42 40 27 f0 16", .truncated),      // render flag cut off
    ("c2 49 83 42", .invalidFrameMarker(3)),
    ("02", .invalidFrameMarker(0)),
    ("82 49 83 43 40 27 f0 16 70", .invalidSyncCode(0x49_83_43)),
    ("82 49 83 42 e0 01 e0 00 e0", .rgbInProfile(0)),
    ("b9 00", .reservedBitSet),                   // profile 3 reserved_zero = 1
]

struct VP9FrameHeaderTests {
    @Test(arguments: vp9HeaderVectors)
    func parsesSpecificationLayouts(_ vector: VP9HeaderVector) throws {
        let header = try VP9FrameHeader.parse(hexBytes(vector.bytes))
        #expect(vector.check(header), "\(header)")
        // Trailing bytes are the compressed header and tiles: they change nothing.
        #expect(try VP9FrameHeader.parse(hexBytes(vector.bytes) + [0xFF, 0x00, 0x12]) == header)
    }

    @Test(arguments: vp9HeaderErrors)
    func rejectsBadHeaders(_ bytes: String, _ error: VP9FrameHeaderParseError) {
        #expect(throws: error) { try VP9FrameHeader.parse(hexBytes(bytes)) }
    }

    @Test func everyPrefixOfAKeyframeHeaderIsTruncated() {
        let bytes = hexBytes("82 49 83 42 40 27 f0 16 78 27 f8 16 78")
        for end in 0..<bytes.count {
            #expect(throws: VP9FrameHeaderParseError.truncated) { try VP9FrameHeader.parse(bytes[0..<end]) }
        }
    }

    /// A real keyframe and inter frame from libvpx, through the project's own encoder wrapper.
    @Test func libvpxFramesParse() throws {
        let scene = SyntheticScene(width: 640, height: 360)
        let encoder = try VideoEncoder(codec: .vp9, width: 640, height: 360, fps: 30, bitrateKbps: 800)
        let key = try #require(try encoder.encode(scene.frame(0)).first)
        #expect(key.isKeyframe)
        #expect(Array(key.bytes.prefix(4)) == hexBytes("83 49 83 42"))  // error resilient keyframe, then sync
        let header = try VP9FrameHeader.parse(key.bytes)
        #expect(header.profile == 0 && header.isKeyframe && header.showFrame && header.errorResilientMode)
        #expect(header.bitDepth == 8 && header.subsamplingX == true && header.subsamplingY == true)
        #expect(header.width == 640 && header.height == 360)
        #expect(header.renderWidth == 640 && header.renderHeight == 360)
        let delta = try #require(try encoder.encode(scene.frame(1)).first)
        let deltaHeader = try VP9FrameHeader.parse(delta.bytes)
        #expect(!deltaHeader.isKeyframe && !deltaHeader.isIntraOnly && deltaHeader.width == nil)
        // Forced keyframe after a resize carries the new size.
        try encoder.reconfigure(width: 320, height: 180)
        let small = try #require(try encoder.encode(SyntheticScene(width: 320, height: 180).frame(2),
                                                    forceKeyframe: true).first)
        let smallHeader = try VP9FrameHeader.parse(small.bytes)
        #expect(smallHeader.isKeyframe && smallHeader.width == 320 && smallHeader.height == 180)
    }
}
