import Testing
import RTP

/// V=2 P=1 X=1 CC=2, M=1 PT=96, seq 0x1234, ts 0xDEADBEEF, SSRC 0x11223344, two CSRCs,
/// a one-byte extension block (ID 1: AA BB, ID 3: abs-send-time 0x123456, one pad byte),
/// payload CA FE and 3 padding bytes.
let rtpWithCSRCsExtensionPadding = hex("""
    B2 E0 12 34  DE AD BE EF  11 22 33 44
    AA AA AA AA  BB BB BB BB
    BE DE 00 02  11 AA BB 32  12 34 56 00
    CA FE 00 00 03
    """)

@Suite struct RTPPacketTests {
    @Test func parsesCSRCsOneByteExtensionAndPadding() throws {
        let packet = try RTPPacket.parse(rtpWithCSRCsExtensionPadding)
        #expect(packet.header.marker)
        #expect(packet.header.payloadType == 96)
        #expect(packet.header.sequenceNumber == 0x1234)
        #expect(packet.header.timestamp == 0xDEAD_BEEF)
        #expect(packet.header.ssrc == 0x1122_3344)
        #expect(packet.header.csrcs == [0xAAAA_AAAA, 0xBBBB_BBBB])
        #expect(packet.header.headerExtension?.form == .oneByte)
        #expect(packet.header.extensionElement(id: 1) == [0xAA, 0xBB])
        let absSendTime = try AbsSendTime(parsing: try #require(packet.header.extensionElement(id: 3)))
        #expect(absSendTime.rawValue == 0x12_3456)
        #expect(packet.header.extensionElement(id: 2) == nil)
        #expect(packet.payload == [0xCA, 0xFE])
        #expect(packet.paddingLength == 3)
        #expect(packet.header.size == 32)
        #expect(packet.size == rtpWithCSRCsExtensionPadding.count)
        #expect(packet.serialize() == rtpWithCSRCsExtensionPadding)
    }

    @Test func viewLocatesPayloadWithoutCopying() throws {
        let view = try RTPPacketView.parse(rtpWithCSRCsExtensionPadding)
        #expect(view.payloadRange == 32..<34)
        #expect(view.paddingLength == 3)
        #expect(view.header.ssrc == 0x1122_3344)
    }

    @Test func minimalPacketBuiltFromFields() {
        let header = RTPHeader(payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3)
        let packet = RTPPacket(header: header, payload: [0x01])
        #expect(packet.serialize() == hex("80 6F 00 01 00 00 00 02 00 00 00 03 01"))
    }

    @Test func rewritesForwardingFieldsInPlace() throws {
        var bytes = rtpWithCSRCsExtensionPadding
        let rewritten = RTPPacket.rewrite(&bytes, ssrc: 0xCAFE_BABE, sequenceNumber: 0xFFFF, timestamp: 7,
                                          payloadType: 100)
        #expect(rewritten)
        let packet = try RTPPacket.parse(bytes)
        #expect(packet.header.ssrc == 0xCAFE_BABE)
        #expect(packet.header.sequenceNumber == 0xFFFF)
        #expect(packet.header.timestamp == 7)
        #expect(packet.header.payloadType == 100)
        #expect(packet.header.marker)
        #expect(packet.payload == [0xCA, 0xFE])
        #expect(Array(bytes[12...]) == Array(rtpWithCSRCsExtensionPadding[12...]))

        var short = hex("80 60 00 01 00 00 00 02 00 00 00")
        let rewroteShort = RTPPacket.rewrite(&short, ssrc: 1)
        #expect(!rewroteShort)
        #expect(short == hex("80 60 00 01 00 00 00 02 00 00 00"))
    }

    @Test func everyPrefixThrows() {
        for length in 0..<rtpWithCSRCsExtensionPadding.count {
            let prefix = Array(rtpWithCSRCsExtensionPadding.prefix(length))
            #expect(throws: RTPParseError.self) { try RTPPacket.parse(prefix) }
        }
    }

    @Test func shortHeader() {
        #expect(throws: RTPParseError.truncatedHeader(length: 11)) {
            try RTPPacket.parse(hex("80 60 00 01 00 00 00 02 00 00 00"))
        }
    }

    @Test func wrongVersion() {
        #expect(throws: RTPParseError.unsupportedVersion(1)) {
            try RTPPacket.parse(hex("40 60 00 01 00 00 00 02 00 00 00 03"))
        }
        #expect(throws: RTPParseError.unsupportedVersion(3)) {
            try RTPPacket.parse(hex("C0 60 00 01 00 00 00 02 00 00 00 03"))
        }
    }

    @Test func csrcCountBeyondData() {
        #expect(throws: RTPParseError.truncatedCSRCList(csrcCount: 3, available: 4)) {
            try RTPPacket.parse(hex("83 60 00 01 00 00 00 02 00 00 00 03 AA AA AA AA"))
        }
    }

    @Test func extensionLengthBeyondData() {
        #expect(throws: RTPParseError.truncatedExtension(declared: 8, available: 4)) {
            try RTPPacket.parse(hex("90 60 00 01 00 00 00 02 00 00 00 03 BE DE 00 02 10 AA 00 00"))
        }
        #expect(throws: RTPParseError.truncatedExtension(declared: 4, available: 2)) {
            try RTPPacket.parse(hex("90 60 00 01 00 00 00 02 00 00 00 03 BE DE"))
        }
    }

    @Test func paddingLongerThanPacket() {
        #expect(throws: RTPParseError.invalidPadding(paddingLength: 5, available: 2)) {
            try RTPPacket.parse(hex("A0 60 00 01 00 00 00 02 00 00 00 03 00 05"))
        }
        #expect(throws: RTPParseError.invalidPadding(paddingLength: 0, available: 2)) {
            try RTPPacket.parse(hex("A0 60 00 01 00 00 00 02 00 00 00 03 CA 00"))
        }
        #expect(throws: RTPParseError.invalidPadding(paddingLength: 0, available: 0)) {
            try RTPPacket.parse(hex("A0 60 00 01 00 00 00 02 00 00 00 03"))
        }
    }

    @Test func paddingOnlyPacketHasEmptyPayload() throws {
        let packet = try RTPPacket.parse(hex("A0 60 00 01 00 00 00 02 00 00 00 03 00 00 00 04"))
        #expect(packet.payload.isEmpty)
        #expect(packet.paddingLength == 4)
    }
}
