import Testing
import RTP

@Suite struct SequenceNumberUnwrapperTests {
    @Test func forwardWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect([65534, 65535, 0, 1].map { unwrapper.unwrap($0) } == [65534, 65535, 65536, 65537])
    }

    @Test func backwardWrapGoesNegative() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect(unwrapper.unwrap(1) == 1)
        #expect(unwrapper.unwrap(65535) == -1)
        #expect(unwrapper.unwrap(2) == 2)
    }

    @Test func reorderingAcrossWrap() {
        var unwrapper = SequenceNumberUnwrapper()
        #expect([65535, 1, 0, 2, 65534].map { unwrapper.unwrap($0) } == [65535, 65537, 65536, 65538, 65534])
    }

    @Test func manyWraps() {
        var unwrapper = SequenceNumberUnwrapper()
        var seq: UInt16 = 60000
        var last: Int64 = 0
        for _ in 0..<300_000 / 1000 {
            seq &+= 1000
            last = unwrapper.unwrap(seq)
        }
        #expect(last == 60000 + 300_000)
    }

    @Test func peekWithoutUpdating() {
        var unwrapper = SequenceNumberUnwrapper()
        _ = unwrapper.unwrap(100)
        #expect(unwrapper.unwrap(200, updating: false) == 200)
        #expect(unwrapper.last == 100)
    }

    @Test(arguments: [
        (UInt16(1), UInt16(0), true), (0, 65535, true), (65535, 0, false), (0x8000, 0, true),
        (0, 0x8000, false), (5, 5, false), (0x7FFF, 0, true), (0x8001, 0, false),
    ])
    func isNewer(a: UInt16, b: UInt16, expected: Bool) {
        #expect(SequenceNumberUnwrapper.isNewer(a, than: b) == expected)
    }

    @Test func halfSpaceJumpsFollowIsNewer() {
        var unwrapper = SequenceNumberUnwrapper()
        _ = unwrapper.unwrap(0)
        #expect(unwrapper.unwrap(0x8000) == 0x8000)
        var other = SequenceNumberUnwrapper()
        _ = other.unwrap(0x8000)
        // 0 is not newer than 0x8000 (ties go to the larger value), so it lands behind.
        #expect(other.unwrap(0) == 0)
    }

    @Test func timestampsWrapBothWays() {
        var unwrapper = TimestampUnwrapper()
        #expect(unwrapper.unwrap(0xFFFF_FF00) == 0xFFFF_FF00)
        #expect(unwrapper.unwrap(0x100) == 0x1_0000_0100)
        #expect(unwrapper.unwrap(0xFFFF_FFF0) == 0xFFFF_FFF0)
        #expect(TimestampUnwrapper.isNewer(0x10, than: 0xFFFF_FFF0))
        #expect(!TimestampUnwrapper.isNewer(0xFFFF_FFF0, than: 0x10))
        var backwards = TimestampUnwrapper()
        _ = backwards.unwrap(10)
        #expect(backwards.unwrap(0xFFFF_FFFF) == -1)
    }
}

@Suite struct DatagramClassTests {
    @Test(arguments: [
        ("00 01 00 00", DatagramClass.stun), ("03", .stun), ("10", .zrtp), ("13", .zrtp),
        ("14 FE FD", .dtls), ("16 FE FD", .dtls), ("3F", .dtls), ("40 00", .turnChannel), ("4F", .turnChannel),
        ("80 60", .rtp), ("80 E0", .rtp), ("80 BF", .rtp), ("BF E0", .rtp), ("80 C8", .rtcp), ("81 C9", .rtcp),
        ("8F CE", .rtcp), ("80 DF", .rtcp), ("80 C0", .rtcp), ("80", .unknown), ("", .unknown),
        ("04", .unknown), ("0F", .unknown), ("50", .unknown), ("7F", .unknown), ("C0 60", .unknown), ("FF", .unknown),
    ])
    func classifiesFirstByte(bytes: String, expected: DatagramClass) {
        #expect(DatagramClass.classify(hex(bytes)) == expected)
    }

    @Test func realPacketsClassify() {
        #expect(DatagramClass.classify(rtpWithCSRCsExtensionPadding) == .rtp)
        #expect(DatagramClass.classify(senderReportOneBlock) == .rtcp)
        #expect(DatagramClass.classify(transportFeedbackMixedChunks) == .rtcp)
    }
}
