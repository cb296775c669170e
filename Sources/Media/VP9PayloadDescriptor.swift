/// The VP9 payload descriptor that starts every VP9 RTP payload (RFC 9628 §4.2).
///
/// ```
/// flexible mode (F = 1)               non-flexible mode (F = 0)
///       +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
///       |I|P|L|F|B|E|V|Z|                   |I|P|L|F|B|E|V|Z|
///       +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
///  I:   |M| PICTURE ID  |              I:   |M| PICTURE ID  |
///  M:   | EXTENDED PID  |              M:   | EXTENDED PID  |
///  L:   | TID |U| SID |D|              L:   | TID |U| SID |D|
///  P,F: | P_DIFF      |N| ×1…3              |   TL0PICIDX   |
///  V:   | SS ...        |              V:   | SS ...        |
///       +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
/// ```
public struct VP9PayloadDescriptor: Sendable, Hashable {
    /// A picture ID in its 7-bit (M = 0) or 15-bit (M = 1) form; the same encoding as VP8's.
    public typealias PictureID = VP8PayloadDescriptor.PictureID

    /// The L octet: which layer this layer frame belongs to (RFC 9628 §4.2).
    public struct LayerIndices: Sendable, Hashable {
        /// TID, 3 bits.
        public var temporalLayerID: UInt8
        /// U: a switching-up point (a temporal layer can be added from here on).
        public var isSwitchingUpPoint: Bool
        /// SID, 3 bits.
        public var spatialLayerID: UInt8
        /// D: the layer frame depends on the lower spatial layer frame of the same picture.
        public var dependsOnLowerSpatialLayer: Bool

        public init(temporalLayerID: UInt8 = 0, isSwitchingUpPoint: Bool = false, spatialLayerID: UInt8 = 0,
                    dependsOnLowerSpatialLayer: Bool = false) {
            self.temporalLayerID = temporalLayerID & 0x07
            self.isSwitchingUpPoint = isSwitchingUpPoint
            self.spatialLayerID = spatialLayerID & 0x07
            self.dependsOnLowerSpatialLayer = dependsOnLowerSpatialLayer
        }

        var octet: UInt8 {
            (temporalLayerID & 0x07) << 5 | (isSwitchingUpPoint ? 0x10 : 0) | (spatialLayerID & 0x07) << 1
                | (dependsOnLowerSpatialLayer ? 0x01 : 0)
        }

        init(octet: UInt8) {
            self.init(temporalLayerID: octet >> 5, isSwitchingUpPoint: octet & 0x10 != 0,
                      spatialLayerID: (octet >> 1) & 0x07, dependsOnLowerSpatialLayer: octet & 0x01 != 0)
        }
    }

    /// The most P_DIFF octets a flexible-mode descriptor carries (RFC 9628 §4.2).
    public static let maxReferenceCount = 3

    /// P: the layer frame uses inter-picture prediction (P = 0 on keyframes).
    public var isInterPicturePredicted: Bool
    /// F: flexible mode (references in P_DIFF) instead of non-flexible mode (TL0PICIDX, SS groups).
    public var isFlexibleMode: Bool
    /// B: this payload starts a layer frame.
    public var startsLayerFrame: Bool
    /// E: this payload ends a layer frame.
    public var endsLayerFrame: Bool
    /// Z: the layer frame is not used to predict higher spatial layers of the same picture.
    public var isNotReferenceForUpperSpatialLayers: Bool
    /// I: the picture ID (required in flexible mode).
    public var pictureID: PictureID?
    /// L: the layer indices.
    public var layerIndices: LayerIndices?
    /// TL0PICIDX, present exactly when L = 1 in non-flexible mode; written as 0 when nil there.
    public var tl0PicIndex: UInt8?
    /// P_DIFF values (7 bits each): the referenced pictures are `pictureID − P_DIFF`.
    /// Present exactly in flexible mode with P = 1, where there must be 1 to 3 of them.
    public var referenceDifferences: [UInt8]
    /// V: the scalability structure, normally sent on the first packet of a keyframe.
    public var scalabilityStructure: VP9ScalabilityStructure?

    public init(isInterPicturePredicted: Bool, isFlexibleMode: Bool = false, startsLayerFrame: Bool,
                endsLayerFrame: Bool, isNotReferenceForUpperSpatialLayers: Bool = false,
                pictureID: PictureID? = nil, layerIndices: LayerIndices? = nil, tl0PicIndex: UInt8? = nil,
                referenceDifferences: [UInt8] = [], scalabilityStructure: VP9ScalabilityStructure? = nil) {
        self.isInterPicturePredicted = isInterPicturePredicted
        self.isFlexibleMode = isFlexibleMode
        self.startsLayerFrame = startsLayerFrame
        self.endsLayerFrame = endsLayerFrame
        self.isNotReferenceForUpperSpatialLayers = isNotReferenceForUpperSpatialLayers
        self.pictureID = pictureID
        self.layerIndices = layerIndices
        self.tl0PicIndex = tl0PicIndex
        self.referenceDifferences = referenceDifferences.map { $0 & 0x7F }
        self.scalabilityStructure = scalabilityStructure
    }

    /// True when the layer frame needs no earlier picture: P = 0 and, with layer indices, not
    /// predicted from a lower spatial layer either (RFC 9628 §4.2, P and D).
    public var isIndependent: Bool {
        !isInterPicturePredicted && !(layerIndices?.dependsOnLowerSpatialLayer ?? false)
    }

    private var writesTL0PicIndex: Bool { layerIndices != nil && !isFlexibleMode }
    private var writtenReferences: ArraySlice<UInt8> {
        isFlexibleMode && isInterPicturePredicted ? referenceDifferences.prefix(Self.maxReferenceCount) : []
    }

    /// Serialized size in bytes.
    public var size: Int {
        var n = 1
        n += pictureID?.size ?? 0
        if layerIndices != nil { n += 1 }
        if writesTL0PicIndex { n += 1 }
        n += writtenReferences.count
        if let scalabilityStructure { n += scalabilityStructure.size }
        return n
    }

    /// Appends the descriptor. Fields the mode does not carry are not written (TL0PICIDX in
    /// flexible mode, P_DIFF in non-flexible mode or with P = 0, P_DIFF beyond the third); a
    /// flexible-mode descriptor with P = 1 needs at least one P_DIFF to parse back.
    public func write(to out: inout [UInt8]) {
        out.append((pictureID != nil ? 0x80 : 0) | (isInterPicturePredicted ? 0x40 : 0)
                   | (layerIndices != nil ? 0x20 : 0) | (isFlexibleMode ? 0x10 : 0)
                   | (startsLayerFrame ? 0x08 : 0) | (endsLayerFrame ? 0x04 : 0)
                   | (scalabilityStructure != nil ? 0x02 : 0) | (isNotReferenceForUpperSpatialLayers ? 0x01 : 0))
        pictureID?.write(to: &out)
        if let layerIndices { out.append(layerIndices.octet) }
        if writesTL0PicIndex { out.append(tl0PicIndex ?? 0) }
        let references = writtenReferences
        for (i, difference) in references.enumerated() {
            out.append((difference & 0x7F) << 1 | (i < references.count - 1 ? 0x01 : 0))
        }
        scalabilityStructure?.write(to: &out)
    }

    /// The descriptor as bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        write(to: &out)
        return out
    }

    /// Parses the descriptor at the start of `payload`; returns it and its length in bytes.
    /// Throws when the descriptor is cut short, inconsistent, or followed by no VP9 data.
    public static func parse(_ payload: ArraySlice<UInt8>)
        throws(VP9PayloadDescriptorParseError) -> (descriptor: VP9PayloadDescriptor, length: Int) {
        var reader = DescriptorReader(bytes: payload)
        let first = try reader.next(.empty)
        let i = first & 0x80 != 0, l = first & 0x20 != 0, f = first & 0x10 != 0, v = first & 0x02 != 0
        var descriptor = VP9PayloadDescriptor(
            isInterPicturePredicted: first & 0x40 != 0, isFlexibleMode: f, startsLayerFrame: first & 0x08 != 0,
            endsLayerFrame: first & 0x04 != 0, isNotReferenceForUpperSpatialLayers: first & 0x01 != 0)
        if f && !i { throw .flexibleModeWithoutPictureID }
        if i {
            let high = try reader.next(.truncatedPictureID)
            if high & 0x80 != 0 {
                let low = try reader.next(.truncatedPictureID)
                descriptor.pictureID = .long(UInt16(high & 0x7F) << 8 | UInt16(low))
            } else {
                descriptor.pictureID = .short(high)
            }
        }
        if l {
            descriptor.layerIndices = LayerIndices(octet: try reader.next(.truncatedLayerIndices))
            if !f { descriptor.tl0PicIndex = try reader.next(.truncatedTL0PicIndex) }
        }
        if f && descriptor.isInterPicturePredicted {
            var more = true
            while more {
                guard descriptor.referenceDifferences.count < maxReferenceCount else {
                    throw .tooManyReferences
                }
                let octet = try reader.next(.truncatedReferences)
                descriptor.referenceDifferences.append(octet >> 1)
                more = octet & 0x01 != 0
            }
        }
        if v {
            let (structure, length) = try VP9ScalabilityStructure.parse(payload[reader.index...])
            descriptor.scalabilityStructure = structure
            reader.index += length
        }
        guard reader.index < payload.endIndex else { throw .noPayloadData }
        return (descriptor, reader.index - payload.startIndex)
    }
}

/// Reads the octets of a VP9 payload descriptor, throwing the given error when they run out.
struct DescriptorReader {
    let bytes: ArraySlice<UInt8>
    var index: Int

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - index }

    mutating func next(_ missing: VP9PayloadDescriptorParseError) throws(VP9PayloadDescriptorParseError) -> UInt8 {
        guard index < bytes.endIndex else { throw missing }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func nextU16(_ missing: VP9PayloadDescriptorParseError) throws(VP9PayloadDescriptorParseError) -> UInt16 {
        let high = try next(missing)
        let low = try next(missing)
        return UInt16(high) << 8 | UInt16(low)
    }
}

/// Why a VP9 RTP payload descriptor (RFC 9628 §4.2) could not be parsed.
public enum VP9PayloadDescriptorParseError: Error, Sendable, Hashable {
    /// The payload has no bytes at all.
    case empty
    /// I = 1 but the picture ID (1 or 2 octets, per M) is cut short.
    case truncatedPictureID
    /// L = 1 but the TID/U/SID/D octet is missing.
    case truncatedLayerIndices
    /// L = 1 in non-flexible mode but the TL0PICIDX octet is missing.
    case truncatedTL0PicIndex
    /// F = 1 and P = 1 but a P_DIFF octet is missing (the previous one had N = 1, or there is none).
    case truncatedReferences
    /// A fourth P_DIFF announced by N = 1 on the third; §4.2 allows at most three.
    case tooManyReferences
    /// F = 1 with I = 0: flexible mode requires the picture ID (its references are relative to it).
    case flexibleModeWithoutPictureID
    /// V = 1 but the scalability structure is cut short (which part is named).
    case truncatedScalabilityStructure(VP9ScalabilityStructure.Part)
    /// The descriptor is not followed by any VP9 payload data.
    case noPayloadData
}
