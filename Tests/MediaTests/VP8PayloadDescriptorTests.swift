import Testing
@testable import Media

private func bytes(_ hex: String) -> [UInt8] {
    let digits = hex.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        out.append(UInt8(digits[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

struct VP8PayloadDescriptorTests {
    @Test func minimalDescriptorStartOfFrame() throws {
        // |X=0|R|N=0|S=1|R|PID=0| then VP8 data.
        let payload = try VP8Payload.parse(bytes("10 9d 01"))
        #expect(payload.descriptor == VP8PayloadDescriptor(isPartitionStart: true))
        #expect(payload.descriptor.startsFrame)
        #expect(Array(payload.data) == [0x9D, 0x01])
    }

    @Test func allExtensionFields() throws {
        // X=1 N=1 S=1 PID=2 | I L T K | M=1 PictureID 0x0123 | TL0PICIDX 5 | TID=2 Y=1 KEYIDX=3
        let payload = try VP8Payload.parse(bytes("b2 f0 81 23 05 a3 ff"))
        let d = payload.descriptor
        #expect(d.isNonReference)
        #expect(d.isPartitionStart)
        #expect(d.partitionIndex == 2)
        #expect(!d.startsFrame)
        #expect(d.pictureID == .long(0x0123))
        #expect(d.tl0PicIndex == 5)
        #expect(d.temporalLayerID == 2)
        #expect(d.layerSync)
        #expect(d.keyIndex == 3)
        #expect(Array(payload.data) == [0xFF])
        #expect(d.size == 6)
        #expect(d.serialize() == bytes("b2 f0 81 23 05 a3"))
    }

    @Test func shortPictureID() throws {
        // X=1 S=0 | I=1 | M=0 PictureID 0x11
        let payload = try VP8Payload.parse(bytes("80 80 11 aa bb"))
        #expect(payload.descriptor.pictureID == .short(0x11))
        #expect(payload.descriptor.pictureID?.value == 0x11)
        #expect(!payload.descriptor.isPartitionStart)
        #expect(Array(payload.data) == [0xAA, 0xBB])
        #expect(payload.descriptor.serialize() == bytes("80 80 11"))
    }

    @Test func keyIndexWithoutTemporalLayer() throws {
        // X=1 | K=1 | TID bits ignored, KEYIDX = 0x1f
        let payload = try VP8Payload.parse(bytes("90 10 df 00"))
        #expect(payload.descriptor.keyIndex == 0x1F)
        #expect(payload.descriptor.temporalLayerID == nil)
    }

    @Test(arguments: [
        ("empty", "", VP8PayloadDescriptorParseError.empty),
        ("x without extension octet", "90", .truncatedExtension),
        ("i without picture id", "90 80", .truncatedPictureID),
        ("m=1 with one picture id byte", "90 80 81", .truncatedPictureID),
        ("l without tl0picidx", "90 60", .truncatedTL0PicIndex),
        ("t without tid octet", "90 20", .truncatedTemporalLayer),
        ("k without keyidx octet", "90 10", .truncatedTemporalLayer),
        ("l set but t clear", "90 40 05 00 aa", .tl0PicIndexWithoutTemporalLayer),
        ("descriptor only, no vp8 data", "10", .noPayloadData),
        ("full descriptor, no vp8 data", "90 f0 81 23 05 a3", .noPayloadData),
    ])
    func malformed(name: String, hex: String, expected: VP8PayloadDescriptorParseError) {
        #expect(throws: expected, "\(name)") { try VP8Payload.parse(bytes(hex)) }
    }

    @Test func everyPrefixOfARealPacketParsesOrThrowsTyped() throws {
        var packetizer = VP8Packetizer(maxPayloadSize: 64, firstPictureID: 0x1FF)
        let frame = [UInt8](repeating: 0x5A, count: 100)
        let payloads = packetizer.packetize(frame, temporalLayerID: 1, tl0PicIndex: 9, layerSync: true)
        #expect(payloads.count == 2)
        for payload in payloads.map(\.payload) {
            let descriptorSize = try VP8Payload.parse(payload).descriptor.size
            for length in 0...payload.count {
                let prefix = Array(payload[0..<length])
                if length <= descriptorSize {
                    #expect(throws: VP8PayloadDescriptorParseError.self) { try VP8Payload.parse(prefix) }
                } else {
                    let parsed = try VP8Payload.parse(prefix)
                    #expect(parsed.data.count == length - descriptorSize)
                }
            }
        }
    }

    @Test func garbageNeverTraps() {
        var state: UInt32 = 12345
        for _ in 0..<2000 {
            state = state &* 1_103_515_245 &+ 12345
            let length = Int(state >> 28)
            var input: [UInt8] = []
            for i in 0..<length { input.append(UInt8(truncatingIfNeeded: (state >> UInt32(i % 24)) &+ UInt32(i))) }
            _ = try? VP8Payload.parse(input)
            _ = try? VP8FrameHeader.parse(input)
        }
    }
}

struct VP8FrameHeaderTests {
    @Test func keyframe640x360() throws {
        // Tag: P=0 (key), VER=0, H=1, first partition 1000 bytes: (1000 << 5) | 0x10 = 0x7d10.
        let header = try VP8FrameHeader.parse(bytes("10 7d 00 9d 01 2a 80 02 68 01"))
        #expect(header.isKeyframe)
        #expect(header.showFrame)
        #expect(header.version == 0)
        #expect(header.firstPartitionSize == 1000)
        #expect(header.width == 640)
        #expect(header.height == 360)
        #expect(header.horizontalScale == 0)
    }

    @Test func scalingBitsAreNotPartOfTheSize() throws {
        let header = try VP8FrameHeader.parse(bytes("10 7d 00 9d 01 2a 80 c2 68 41"))
        #expect(header.width == 640)
        #expect(header.height == 360)
        #expect(header.horizontalScale == 3)
        #expect(header.verticalScale == 1)
    }

    @Test func interframeHasNoSize() throws {
        let header = try VP8FrameHeader.parse(bytes("31 00 00"))
        #expect(!header.isKeyframe)
        #expect(header.width == nil)
    }

    @Test(arguments: [
        ("empty", "", VP8FrameHeaderParseError.truncated),
        ("two tag bytes", "10 7d", .truncated),
        ("version 5", "1a 00 00", .unsupportedVersion(5)),
        ("keyframe cut in start code", "10 7d 00 9d 01", .truncatedKeyframeHeader),
        ("keyframe cut in height", "10 7d 00 9d 01 2a 80 02 68", .truncatedKeyframeHeader),
        ("wrong start code", "10 7d 00 9d 01 2b 80 02 68 01", .badStartCode),
        ("zero width", "10 7d 00 9d 01 2a 00 00 68 01", .zeroDimension),
    ])
    func malformed(name: String, hex: String, expected: VP8FrameHeaderParseError) {
        #expect(throws: expected, "\(name)") { try VP8FrameHeader.parse(bytes(hex)) }
    }
}
