import Testing
import RTP

/// SR (RFC 3550 §6.4.1) with one report block: fraction lost 25/256, 3 lost, extended highest
/// seq 0x000146D2, jitter 381, LSR 0xD1FCDDDD, DLSR 1 s.
let senderReportOneBlock = hex("""
    81 C8 00 0C  90 2F 9E 2E
    DA 8B D1 FC  DD DD A0 5A  AA F4 ED D5  00 00 00 01  00 00 00 02
    BC 5E 9A 40  19 00 00 03  00 01 46 D2  00 00 01 7D  D1 FC DD DD  00 01 00 00
    """)

/// RR (RFC 3550 §6.4.2) with one block whose cumulative lost is −1 (0xFFFFFF).
let receiverReportNegativeLoss = hex("""
    81 C9 00 07  00 00 00 01
    00 00 00 02  00 FF FF FF  00 00 FF FF  00 00 00 00  00 00 00 00  00 00 00 00
    """)

/// SDES (RFC 3550 §6.5) with one chunk: CNAME "4TOk42mSjXCkVIa6", null terminator + 1 pad.
let sdesCNAME = hex("""
    81 CA 00 06  90 2F 9E 2E  01 10 34 54  4F 6B 34 32  6D 53 6A 58  43 6B 56 49  61 36 00 00
    """)

@Suite struct RTCPReportTests {
    @Test func senderReportWithOneBlock() throws {
        let sr = try SenderReport.parse(senderReportOneBlock)
        #expect(sr.ssrc == 0x902F_9E2E)
        #expect(sr.ntpTimestamp == 0xDA8B_D1FC_DDDD_A05A)
        #expect(sr.rtpTimestamp == 0xAAF4_EDD5)
        #expect(sr.packetCount == 1)
        #expect(sr.octetCount == 2)
        #expect(sr.reports == [ReceptionReport(
            ssrc: 0xBC5E_9A40, fractionLost: 25, cumulativeLost: 3, extendedHighestSequenceNumber: 0x0001_46D2,
            jitter: 381, lastSenderReport: 0xD1FC_DDDD, delaySinceLastSenderReport: 0x0001_0000)])
        #expect(sr.profileExtension.isEmpty)
        #expect(sr.size == senderReportOneBlock.count)
        #expect(sr.serialize() == senderReportOneBlock)
        #expect(try RTCPPacket.parse(senderReportOneBlock) == .senderReport(sr))
    }

    @Test func receiverReportNegativeCumulativeLost() throws {
        let rr = try ReceiverReport.parse(receiverReportNegativeLoss)
        #expect(rr.ssrc == 1)
        #expect(rr.reports.first?.cumulativeLost == -1)
        #expect(rr.reports.first?.extendedHighestSequenceNumber == 0xFFFF)
        #expect(rr.serialize() == receiverReportNegativeLoss)
    }

    @Test(arguments: [
        (Int32(-8_388_608), "80 00 00"), (Int32(8_388_607), "7F FF FF"), (Int32(-2), "FF FF FE"),
        (Int32(-9_000_000), "80 00 00"), (Int32(9_000_000), "7F FF FF"),
    ])
    func cumulativeLostIsSigned24Bit(value: Int32, wire: String) throws {
        let rr = ReceiverReport(ssrc: 1, reports: [ReceptionReport(ssrc: 2, cumulativeLost: value)])
        let bytes = rr.serialize()
        #expect(Array(bytes[13..<16]) == hex(wire))
        let clamped = max(-8_388_608, min(8_388_607, value))
        #expect(try ReceiverReport.parse(bytes).reports.first?.cumulativeLost == clamped)
    }

    @Test func emptyReceiverReport() throws {
        let rr = try ReceiverReport.parse(hex("80 C9 00 01 00 00 00 05"))
        #expect(rr == ReceiverReport(ssrc: 5))
    }

    @Test func reportCountBeyondBody() {
        // RC=1 but only the sender info is present.
        #expect(throws: RTCPParseError.countMismatch(packetType: 200, count: 1)) {
            try SenderReport.parse(hex("81 C8 00 06 90 2F 9E 2E DA 8B D1 FC DD DD A0 5A AA F4 ED D5 00 00 00 01 00 00 00 02"))
        }
    }

    @Test func senderInfoTruncated() {
        #expect(throws: RTCPParseError.truncatedBody(packetType: 200, length: 20)) {
            try SenderReport.parse(hex("80 C8 00 05 90 2F 9E 2E DA 8B D1 FC DD DD A0 5A AA F4 ED D5 00 00 00 01"))
        }
        #expect(throws: RTCPParseError.truncatedBody(packetType: 201, length: 0)) {
            try ReceiverReport.parse(hex("80 C9 00 00"))
        }
    }

    @Test func sdesWithOneCNAME() throws {
        let sdes = try SourceDescription.parse(sdesCNAME)
        #expect(sdes.chunks.count == 1)
        #expect(sdes.chunks.first?.source == 0x902F_9E2E)
        #expect(sdes.chunks.first?.cname == "4TOk42mSjXCkVIa6")
        #expect(SourceDescription(source: 0x902F_9E2E, cname: "4TOk42mSjXCkVIa6").serialize() == sdesCNAME)
    }

    @Test func sdesTwoChunksWithSeveralItems() throws {
        let bytes = hex("82 CA 00 05  00 00 00 01  01 01 61 00  00 00 00 02  02 02 62 63  07 00 00 00")
        let sdes = try SourceDescription.parse(bytes)
        #expect(sdes.chunks == [
            SDESChunk(source: 1, items: [SDESItem(type: .cname, text: "a")]),
            SDESChunk(source: 2, items: [SDESItem(type: .name, text: "bc"), SDESItem(type: .note, value: [])]),
        ])
        #expect(sdes.serialize() == bytes)
    }

    @Test func sdesAlignedItemsNeedAFullNullWord() throws {
        let bytes = hex("81 CA 00 03  00 00 00 05  01 02 68 69  00 00 00 00")
        let sdes = try SourceDescription.parse(bytes)
        #expect(sdes.chunks.first?.cname == "hi")
        #expect(sdes.serialize() == bytes)
    }

    @Test func sdesMalformed() {
        #expect(throws: RTCPParseError.malformedSDESChunk(index: 0)) {
            try SourceDescription.parse(hex("81 CA 00 02  00 00 00 05  01 02 68 69"))
        }
        #expect(throws: RTCPParseError.malformedSDESChunk(index: 0)) {
            try SourceDescription.parse(hex("81 CA 00 02  00 00 00 05  01 09 68 69"))
        }
        #expect(throws: RTCPParseError.countMismatch(packetType: 202, count: 2)) {
            try SourceDescription.parse(hex("82 CA 00 02  00 00 00 05  01 01 68 00"))
        }
        #expect(throws: RTCPParseError.unexpectedBytes(packetType: 202, count: 4)) {
            try SourceDescription.parse(hex("81 CA 00 03  00 00 00 05  01 01 68 00  00 00 00 09"))
        }
    }

    @Test func byeWithAndWithoutReason() throws {
        let plain = hex("81 CB 00 01  90 2F 9E 2E")
        #expect(try Goodbye.parse(plain) == Goodbye(sources: [0x902F_9E2E]))
        let aligned = hex("81 CB 00 02  90 2F 9E 2E  03 62 79 65")
        #expect(try Goodbye.parse(aligned) == Goodbye(sources: [0x902F_9E2E], reason: "bye"))
        let padded = hex("82 CB 00 03  00 00 00 01  00 00 00 02  02 6F 6B 00")
        let bye = try Goodbye.parse(padded)
        #expect(bye == Goodbye(sources: [1, 2], reason: "ok"))
        #expect(bye.serialize() == padded)
        #expect(Goodbye(sources: [0x902F_9E2E], reason: "bye").serialize() == aligned)
    }

    @Test func byeMalformed() {
        #expect(throws: RTCPParseError.truncatedByeReason) {
            try Goodbye.parse(hex("81 CB 00 02  90 2F 9E 2E  0A 62 79 65"))
        }
        #expect(throws: RTCPParseError.countMismatch(packetType: 203, count: 2)) {
            try Goodbye.parse(hex("82 CB 00 01  90 2F 9E 2E"))
        }
        #expect(throws: RTCPParseError.unexpectedBytes(packetType: 203, count: 6)) {
            try Goodbye.parse(hex("81 CB 00 03  90 2F 9E 2E  01 62 00 00  00 00 00 00"))
        }
    }
}
