/// The VP8 payload descriptor that starts every VP8 RTP payload (RFC 7741 §4.2).
///
/// ```
///       0 1 2 3 4 5 6 7
///      +-+-+-+-+-+-+-+-+
///      |X|R|N|S|R| PID | (REQUIRED)
///      +-+-+-+-+-+-+-+-+
/// X:   |I|L|T|K| RSV   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// I:   |M| PictureID   | (OPTIONAL, 7 or 15 bits)
///      +-+-+-+-+-+-+-+-+
///      |   PictureID   |
///      +-+-+-+-+-+-+-+-+
/// L:   |   TL0PICIDX   | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// T/K: |TID|Y| KEYIDX  | (OPTIONAL)
///      +-+-+-+-+-+-+-+-+
/// ```
public struct VP8PayloadDescriptor: Sendable, Hashable {
    /// A PictureID and whether it is written in the 15-bit (M = 1) or 7-bit form.
    public enum PictureID: Sendable, Hashable {
        case short(UInt8)   // 7 bits
        case long(UInt16)   // 15 bits

        /// The numeric value (7 or 15 bits).
        public var value: UInt16 {
            switch self {
            case .short(let v): UInt16(v & 0x7F)
            case .long(let v): v & 0x7FFF
            }
        }

        /// Its size on the wire: 1 octet (M = 0) or 2 (M = 1), the same in VP8 and VP9 descriptors.
        public var size: Int {
            if case .short = self { return 1 }
            return 2
        }

        /// Appends the 1 or 2 octets (M bit set on the long form).
        public func write(to out: inout [UInt8]) {
            switch self {
            case .short(let v): out.append(v & 0x7F)
            case .long(let v):
                out.append(0x80 | UInt8(truncatingIfNeeded: (v >> 8) & 0x7F))
                out.append(UInt8(truncatingIfNeeded: v))
            }
        }
    }

    /// N: the frame is not used as a reference by any other frame.
    public var isNonReference: Bool
    /// S: this payload starts a VP8 partition.
    public var isPartitionStart: Bool
    /// PID: the index of the partition this payload starts or continues (0–7).
    public var partitionIndex: UInt8
    public var pictureID: PictureID?
    /// TL0PICIDX (L bit); RFC 7741 requires T whenever L is set.
    public var tl0PicIndex: UInt8?
    /// TID (T bit) with its Y (layer sync) flag.
    public var temporalLayerID: UInt8?
    public var layerSync: Bool
    /// KEYIDX (K bit), 5 bits.
    public var keyIndex: UInt8?

    public init(isNonReference: Bool = false, isPartitionStart: Bool, partitionIndex: UInt8 = 0,
                pictureID: PictureID? = nil, tl0PicIndex: UInt8? = nil, temporalLayerID: UInt8? = nil,
                layerSync: Bool = false, keyIndex: UInt8? = nil) {
        self.isNonReference = isNonReference
        self.isPartitionStart = isPartitionStart
        self.partitionIndex = partitionIndex & 0x07
        self.pictureID = pictureID
        self.tl0PicIndex = tl0PicIndex
        self.temporalLayerID = temporalLayerID.map { $0 & 0x03 }
        self.layerSync = layerSync
        self.keyIndex = keyIndex.map { $0 & 0x1F }
    }

    /// True for the payload that begins a frame: S = 1 and PID = 0 (RFC 7741 §4.2).
    public var startsFrame: Bool { isPartitionStart && partitionIndex == 0 }

    private var hasExtension: Bool {
        pictureID != nil || tl0PicIndex != nil || temporalLayerID != nil || keyIndex != nil
    }

    /// Serialized size in bytes (1 to 6).
    public var size: Int {
        guard hasExtension else { return 1 }
        var n = 2
        n += pictureID?.size ?? 0
        if tl0PicIndex != nil { n += 1 }
        if temporalLayerID != nil || keyIndex != nil { n += 1 }
        return n
    }

    /// Appends the descriptor. A TL0PICIDX without a TID is written with TID 0, as §4.2 requires T.
    public func write(to out: inout [UInt8]) {
        let x = hasExtension
        out.append((x ? 0x80 : 0) | (isNonReference ? 0x20 : 0) | (isPartitionStart ? 0x10 : 0)
                   | (partitionIndex & 0x07))
        guard x else { return }
        let t = temporalLayerID != nil || tl0PicIndex != nil
        let k = keyIndex != nil
        out.append((pictureID != nil ? 0x80 : 0) | (tl0PicIndex != nil ? 0x40 : 0) | (t ? 0x20 : 0)
                   | (k ? 0x10 : 0))
        pictureID?.write(to: &out)
        if let tl0PicIndex { out.append(tl0PicIndex) }
        if t || k {
            out.append(((temporalLayerID ?? 0) & 0x03) << 6 | (layerSync ? 0x20 : 0) | ((keyIndex ?? 0) & 0x1F))
        }
    }

    /// The descriptor as bytes.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size)
        write(to: &out)
        return out
    }

    /// Parses the descriptor at the start of `payload`; returns it and its length in bytes.
    /// Throws when the descriptor is cut short, inconsistent, or followed by no VP8 data.
    public static func parse(_ payload: ArraySlice<UInt8>)
        throws(VP8PayloadDescriptorParseError) -> (descriptor: VP8PayloadDescriptor, length: Int) {
        var index = payload.startIndex
        func next(_ missing: VP8PayloadDescriptorParseError) throws(VP8PayloadDescriptorParseError) -> UInt8 {
            guard index < payload.endIndex else { throw missing }
            defer { index += 1 }
            return payload[index]
        }
        let first = try next(.empty)
        var descriptor = VP8PayloadDescriptor(isNonReference: first & 0x20 != 0,
                                              isPartitionStart: first & 0x10 != 0,
                                              partitionIndex: first & 0x07)
        if first & 0x80 != 0 {
            let ext = try next(.truncatedExtension)
            let i = ext & 0x80 != 0, l = ext & 0x40 != 0, t = ext & 0x20 != 0, k = ext & 0x10 != 0
            if l && !t { throw .tl0PicIndexWithoutTemporalLayer }
            if i {
                let high = try next(.truncatedPictureID)
                if high & 0x80 != 0 {
                    let low = try next(.truncatedPictureID)
                    descriptor.pictureID = .long(UInt16(high & 0x7F) << 8 | UInt16(low))
                } else {
                    descriptor.pictureID = .short(high)
                }
            }
            if l { descriptor.tl0PicIndex = try next(.truncatedTL0PicIndex) }
            if t || k {
                let byte = try next(.truncatedTemporalLayer)
                if t {
                    descriptor.temporalLayerID = byte >> 6
                    descriptor.layerSync = byte & 0x20 != 0
                }
                if k { descriptor.keyIndex = byte & 0x1F }
            }
        }
        guard index < payload.endIndex else { throw .noPayloadData }
        return (descriptor, index - payload.startIndex)
    }
}

/// Why a VP8 RTP payload descriptor (RFC 7741 §4.2) could not be parsed.
public enum VP8PayloadDescriptorParseError: Error, Sendable, Hashable {
    /// The payload has no bytes at all.
    case empty
    /// X = 1 but the extension octet is missing.
    case truncatedExtension
    /// I = 1 but the PictureID (1 or 2 bytes, per M) is cut short.
    case truncatedPictureID
    /// L = 1 but the TL0PICIDX octet is missing.
    case truncatedTL0PicIndex
    /// T or K = 1 but the TID/Y/KEYIDX octet is missing.
    case truncatedTemporalLayer
    /// L = 1 with T = 0, which §4.2 forbids.
    case tl0PicIndexWithoutTemporalLayer
    /// The descriptor is not followed by any VP8 payload data.
    case noPayloadData
}
