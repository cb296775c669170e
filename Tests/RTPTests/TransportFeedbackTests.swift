import Testing
import RTP

/// Transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), base seq
/// 65530 (wraps to 0 at the 7th packet), 41 statuses, reference time 0x00A0B1, fb count 7.
/// Chunks: run-length (20 × small), 1-bit vector (R N R R N N R R R R R R R N),
/// 2-bit vector (L S N S L N S). Deltas: 20 × 04; 00 FF 01 … 08; FFFC (−1 ms) 10 20 1000 00.
let transportFeedbackMixedChunks = hex("""
    8F CD 00 0F  00 00 00 01  12 34 56 78
    FF FA 00 29  00 A0 B1 07
    20 14 AC FE  E4 61
    04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04 04
    00 FF 01 02 03 04 05 06 07 08
    FF FC 10 20 10 00 00
    00
    """)

@Suite struct TransportFeedbackTests {
    @Test func parsesRunLengthOneBitAndTwoBitChunks() throws {
        let feedback = try TransportFeedback.parse(transportFeedbackMixedChunks)
        #expect(feedback.senderSSRC == 1)
        #expect(feedback.mediaSSRC == 0x1234_5678)
        #expect(feedback.baseSequenceNumber == 65530)
        #expect(feedback.referenceTime == 0xA0B1)
        #expect(feedback.feedbackPacketCount == 7)
        #expect(feedback.packets.count == 41)
        #expect(feedback.packets[6].sequenceNumber == 0)
        #expect(feedback.packets[40].sequenceNumber == 34)
        #expect(feedback.packets.prefix(20).allSatisfy { $0.status == .smallDelta && $0.deltaMicroseconds == 1000 })

        let vector = feedback.packets[20..<34].map(\.status)
        let r = TransportFeedback.Status.smallDelta, n = TransportFeedback.Status.notReceived
        #expect(vector == [r, n, r, r, n, n, r, r, r, r, r, r, r, n])
        let vectorDeltas = feedback.packets[20..<34].compactMap(\.deltaMicroseconds)
        #expect(vectorDeltas == [0, 255, 1, 2, 3, 4, 5, 6, 7, 8].map { Int64($0) * 250 })

        let twoBit = feedback.packets[34..<41].map { ($0.status, $0.deltaMicroseconds) }
        #expect(twoBit.map(\.0) == [.largeDelta, .smallDelta, .notReceived, .smallDelta, .largeDelta,
                                   .notReceived, .smallDelta])
        #expect(twoBit.map(\.1) == [-1000, 4000, nil, 8000, 1_024_000, nil, 0])

        let arrivals = feedback.receivedArrivals
        #expect(arrivals.count == 35)
        #expect(arrivals.first?.arrivalMicroseconds == Int64(2_632_769_000))
        #expect(arrivals.last?.sequenceNumber == 34)
        #expect(arrivals.last?.arrivalMicroseconds == Int64(2_633_895_750))
    }

    @Test func reserializedFeedbackParsesToTheSameReport() throws {
        let feedback = try TransportFeedback.parse(transportFeedbackMixedChunks)
        let bytes = feedback.serialize()
        #expect(bytes.count % 4 == 0)
        #expect(bytes.count == feedback.size)
        #expect(try TransportFeedback.parse(bytes) == feedback)
    }

    @Test func negativeReferenceTime() throws {
        var bytes = transportFeedbackMixedChunks
        bytes[16] = 0x80; bytes[17] = 0x00; bytes[18] = 0x00
        let feedback = try TransportFeedback.parse(bytes)
        #expect(feedback.referenceTime == -8_388_608)
        #expect(feedback.referenceTimeMicroseconds == -8_388_608 * 64_000)
        #expect(Array(feedback.serialize()[16..<19]) == [0x80, 0x00, 0x00])
    }

    /// Builder: 16 packets 250 µs apart (run-length), then N, S(+500), gap, S(+250),
    /// L(−1 ms), S(+750): a 2-bit vector because a large delta is in the window.
    @Test func builderChoosesRunLengthThenTwoBitVector() {
        var builder = TransportFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 100,
                                               feedbackPacketCount: 1, referenceTimeMicroseconds: 1_000_000)
        var time: Int64 = 960_000
        for seq in UInt16(100)...115 {
            time += 250
            #expect(builder.add(sequenceNumber: seq, arrivalMicroseconds: time) == .added)
        }
        #expect(builder.add(sequenceNumber: 116, arrivalMicroseconds: nil) == .added)
        #expect(builder.add(sequenceNumber: 117, arrivalMicroseconds: 964_500) == .added)
        #expect(builder.add(sequenceNumber: 119, arrivalMicroseconds: 964_750) == .added)
        #expect(builder.add(sequenceNumber: 120, arrivalMicroseconds: 963_750) == .added)
        #expect(builder.add(sequenceNumber: 121, arrivalMicroseconds: 964_500) == .added)
        #expect(builder.serialize() == hex("""
            8F CD 00 0B  00 00 00 01  00 00 00 02
            00 64 00 16  00 00 0F 01
            20 10 C4 64
            01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01
            02 01 FF FC 03 00 00 00
            """))
    }

    @Test func builderChoosesOneBitVector() {
        var builder = TransportFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0,
                                               feedbackPacketCount: 0, referenceTimeMicroseconds: 0)
        var packets: [(sequenceNumber: UInt16, arrivalMicroseconds: Int64?)] = []
        for index in 0..<14 {
            let arrival: Int64? = index % 2 == 0 ? Int64(index / 2 + 1) * 250 : nil
            packets.append((UInt16(index), arrival))
        }
        #expect(builder.add(packets) == 14)
        #expect(builder.serialize() == hex("""
            8F CD 00 07  00 00 00 01  00 00 00 02  00 00 00 0E  00 00 00 00
            AA AA 01 01  01 01 01 01  01 00 00 00
            """))
    }

    @Test func builderLongLossRunUsesRunLength() throws {
        var builder = TransportFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 65500,
                                               feedbackPacketCount: 3, referenceTimeMicroseconds: 64_000)
        #expect(builder.add(sequenceNumber: 65500, arrivalMicroseconds: 64_000) == .added)
        #expect(builder.add(sequenceNumber: 64, arrivalMicroseconds: 70_000) == .added)
        let bytes = builder.serialize()
        // 1-bit vector (S then 13 N), run of 86 N, run of 1 S.
        #expect(Array(bytes[20..<26]) == hex("A0 00 00 56 20 01"))
        #expect(Array(bytes[26..<28]) == hex("00 18"))
        let parsed = try TransportFeedback.parse(bytes)
        #expect(parsed.packets.count == 101)
        #expect(parsed.packets.last?.sequenceNumber == 64)
        #expect(parsed.receivedArrivals.map(\.arrivalMicroseconds) == [64_000, 70_000])
    }

    @Test func builderRejectsDeltaTooLargeAndOldSequenceNumbers() {
        var builder = TransportFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 10,
                                               feedbackPacketCount: 0, referenceTimeMicroseconds: 0)
        #expect(builder.add(sequenceNumber: 10, arrivalMicroseconds: 9_000_000) == .deltaOutOfRange)
        #expect(builder.isEmpty)
        #expect(builder.add(sequenceNumber: 9, arrivalMicroseconds: 100) == .sequenceNumberNotNewer)
        #expect(builder.add(sequenceNumber: 10, arrivalMicroseconds: 8_191_750) == .added)
        #expect(builder.add(sequenceNumber: 11, arrivalMicroseconds: -1_000) == .deltaOutOfRange)
        #expect(builder.add(sequenceNumber: 10, arrivalMicroseconds: 8_191_750) == .sequenceNumberNotNewer)
        #expect(builder.feedback.packets.count == 1)
        #expect(builder.feedback.packets.first?.status == .largeDelta)
    }

    @Test func builderRoundsDeltasWithoutDrift() throws {
        var builder = TransportFeedbackBuilder(senderSSRC: 1, mediaSSRC: 2, baseSequenceNumber: 0,
                                               feedbackPacketCount: 0, referenceTimeMicroseconds: -1)
        #expect(builder.feedback.referenceTime == -1)
        for index in 0..<10 {
            #expect(builder.add(sequenceNumber: UInt16(index), arrivalMicroseconds: Int64(index) * 130) == .added)
        }
        let arrivals = try TransportFeedback.parse(builder.serialize()).receivedArrivals
        for (index, arrival) in arrivals.enumerated() {
            #expect(abs(arrival.arrivalMicroseconds - Int64(index) * 130) <= 125)
        }
        #expect(Array(builder.serialize()[16..<19]) == [0xFF, 0xFF, 0xFF])
    }

    @Test func statusCountLargerThanChunks() {
        #expect(throws: RTCPParseError.transportFeedbackChunksTruncated(statusCount: 20, described: 14)) {
            try TransportFeedback.parse(hex("8F CD 00 05  00 00 00 01  00 00 00 02  00 00 00 14  00 00 00 00  20 0E 00 00"))
        }
    }

    @Test func statusCountLargerThanDeltas() {
        #expect(throws: RTCPParseError.transportFeedbackDeltasTruncated(needed: 3, available: 2)) {
            try TransportFeedback.parse(hex("8F CD 00 05  00 00 00 01  00 00 00 02  00 00 00 03  00 00 00 00  20 03 01 01"))
        }
        #expect(throws: RTCPParseError.transportFeedbackDeltasTruncated(needed: 2, available: 0)) {
            // The P bit strips the last two bytes, leaving no room for the large delta.
            try TransportFeedback.parse(hex("AF CD 00 05  00 00 00 01  00 00 00 02  00 00 00 01  00 00 00 00  40 01 00 02"))
        }
    }

    @Test func reservedSymbol() {
        #expect(throws: RTCPParseError.transportFeedbackReservedSymbol(sequenceNumber: 5)) {
            try TransportFeedback.parse(hex("8F CD 00 05  00 00 00 01  00 00 00 02  00 05 00 01  00 00 00 00  60 01 00 00"))
        }
        #expect(throws: RTCPParseError.transportFeedbackReservedSymbol(sequenceNumber: 0)) {
            try TransportFeedback.parse(hex("8F CD 00 05  00 00 00 01  00 00 00 02  00 00 00 02  00 00 00 00  DC 00 01 00"))
        }
    }

    @Test func fciTooShortOrTooLong() {
        #expect(throws: RTCPParseError.invalidFCILength(packetType: 205, format: 15, length: 4)) {
            try TransportFeedback.parse(hex("8F CD 00 03  00 00 00 01  00 00 00 02  00 00 00 01"))
        }
        #expect(throws: RTCPParseError.unexpectedBytes(packetType: 205, count: 5)) {
            try TransportFeedback.parse(hex("8F CD 00 06  00 00 00 01  00 00 00 02  00 00 00 01  00 00 00 00  20 01 01 00  00 00 00 00"))
        }
    }
}
