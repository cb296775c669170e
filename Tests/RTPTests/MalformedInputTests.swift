import Testing
import RTP
import SansIO

/// Parsers must return or throw on any input, never trap: mutate every valid vector.
@Suite struct MalformedInputTests {
    static let seeds: [[UInt8]] = singlePacketVectors.map(\.1) + [
        rtpWithCSRCsExtensionPadding, senderReportOneBlock + sdesCNAME, receiverReportNegativeLoss + rembOneMegabit,
    ]

    static func exercise(_ bytes: [UInt8]) {
        _ = try? RTPPacket.parse(bytes)
        if let packet = try? RTPPacket.parse(bytes) {
            _ = try? packet.header.headerExtension?.elements()
            _ = packet.serialize()
        }
        if let packets = try? RTCPPacket.parseCompound(bytes, paddingRule: .anyPacket) {
            _ = RTCPPacket.serializeCompound(packets)
        }
        _ = try? RTCPPacket.parse(bytes)
        _ = DatagramClass.classify(bytes)
    }

    @Test func everySingleByteValueAtEveryPosition() {
        for seed in Self.seeds {
            for position in seed.indices {
                for value in [0x00, 0x01, 0x3F, 0x7F, 0x80, 0xBF, 0xC0, 0xFE, 0xFF] as [UInt8] {
                    var mutated = seed
                    mutated[position] = value
                    Self.exercise(mutated)
                }
            }
        }
    }

    @Test func randomMutationsAndLengths() {
        var generator = SplitMix64(state: 0x1005E)
        for _ in 0..<20_000 {
            var bytes = Self.seeds.randomElement(using: &generator) ?? []
            for _ in 0..<Int.random(in: 1...6, using: &generator) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count + 4, using: &generator)))
            Self.exercise(bytes)
        }
    }

    @Test func randomBytes() {
        var generator = SplitMix64(state: 42)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...64, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if !bytes.isEmpty { bytes[0] = 0x80 | (bytes[0] & 0x3F) }
            Self.exercise(bytes)
        }
    }

    @Test func huge16BitLengthsAndCounts() throws {
        // Status count 65535 with one run-length chunk of 8191: chunks run out.
        #expect(throws: RTCPParseError.transportFeedbackChunksTruncated(statusCount: 65535, described: 8191)) {
            try TransportFeedback.parse(hex("8F CD 00 05  00 00 00 01  00 00 00 02  00 00 FF FF  00 00 00 00  1F FF 00 00"))
        }
        // RTP length field of 0xFFFF words in the extension.
        #expect(throws: RTPParseError.truncatedExtension(declared: 0x3FFFC, available: 0)) {
            try RTPPacket.parse(hex("90 60 00 01 00 00 00 02 00 00 00 03 BE DE FF FF"))
        }
    }
}
