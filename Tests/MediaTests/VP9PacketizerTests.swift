import RTP
import Testing
@testable import Media

struct VP9PacketizerTests {
    @Test func keyframeCarriesChromiumStyleSSAndSplitsEvenly() throws {
        var packetizer = VP9Packetizer(maxPayloadSize: 1200, firstPictureID: 0)
        let frame = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = packetizer.packetize(frame, isKeyframe: true, width: 640, height: 360)
        #expect(payloads.count == 3)
        #expect(payloads.allSatisfy { $0.payload.count <= 1200 })
        #expect(payloads.map(\.marker) == [false, false, true])
        // I=1 P=0 B=1 V=1 Z=1 | M=1 PID 0 | N_S=0 Y=1 G=1 | 640 | 360 | N_G=1 | TID 0 U 0 R 1 | P_DIFF 1
        #expect(Array(payloads[0].payload.prefix(11)) == hexBytes("8b 80 00 18 02 80 01 68 01 04 01"))
        #expect(Array(payloads[1].payload.prefix(3)) == hexBytes("81 80 00"))  // neither B nor E
        #expect(Array(payloads[2].payload.prefix(3)) == hexBytes("85 80 00"))  // E
        var rebuilt: [UInt8] = []
        for payload in payloads { rebuilt += try VP9Depacketizer.depacketize(payload.payload).data }
        #expect(rebuilt == frame)
        let dataSizes = [payloads[0].payload.count - 11, payloads[1].payload.count - 3, payloads[2].payload.count - 3]
        #expect(dataSizes == [1000, 1000, 1000])
    }

    @Test func deltaFramesAreInterPredictedAndPictureIDWraps() throws {
        var packetizer = VP9Packetizer(maxPayloadSize: 1200, firstPictureID: 0x7FFF)
        let first = packetizer.packetize([1, 2, 3], isKeyframe: false, width: 640, height: 360)
        // I=1 P=1 B=1 E=1 Z=1 | M=1 PID 0x7fff
        #expect(first.map(\.payload) == [hexBytes("cd ff ff 01 02 03")])
        let second = packetizer.packetize([4], isKeyframe: false, width: 640, height: 360)
        #expect(try VP9Depacketizer.depacketize(second[0].payload).descriptor.pictureID == .long(0))
    }

    @Test func layerIndicesWithTL0PicIndex() throws {
        var packetizer = VP9Packetizer(maxPayloadSize: 1200)
        let payloads = packetizer.packetize([9], isKeyframe: false, width: 640, height: 360,
                                            layerIndices: .init(temporalLayerID: 1, isSwitchingUpPoint: true),
                                            tl0PicIndex: 7)
        #expect(payloads.map(\.payload) == [hexBytes("ed 80 00 30 07 09")])
    }

    @Test func noRoomForDataGivesNoPayloads() {
        var packetizer = VP9Packetizer(maxPayloadSize: 11)
        #expect(packetizer.packetize([1, 2, 3], isKeyframe: true, width: 64, height: 64).isEmpty)
        #expect(packetizer.packetize([], isKeyframe: false, width: 64, height: 64).isEmpty)
        #expect(packetizer.nextPictureID == 0)
        #expect(packetizer.packetize([1], isKeyframe: false, width: 64, height: 64).count == 1)
    }

    @Test(arguments: [1, 2, 88, 89, 90, 186, 187, 500, 1000])
    func piecesCoverTheFrameWithinRoom(total: Int) {
        let lengths = VP9Packetizer.pieceLengths(total: total, firstRoom: 89, laterRoom: 97)
        #expect(lengths.reduce(0, +) == total)
        #expect(lengths.first.map { $0 <= 89 && $0 > 0 } == true)
        #expect(lengths.dropFirst().allSatisfy { $0 <= 97 && $0 > 0 })
        // As few packets as the room allows.
        let fewest = total <= 89 ? 1 : 1 + (total - 89 + 96) / 97
        #expect(lengths.count == fewest)
    }

    /// A real libvpx keyframe: the first payload says keyframe and 640x360 (SS and header).
    @Test func libvpxKeyframeIsDetectedFromItsFirstPacket() throws {
        let encoder = try VideoEncoder(codec: .vp9, width: 640, height: 360, fps: 30, bitrateKbps: 800)
        let scene = SyntheticScene(width: 640, height: 360)
        var packetizer = VP9Packetizer()
        var sequence: UInt16 = 1
        let key = try #require(try encoder.encode(scene.frame(0)).first)
        let packets = packetizer.packets(for: key, payloadType: 98, ssrc: 5, sequenceNumber: &sequence)
        #expect(packets.count > 1)
        let first = try VP9Depacketizer.depacketize(packets[0].payload)
        #expect(first.startsKeyframe)
        #expect(first.resolution?.width == 640 && first.resolution?.height == 360)
        #expect(first.descriptor.scalabilityStructure?.resolutions == [.init(width: 640, height: 360)])
        let second = try VP9Depacketizer.depacketize(packets[1].payload)
        #expect(!second.startsKeyframe && second.resolution == nil)
        let delta = try #require(try encoder.encode(scene.frame(1)).first)
        let deltaPackets = packetizer.packets(for: delta, payloadType: 98, ssrc: 5, sequenceNumber: &sequence)
        let deltaFirst = try VP9Depacketizer.depacketize(deltaPackets[0].payload)
        #expect(!deltaFirst.startsKeyframe && deltaFirst.descriptor.isInterPicturePredicted)
        #expect(deltaFirst.descriptor.scalabilityStructure == nil)
        #expect(deltaPackets.first?.header.sequenceNumber == sequence &- UInt16(deltaPackets.count))
    }

    /// The SS alone gives the size when the first packet is too short to hold the header.
    @Test func resolutionFromScalabilityStructure() throws {
        let payload = try VP9Depacketizer.depacketize(hexBytes("8b 80 00 18 05 00 02 d0 01 04 01 82"))
        #expect(payload.resolution?.width == 1280 && payload.resolution?.height == 720)
        #expect(payload.startsKeyframe)  // P = 0, and the header is too short to say otherwise
        let notKey = try VP9Depacketizer.depacketize(hexBytes("8b 80 00 18 05 00 02 d0 01 04 01 86 00"))
        #expect(!notKey.startsKeyframe)  // the header says inter frame
    }
}
