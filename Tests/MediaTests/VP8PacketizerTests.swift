import Testing
@testable import Media

struct VP8PacketizerTests {
    @Test func splitsEvenlyWithinMTUAndMarksEnds() throws {
        var packetizer = VP8Packetizer(maxPayloadSize: 1200, firstPictureID: 0x7FFF)
        let frame = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = packetizer.packetize(frame)
        #expect(payloads.count == 5)  // 4 bytes of descriptor leave 1196 per packet
        #expect(payloads.allSatisfy { $0.payload.count <= 1200 })
        #expect(payloads.map(\.marker) == [false, false, false, false, true])
        var rebuilt: [UInt8] = []
        for (i, p) in payloads.enumerated() {
            let parsed = try VP8Payload.parse(p.payload)
            #expect(parsed.descriptor.isPartitionStart == (i == 0))
            #expect(parsed.descriptor.pictureID == .long(0x7FFF))
            rebuilt += parsed.data
        }
        #expect(rebuilt == frame)
        let sizes = payloads.map(\.payload.count)
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        // PictureID wraps at 15 bits.
        let next = packetizer.packetize([1, 2, 3])
        #expect(try VP8Payload.parse(next[0].payload).descriptor.pictureID == .long(0))
    }

    @Test func noRoomForDataGivesNoPayloads() {
        var packetizer = VP8Packetizer(maxPayloadSize: 4)
        #expect(packetizer.packetize([1, 2, 3]).isEmpty)
        #expect(packetizer.packetize([]).isEmpty)
    }

    @Test func withoutPictureIDUsesOneByteDescriptor() {
        var packetizer = VP8Packetizer(maxPayloadSize: 3, includesPictureID: false)
        let payloads = packetizer.packetize([7, 8, 9, 10])
        #expect(payloads.map(\.payload) == [[0x10, 7, 8], [0x00, 9, 10]])
    }
}
