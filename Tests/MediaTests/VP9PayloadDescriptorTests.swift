import Testing
@testable import Media

/// Bytes from a hex string with spaces.
func hexBytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").compactMap { UInt8($0, radix: 16) }
}

/// A VP9 payload written out from the RFC 9628 §4.2 layouts, with what it must parse to.
struct VP9DescriptorVector: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: String
    let descriptor: VP9PayloadDescriptor
    let length: Int

    var testDescription: String { name }
}

let vp9DescriptorVectors: [VP9DescriptorVector] = [
    // I P L F B E V Z = 1 0 0 0 1 0 1 1; M=1 PID 0x1234; SS: N_S=0 Y=1 G=1, 640x360,
    // N_G=1, {TID 0, U 0, R 1}, P_DIFF 1 — what a single-layer Chromium sender puts on a keyframe.
    VP9DescriptorVector(
        name: "non-flexible keyframe start with SS (640x360, one-picture group)",
        bytes: "8b 92 34 18 02 80 01 68 01 04 01 82 49",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: false,
            isNotReferenceForUpperSpatialLayers: true, pictureID: .long(0x1234),
            scalabilityStructure: VP9ScalabilityStructure(
                spatialLayerCount: 1, resolutions: [.init(width: 640, height: 360)],
                pictureGroup: [.init(temporalLayerID: 0, referenceDifferences: [1])])),
        length: 11),
    // 1 1 1 0 1 1 0 0; M=0 PID 5; TID 2 U 1 SID 1 D 1; TL0PICIDX 0xa7.
    VP9DescriptorVector(
        name: "non-flexible delta with layer indices and TL0PICIDX",
        bytes: "ec 05 53 a7 de",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: true, startsLayerFrame: true, endsLayerFrame: true, pictureID: .short(5),
            layerIndices: .init(temporalLayerID: 2, isSwitchingUpPoint: true, spatialLayerID: 1,
                                dependsOnLowerSpatialLayer: true),
            tl0PicIndex: 0xA7),
        length: 4),
    // 1 1 1 1 1 0 0 0; PID 0x7fff; TID 1; P_DIFF 1 (N=1), 2 (N=1), 64 (N=0); no TL0PICIDX.
    VP9DescriptorVector(
        name: "flexible mode with three P_DIFFs",
        bytes: "f8 ff ff 20 03 05 80 00",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: true, isFlexibleMode: true, startsLayerFrame: true, endsLayerFrame: false,
            pictureID: .long(0x7FFF), layerIndices: .init(temporalLayerID: 1), referenceDifferences: [1, 2, 64]),
        length: 7),
    // 1 0 0 1 1 1 0 0; PID 0x7f (7 bits); P = 0, so no P_DIFF.
    VP9DescriptorVector(
        name: "flexible keyframe carries no P_DIFF",
        bytes: "9c 7f aa",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: false, isFlexibleMode: true, startsLayerFrame: true, endsLayerFrame: true,
            pictureID: .short(0x7F)),
        length: 2),
    VP9DescriptorVector(
        name: "only the required octet",
        bytes: "0c 01",
        descriptor: VP9PayloadDescriptor(isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: true),
        length: 1),
    // V only; SS: N_S=2 Y=1 G=1; 320x180, 640x360, 1280x720; N_G=2:
    // {TID 0, U 0, R 1: 2}, {TID 1, U 1, R 2: 1, 2}.
    VP9DescriptorVector(
        name: "SS with three spatial layers and a two-picture group",
        bytes: "0a 58 01 40 00 b4 02 80 01 68 05 00 02 d0 02 04 02 38 01 02 ff",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: false,
            scalabilityStructure: VP9ScalabilityStructure(
                spatialLayerCount: 3,
                resolutions: [.init(width: 320, height: 180), .init(width: 640, height: 360),
                              .init(width: 1280, height: 720)],
                pictureGroup: [.init(temporalLayerID: 0, referenceDifferences: [2]),
                               .init(temporalLayerID: 1, isSwitchingUpPoint: true, referenceDifferences: [1, 2])])),
        length: 20),
    // SS: N_S=7, Y=0, G=0: eight spatial layers, nothing else.
    VP9DescriptorVector(
        name: "SS with eight layers and neither resolutions nor group",
        bytes: "02 e0 55",
        descriptor: VP9PayloadDescriptor(
            isInterPicturePredicted: false, startsLayerFrame: false, endsLayerFrame: false,
            scalabilityStructure: VP9ScalabilityStructure(spatialLayerCount: 8)),
        length: 2),
]

/// A malformed VP9 payload and the error it must give.
struct VP9DescriptorErrorVector: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: String
    let error: VP9PayloadDescriptorParseError

    var testDescription: String { name }
}

let vp9DescriptorErrors: [VP9DescriptorErrorVector] = [
    .init(name: "empty", bytes: "", error: .empty),
    .init(name: "I=1 without picture ID", bytes: "80", error: .truncatedPictureID),
    .init(name: "M=1 without the second PID octet", bytes: "80 80", error: .truncatedPictureID),
    .init(name: "L=1 without layer octet", bytes: "20", error: .truncatedLayerIndices),
    .init(name: "L=1, F=0 without TL0PICIDX", bytes: "20 00", error: .truncatedTL0PicIndex),
    .init(name: "F=1, P=1 without any P_DIFF", bytes: "d0 01", error: .truncatedReferences),
    .init(name: "N=1 on the last P_DIFF present", bytes: "d0 01 03", error: .truncatedReferences),
    .init(name: "N=1 on the third P_DIFF", bytes: "d0 01 03 03 03 00", error: .tooManyReferences),
    .init(name: "F=1 without picture ID", bytes: "50 02 00", error: .flexibleModeWithoutPictureID),
    .init(name: "V=1 without SS", bytes: "02", error: .truncatedScalabilityStructure(.header)),
    .init(name: "Y=1 with half a resolution", bytes: "02 10 02 80 01",
          error: .truncatedScalabilityStructure(.resolutions)),
    .init(name: "two layers, one resolution", bytes: "02 30 02 80 01 68 ff",
          error: .truncatedScalabilityStructure(.resolutions)),
    .init(name: "G=1 without N_G", bytes: "02 08", error: .truncatedScalabilityStructure(.pictureCount)),
    .init(name: "N_G=2 with one picture", bytes: "02 08 02 04 01",
          error: .truncatedScalabilityStructure(.pictureDescriptions)),
    .init(name: "R=3 with one P_DIFF", bytes: "02 08 01 0c 01",
          error: .truncatedScalabilityStructure(.pictureDescriptions)),
    .init(name: "descriptor and no data", bytes: "0c", error: .noPayloadData),
    .init(name: "keyframe descriptor with SS and no data", bytes: "8b 92 34 18 02 80 01 68 01 04 01",
          error: .noPayloadData),
]

struct VP9PayloadDescriptorTests {
    @Test(arguments: vp9DescriptorVectors)
    func parsesRFCLayouts(_ vector: VP9DescriptorVector) throws {
        let bytes = hexBytes(vector.bytes)
        let (descriptor, length) = try VP9PayloadDescriptor.parse(bytes[...])
        #expect(descriptor == vector.descriptor)
        #expect(length == vector.length)
        #expect(descriptor.size == vector.length)
        #expect(descriptor.serialize() == Array(bytes.prefix(vector.length)))
        let payload = try VP9Depacketizer.depacketize(bytes)
        #expect(payload.data.elementsEqual(bytes.dropFirst(vector.length)))
    }

    @Test func parsesInsideALargerBuffer() throws {
        let bytes = hexBytes("ff ff ec 05 53 a7 de")
        let (descriptor, length) = try VP9PayloadDescriptor.parse(bytes[2...])
        #expect(length == 4)
        #expect(descriptor.tl0PicIndex == 0xA7)
    }

    @Test func reservedBitsAreIgnored() throws {
        // SS header low bits and a PG entry's low bits set.
        let (descriptor, length) = try VP9PayloadDescriptor.parse(hexBytes("02 0f 01 07 09 aa")[...])
        #expect(length == 5)
        #expect(descriptor.scalabilityStructure?.pictureGroup == [.init(temporalLayerID: 0, referenceDifferences: [9])])
    }

    @Test(arguments: vp9DescriptorErrors)
    func rejectsTruncatedAndInconsistentInput(_ vector: VP9DescriptorErrorVector) {
        #expect(throws: vector.error) { try VP9PayloadDescriptor.parse(hexBytes(vector.bytes)[...]) }
    }

    /// Every prefix of every vector parses or throws a typed error, and never reads past the end.
    @Test func everyPrefixIsSafe() {
        for vector in vp9DescriptorVectors {
            let bytes = hexBytes(vector.bytes)
            for end in 0...bytes.count {
                do {
                    let (_, length) = try VP9PayloadDescriptor.parse(bytes[0..<end])
                    #expect(end > vector.length && length == vector.length, "\(vector.name) prefix \(end)")
                } catch {
                    #expect(end <= vector.length, "\(vector.name) prefix \(end): \(error)")
                }
            }
        }
    }

    @Test func writerDropsFieldsTheModeDoesNotCarry() {
        // Flexible mode writes no TL0PICIDX; P = 0 writes no P_DIFF; a fourth P_DIFF is not written.
        let flexible = VP9PayloadDescriptor(
            isInterPicturePredicted: true, isFlexibleMode: true, startsLayerFrame: true, endsLayerFrame: true,
            pictureID: .short(9), layerIndices: .init(), tl0PicIndex: 3, referenceDifferences: [1, 2, 3, 4])
        #expect(flexible.serialize() == hexBytes("fc 09 00 03 05 06"))
        let key = VP9PayloadDescriptor(
            isInterPicturePredicted: false, isFlexibleMode: true, startsLayerFrame: true, endsLayerFrame: true,
            pictureID: .short(9), referenceDifferences: [1])
        #expect(key.serialize() == hexBytes("9c 09"))
        // Non-flexible with layer indices and no TL0PICIDX given writes 0.
        let layered = VP9PayloadDescriptor(isInterPicturePredicted: true, startsLayerFrame: true,
                                           endsLayerFrame: true, layerIndices: .init(temporalLayerID: 1))
        #expect(layered.serialize() == hexBytes("6c 20 00"))
        #expect(layered.size == 3)
    }

    @Test func independenceNeedsNeitherInterPictureNorInterLayerPrediction() {
        var descriptor = VP9PayloadDescriptor(isInterPicturePredicted: false, startsLayerFrame: true, endsLayerFrame: true)
        #expect(descriptor.isIndependent)
        descriptor.layerIndices = .init(spatialLayerID: 1, dependsOnLowerSpatialLayer: true)
        #expect(!descriptor.isIndependent)
        descriptor.layerIndices = nil
        descriptor.isInterPicturePredicted = true
        #expect(!descriptor.isIndependent)
    }
}
