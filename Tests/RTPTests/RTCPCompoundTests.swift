import Foundation
import Testing
import RTP

/// Reads a hex fixture from Tests/RTPTests/Fixtures, skipping `#` comment lines.
func fixture(_ name: String) throws -> [UInt8] {
    let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
    let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
    return hex(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: " "))
}

/// Every valid single-packet vector in these tests.
let singlePacketVectors: [(String, [UInt8])] = [
    ("SR with one block", senderReportOneBlock), ("RR with negative loss", receiverReportNegativeLoss),
    ("SDES CNAME", sdesCNAME), ("NACK", genericNACK), ("PLI", pictureLossIndication),
    ("FIR", fullIntraRequest), ("REMB", rembOneMegabit), ("transport-cc", transportFeedbackMixedChunks),
]

@Suite struct RTCPCompoundTests {
    @Test func chromiumStyleReceiverReportAndREMB() throws {
        let bytes = try fixture("chromium-rr-remb.hex")
        let packets = try RTCPPacket.parseCompound(bytes)
        #expect(packets.count == 2)
        guard case .receiverReport(let rr) = packets.first, case .receiverEstimatedMaxBitrate(let remb) = packets.last else {
            Issue.record("unexpected packets \(packets)")
            return
        }
        #expect(rr.reports.first?.ssrc == 0x3E1C_E2E5)
        #expect(rr.reports.first?.extendedHighestSequenceNumber == 0x3A8C)
        #expect(rr.reports.first?.delaySinceLastSenderReport == 0x2C6F)
        #expect(remb.bitrate == 2_000_000)
        #expect(remb.ssrcs == [0x3E1C_E2E5])
        #expect(RTCPPacket.serializeCompound(packets) == bytes)
    }

    @Test func senderReportAndSDES() throws {
        let bytes = try fixture("sr-sdes.hex")
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .senderReport(let sr) = packets.first, case .sourceDescription(let sdes) = packets.last else {
            Issue.record("unexpected packets \(packets)")
            return
        }
        #expect(packets.count == 2)
        #expect(sr.packetCount == 100)
        #expect(sr.octetCount == 20_000)
        #expect(sdes.chunks.first?.cname == "4TOk42mSjXCkVIa6")
        #expect(RTCPPacket.serializeCompound(packets) == bytes)
    }

    @Test func unknownPacketsAreKept() throws {
        // RR, APP (PT 204, subtype 3, name "TEST", 4 data bytes), XR (PT 207), AFB that is not REMB, PLI.
        let app = hex("83 CC 00 03  00 00 00 01  54 45 53 54  DE AD BE EF")
        let xr = hex("80 CF 00 01  00 00 00 01")
        let afb = hex("8F CE 00 03  00 00 00 01  00 00 00 00  41 42 43 44")
        let bytes = receiverReportNegativeLoss + app + xr + afb + pictureLossIndication
        let packets = try RTCPPacket.parseCompound(bytes)
        #expect(packets.count == 5)
        #expect(packets[1] == .unknown(packetType: 204, format: 3, body: hex("00 00 00 01 54 45 53 54 DE AD BE EF")))
        #expect(packets[2] == .unknown(packetType: 207, format: 0, body: hex("00 00 00 01")))
        #expect(packets[3] == .unknown(packetType: 206, format: 15, body: Array(afb.dropFirst(4))))
        #expect(packets[4] == .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 0x1234_5678)))
        #expect(RTCPPacket.serializeCompound(packets) == bytes)
    }

    @Test func paddingOnLastPacket() throws {
        let padded = hex("A1 CE 00 03  00 00 00 01  12 34 56 78  00 00 00 04")
        let packets = try RTCPPacket.parseCompound(receiverReportNegativeLoss + padded)
        #expect(packets.last == .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 0x1234_5678)))
    }

    @Test func paddingOnlyOnLastPacketUnlessAllowed() throws {
        let padded = hex("A1 CE 00 03  00 00 00 01  12 34 56 78  00 00 00 04")
        let bytes = padded + receiverReportNegativeLoss
        #expect(throws: RTCPParseError.paddingNotInLastPacket(offset: 0)) { try RTCPPacket.parseCompound(bytes) }
        let packets = try RTCPPacket.parseCompound(bytes, paddingRule: .anyPacket)
        #expect(packets.count == 2)
    }

    @Test func invalidPaddingCount() {
        #expect(throws: RTCPParseError.invalidPadding(paddingLength: 0, available: 12)) {
            try RTCPPacket.parseCompound(hex("A1 CE 00 03  00 00 00 01  12 34 56 78  00 00 00 00"))
        }
        #expect(throws: RTCPParseError.invalidPadding(paddingLength: 13, available: 12)) {
            try RTCPPacket.parseCompound(hex("A1 CE 00 03  00 00 00 01  12 34 56 78  00 00 00 0D"))
        }
    }

    @Test func wrongVersionAnywhereInCompound() {
        #expect(throws: RTCPParseError.unsupportedVersion(1)) {
            try RTCPPacket.parseCompound(hex("41 CE 00 02  00 00 00 01  12 34 56 78"))
        }
        #expect(throws: RTCPParseError.unsupportedVersion(0)) {
            try RTCPPacket.parseCompound(pictureLossIndication + hex("00 CE 00 02  00 00 00 01  12 34 56 78"))
        }
    }

    @Test func lengthFieldInconsistentWithData() {
        // Length claims 4 words of body, 2 present.
        #expect(throws: RTCPParseError.lengthExceedsData(declared: 20, available: 12)) {
            try RTCPPacket.parseCompound(hex("81 CE 00 04  00 00 00 01  12 34 56 78"))
        }
        // Length claims 1 word of body: the leftover word is not an RTCP header.
        #expect(throws: RTCPParseError.unsupportedVersion(0)) {
            try RTCPPacket.parseCompound(hex("81 CE 00 01  00 00 00 01  12 34 56 78"))
        }
        // Two bytes after a complete packet.
        #expect(throws: RTCPParseError.truncatedHeader(offset: 12)) {
            try RTCPPacket.parseCompound(pictureLossIndication + [0x80, 0xC9])
        }
        #expect(throws: RTCPParseError.empty) { try RTCPPacket.parseCompound([]) }
    }

    @Test func singlePacketParsersRejectTrailingBytesAndOtherTypes() {
        #expect(throws: RTCPParseError.trailingBytes(count: 4)) {
            try PictureLossIndication.parse(pictureLossIndication + [0, 0, 0, 0])
        }
        #expect(throws: RTCPParseError.trailingBytes(count: 12)) {
            try RTCPPacket.parse(pictureLossIndication + pictureLossIndication)
        }
        #expect(throws: RTCPParseError.unexpectedPacketType(packetType: 206, format: 1)) {
            try GenericNACK.parse(pictureLossIndication)
        }
        #expect(throws: RTCPParseError.unexpectedPacketType(packetType: 205, format: 1)) {
            try SenderReport.parse(genericNACK)
        }
    }

    @Test(arguments: singlePacketVectors)
    func everyPrefixThrows(name: String, bytes: [UInt8]) {
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            #expect(throws: RTCPParseError.self, "\(name) prefix \(length)") { try RTCPPacket.parseCompound(prefix) }
            #expect(throws: RTCPParseError.self, "\(name) prefix \(length)") { try RTCPPacket.parse(prefix) }
        }
    }

    @Test(arguments: singlePacketVectors)
    func everyVectorRoundTripsThroughTheEnum(name: String, bytes: [UInt8]) throws {
        let packet = try RTCPPacket.parse(bytes)
        #expect(try RTCPPacket.parse(packet.serialize()) == packet, "\(name)")
        #expect(packet.size == packet.serialize().count, "\(name)")
        if case .unknown = packet { Issue.record("\(name) parsed as unknown") }
    }

    /// Dropping body words while fixing the length field up must throw a body error, not trap.
    @Test(arguments: singlePacketVectors)
    func shortenedBodiesWithConsistentLengthThrow(name: String, bytes: [UInt8]) {
        var words = bytes.count / 4 - 1
        while words > 0 {
            words -= 1
            var shortened = Array(bytes.prefix(4 + 4 * words))
            shortened[2] = UInt8(words >> 8)
            shortened[3] = UInt8(words & 0xFF)
            if let packets = try? RTCPPacket.parseCompound(shortened) {
                // Cut before its 'REMB' identifier, a PSFB FMT 15 is generic application feedback.
                guard case .unknown(206, 15, _) = packets.first, name == "REMB", words < 3 else {
                    Issue.record("\(name) with \(words) words parsed as \(packets)")
                    continue
                }
            }
        }
    }
}
