import Testing
import RTP

/// Generic NACK (RFC 4585 §6.2.1): PID 100, BLP 0x0005 (101 and 103 lost too).
let genericNACK = hex("81 CD 00 03  00 00 00 01  12 34 56 78  00 64 00 05")
/// PLI (RFC 4585 §6.3.1).
let pictureLossIndication = hex("81 CE 00 02  00 00 00 01  12 34 56 78")
/// FIR (RFC 5104 §4.3.1): media SSRC 0, one entry for 0x12345678 with seq nr 42.
let fullIntraRequest = hex("84 CE 00 04  00 00 00 01  00 00 00 00  12 34 56 78  2A 00 00 00")
/// REMB (draft-alvestrand-rmcat-remb-03): 1 000 000 bps = 250 000 · 2^2, one SSRC.
let rembOneMegabit = hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 42  01 0B D0 90  12 34 56 78")

@Suite struct RTCPFeedbackTests {
    @Test func nackExpandsPIDAndBLP() throws {
        let nack = try GenericNACK.parse(genericNACK)
        #expect(nack.senderSSRC == 1)
        #expect(nack.mediaSSRC == 0x1234_5678)
        #expect(nack.entries == [NACKEntry(packetID: 100, lostBitmask: 5)])
        #expect(nack.sequenceNumbers == [100, 101, 103])
        #expect(nack.serialize() == genericNACK)
    }

    @Test func nackBitmaskAcrossWraparound() throws {
        let bytes = hex("81 CD 00 03  00 00 00 01  12 34 56 78  FF FE 00 07")
        let nack = try GenericNACK.parse(bytes)
        #expect(nack.sequenceNumbers == [65534, 65535, 0, 1])
    }

    @Test func nackSeveralEntriesSortedAcrossWrap() throws {
        let bytes = hex("81 CD 00 04  00 00 00 01  12 34 56 78  00 02 00 00  FF FF 00 01")
        #expect(try GenericNACK.parse(bytes).sequenceNumbers == [65535, 0, 2])
    }

    @Test func minimalFCIFromSequenceNumbers() {
        #expect(GenericNACK.entries(for: [1, 65535, 0, 65534, 20, 40, 1]) == [
            NACKEntry(packetID: 65534, lostBitmask: 0x0007),
            NACKEntry(packetID: 20, lostBitmask: 0),
            NACKEntry(packetID: 40, lostBitmask: 0),
        ])
        #expect(GenericNACK.entries(for: [10, 26]) == [NACKEntry(packetID: 10, lostBitmask: 0x8000)])
        #expect(GenericNACK.entries(for: [10, 27]) == [NACKEntry(packetID: 10), NACKEntry(packetID: 27)])
        #expect(GenericNACK.entries(for: []) == [])
        let nack = GenericNACK(senderSSRC: 1, mediaSSRC: 0x1234_5678, lost: [103, 100, 101])
        #expect(nack.serialize() == genericNACK)
    }

    @Test func nackFCISizes() {
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 205, format: 1, length: 0)) {
            try GenericNACK.parse(hex("81 CD 00 02  00 00 00 01  12 34 56 78"))
        }
        // P bit with 2 padding bytes leaves a 2-byte FCI.
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 205, format: 1, length: 2)) {
            try GenericNACK.parse(hex("A1 CD 00 03  00 00 00 01  12 34 56 78  00 64 00 02"))
        }
        #expect(throws: RTCPParseError.truncatedBody(packetType: 205, length: 4)) {
            try GenericNACK.parse(hex("81 CD 00 01  00 00 00 01"))
        }
    }

    @Test func pliWithoutFCI() throws {
        let pli = try PictureLossIndication.parse(pictureLossIndication)
        #expect(pli == PictureLossIndication(senderSSRC: 1, mediaSSRC: 0x1234_5678))
        #expect(pli.serialize() == pictureLossIndication)
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 206, format: 1, length: 4)) {
            try PictureLossIndication.parse(hex("81 CE 00 03  00 00 00 01  12 34 56 78  00 00 00 00"))
        }
        #expect(throws: RTCPParseError.truncatedBody(packetType: 206, length: 4)) {
            try PictureLossIndication.parse(hex("81 CE 00 01  00 00 00 01"))
        }
    }

    @Test func firWithOneEntry() throws {
        let fir = try FullIntraRequest.parse(fullIntraRequest)
        #expect(fir.senderSSRC == 1)
        #expect(fir.mediaSSRC == 0)
        #expect(fir.entries == [FIREntry(ssrc: 0x1234_5678, sequenceNumber: 42)])
        #expect(FullIntraRequest(senderSSRC: 1, entries: [FIREntry(ssrc: 0x1234_5678, sequenceNumber: 42)])
            .serialize() == fullIntraRequest)
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 206, format: 4, length: 4)) {
            try FullIntraRequest.parse(hex("84 CE 00 03  00 00 00 01  00 00 00 00  12 34 56 78"))
        }
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 206, format: 4, length: 0)) {
            try FullIntraRequest.parse(hex("84 CE 00 02  00 00 00 01  00 00 00 00"))
        }
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 206, format: 4, length: 12)) {
            try FullIntraRequest.parse(hex("84 CE 00 05  00 00 00 01  00 00 00 00  12 34 56 78  2A 00 00 00  00 00 00 01"))
        }
    }

    @Test func rembAtOneMegabit() throws {
        let remb = try ReceiverEstimatedMaxBitrate.parse(rembOneMegabit)
        #expect(remb.bitrate == 1_000_000)
        #expect(remb.ssrcs == [0x1234_5678])
        #expect(remb.senderSSRC == 1)
        #expect(remb.serialize() == rembOneMegabit)
    }

    @Test(arguments: [
        (UInt64(1_000_000), UInt8(2), UInt32(250_000), "0B D0 90"),
        (UInt64(262_143), UInt8(0), UInt32(0x3FFFF), "03 FF FF"),
        (UInt64(262_144), UInt8(1), UInt32(0x20000), "06 00 00"),
        (UInt64(8_927_168), UInt8(6), UInt32(139_487), "1A 20 DF"),
        (UInt64(0), UInt8(0), UInt32(0), "00 00 00"),
    ])
    func rembExponentAndMantissa(bitrate: UInt64, exponent: UInt8, mantissa: UInt32, wire: String) throws {
        let encoded = ReceiverEstimatedMaxBitrate.encode(bitrate: bitrate)
        #expect(encoded.exponent == exponent)
        #expect(encoded.mantissa == mantissa)
        let bytes = ReceiverEstimatedMaxBitrate(senderSSRC: 1, bitrate: bitrate, ssrcs: []).serialize()
        #expect(Array(bytes[17..<20]) == hex(wire))
        #expect(try ReceiverEstimatedMaxBitrate.parse(bytes).bitrate == bitrate)
    }

    @Test func rembRoundsDown() throws {
        let bytes = ReceiverEstimatedMaxBitrate(senderSSRC: 1, bitrate: 1_000_003, ssrcs: [7, 8]).serialize()
        let parsed = try ReceiverEstimatedMaxBitrate.parse(bytes)
        #expect(parsed.bitrate == 1_000_000)
        #expect(parsed.ssrcs == [7, 8])
    }

    @Test func rembMalformed() {
        #expect(throws: RTCPParseError.missingREMBIdentifier) {
            try ReceiverEstimatedMaxBitrate.parse(hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 58  01 0B D0 90  12 34 56 78"))
        }
        #expect(throws: RTCPParseError.countMismatch(packetType: 206, count: 2)) {
            try ReceiverEstimatedMaxBitrate.parse(hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 42  02 0B D0 90  12 34 56 78"))
        }
        #expect(throws: RTCPParseError.unexpectedBytes(packetType: 206, count: 4)) {
            try ReceiverEstimatedMaxBitrate.parse(hex("8F CE 00 05  00 00 00 01  00 00 00 00  52 45 4D 42  00 0B D0 90  12 34 56 78"))
        }
        #expect(throws: RTCPParseError.rembBitrateOverflow(exponent: 63, mantissa: 0x3FFFF)) {
            try ReceiverEstimatedMaxBitrate.parse(hex("8F CE 00 04  00 00 00 01  00 00 00 00  52 45 4D 42  00 FF FF FF"))
        }
        #expect(throws: RTCPParseError.truncatedBody(packetType: 206, length: 12)) {
            try ReceiverEstimatedMaxBitrate.parse(hex("8F CE 00 03  00 00 00 01  00 00 00 00  52 45 4D 42"))
        }
    }

    @Test func rembLargestExponentThatFits() throws {
        // 0x3FFFF · 2^46 = 2^64 − 2^46 still fits in 64 bits.
        let bytes = hex("8F CE 00 04  00 00 00 01  00 00 00 00  52 45 4D 42  00 BB FF FF")
        #expect(try ReceiverEstimatedMaxBitrate.parse(bytes).bitrate == UInt64.max - (1 << 46) + 1)
    }
}
