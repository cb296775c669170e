/// The scalability structure (SS) a VP9 payload descriptor carries when V = 1 (RFC 9628 §4.2.1):
/// the number of spatial layers, optionally each layer's resolution, and optionally a picture
/// group (PG) description of the temporal structure used in non-flexible mode.
///
/// ```
///       +-+-+-+-+-+-+-+-+
///  V:   | N_S |Y|G|-|-|-|
///       +-+-+-+-+-+-+-+-+              -\
///  Y:   |     WIDTH     | (16 bits)     . N_S + 1 times
///       |     HEIGHT    | (16 bits)     .
///       +-+-+-+-+-+-+-+-+              -/
///  G:   |      N_G      |
///       +-+-+-+-+-+-+-+-+                           -\
///  N_G: | TID |U| R |-|-|                            . N_G times
///       |    P_DIFF     | R times                    .
///       +-+-+-+-+-+-+-+-+                           -/
/// ```
public struct VP9ScalabilityStructure: Sendable, Hashable {
    /// The resolution of one spatial layer, in pixels.
    public struct Resolution: Sendable, Hashable {
        public var width: UInt16
        public var height: UInt16

        public init(width: UInt16, height: UInt16) {
            self.width = width
            self.height = height
        }
    }

    /// One picture of the picture group: its temporal layer, U flag and references.
    public struct PictureDescription: Sendable, Hashable {
        /// TID, 3 bits.
        public var temporalLayerID: UInt8
        /// U: a switching-up point.
        public var isSwitchingUpPoint: Bool
        /// P_DIFF values (8 bits each, at most 3): the pictures this one references.
        public var referenceDifferences: [UInt8]

        public init(temporalLayerID: UInt8, isSwitchingUpPoint: Bool = false, referenceDifferences: [UInt8] = []) {
            self.temporalLayerID = temporalLayerID & 0x07
            self.isSwitchingUpPoint = isSwitchingUpPoint
            self.referenceDifferences = Array(referenceDifferences.prefix(3))
        }
    }

    /// The part of the structure a truncated SS ended in.
    public enum Part: Sendable, Hashable {
        case header
        case resolutions
        case pictureCount
        case pictureDescriptions
    }

    /// N_S + 1: the number of spatial layers, 1 to 8.
    public var spatialLayerCount: Int
    /// Y: one resolution per spatial layer, lowest first; nil when Y = 0. The writer writes
    /// exactly `spatialLayerCount` of them (missing ones as 0×0).
    public var resolutions: [Resolution]?
    /// G: the picture group description; nil when G = 0 (N_G then counts as 0). At most 255.
    public var pictureGroup: [PictureDescription]?

    public init(spatialLayerCount: Int = 1, resolutions: [Resolution]? = nil,
                pictureGroup: [PictureDescription]? = nil) {
        self.spatialLayerCount = min(max(1, spatialLayerCount), 8)
        self.resolutions = resolutions
        self.pictureGroup = pictureGroup.map { Array($0.prefix(255)) }
    }

    /// `spatialLayerCount` as written: N_S has 3 bits.
    private var writtenLayerCount: Int { min(max(1, spatialLayerCount), 8) }

    /// Serialized size in bytes.
    public var size: Int {
        var n = 1
        if resolutions != nil { n += 4 * writtenLayerCount }
        if let pictureGroup {
            n += 1
            for picture in pictureGroup.prefix(255) { n += 1 + min(picture.referenceDifferences.count, 3) }
        }
        return n
    }

    /// Appends the structure.
    public func write(to out: inout [UInt8]) {
        let layers = writtenLayerCount
        out.append(UInt8(layers - 1) << 5 | (resolutions != nil ? 0x10 : 0) | (pictureGroup != nil ? 0x08 : 0))
        if let resolutions {
            for layer in 0..<layers {
                let resolution = layer < resolutions.count ? resolutions[layer] : Resolution(width: 0, height: 0)
                out.append(UInt8(truncatingIfNeeded: resolution.width >> 8))
                out.append(UInt8(truncatingIfNeeded: resolution.width))
                out.append(UInt8(truncatingIfNeeded: resolution.height >> 8))
                out.append(UInt8(truncatingIfNeeded: resolution.height))
            }
        }
        if let pictureGroup {
            let pictures = pictureGroup.prefix(255)
            out.append(UInt8(pictures.count))
            for picture in pictures {
                let references = picture.referenceDifferences.prefix(3)
                out.append((picture.temporalLayerID & 0x07) << 5 | (picture.isSwitchingUpPoint ? 0x10 : 0)
                           | UInt8(references.count) << 2)
                out.append(contentsOf: references)
            }
        }
    }

    /// The structure as bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        write(to: &out)
        return out
    }

    /// Parses a scalability structure at the start of `bytes`; returns it and its length.
    /// Trailing bytes are left to the caller (the VP9 payload follows the SS).
    public static func parse(_ bytes: ArraySlice<UInt8>)
        throws(VP9PayloadDescriptorParseError) -> (structure: VP9ScalabilityStructure, length: Int) {
        var reader = DescriptorReader(bytes: bytes)
        let header = try reader.next(VP9PayloadDescriptorParseError.truncatedScalabilityStructure(.header))
        var structure = VP9ScalabilityStructure(spatialLayerCount: Int(header >> 5) + 1)
        if header & 0x10 != 0 {
            let missing = VP9PayloadDescriptorParseError.truncatedScalabilityStructure(.resolutions)
            guard reader.remaining >= 4 * structure.spatialLayerCount else { throw missing }
            var resolutions: [Resolution] = []
            for _ in 0..<structure.spatialLayerCount {
                let width = try reader.nextU16(missing)
                let height = try reader.nextU16(missing)
                resolutions.append(Resolution(width: width, height: height))
            }
            structure.resolutions = resolutions
        }
        if header & 0x08 != 0 {
            let count = try reader.next(VP9PayloadDescriptorParseError.truncatedScalabilityStructure(.pictureCount))
            let missing = VP9PayloadDescriptorParseError.truncatedScalabilityStructure(.pictureDescriptions)
            var pictures: [PictureDescription] = []
            pictures.reserveCapacity(min(Int(count), reader.remaining))
            for _ in 0..<count {
                let octet = try reader.next(missing)
                let referenceCount = Int((octet >> 2) & 0x03)
                guard reader.remaining >= referenceCount else { throw missing }
                var references: [UInt8] = []
                for _ in 0..<referenceCount { references.append(try reader.next(missing)) }
                pictures.append(PictureDescription(temporalLayerID: octet >> 5, isSwitchingUpPoint: octet & 0x10 != 0,
                                                   referenceDifferences: references))
            }
            structure.pictureGroup = pictures
        }
        return (structure, reader.index - bytes.startIndex)
    }
}
