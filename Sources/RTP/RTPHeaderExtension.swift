/// One RFC 8285 header extension element: a local identifier and its data.
public struct RTPExtensionElement: Sendable, Hashable {
    /// 1–14 in the one-byte form, 1–255 in the two-byte form.
    public var id: UInt8
    public var data: [UInt8]

    public init(id: UInt8, data: [UInt8]) {
        self.id = id
        self.data = data
    }
}

/// The RTP header extension block (RFC 3550 §5.3.1) with RFC 8285 element access.
///
/// The block is kept as raw bytes so forwarding costs nothing; `elements()` decodes the
/// one-byte (profile 0xBEDE, RFC 8285 §4.2) or two-byte (profile 0x100 + appbits, §4.3) form.
public struct RTPHeaderExtension: Sendable, Hashable {
    /// The "defined by profile" field: 0xBEDE, 0x1000–0x100F, or anything else for other profiles.
    public var profile: UInt16
    /// The extension data; serialization pads it with zero bytes to a multiple of four.
    public var data: [UInt8]

    /// The one-byte form's profile value (RFC 8285 §4.2).
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The two-byte form's profile value with appbits 0 (RFC 8285 §4.3).
    public static let twoByteProfile: UInt16 = 0x1000

    /// The RFC 8285 form the profile field announces.
    public enum Form: Sendable, Hashable {
        case oneByte
        /// The two-byte form and its 4 application bits.
        case twoByte(appBits: UInt8)
    }

    public init(profile: UInt16, data: [UInt8]) {
        self.profile = profile
        self.data = data
    }

    /// Builds a block from elements: the one-byte form when every ID is 1–14 and every data
    /// length 1–16 (RFC 8285 §4.2), otherwise the two-byte form (§4.3). Nil when an ID is 0 or
    /// an element's data exceeds 255 bytes.
    public init?(elements: [RTPExtensionElement]) {
        let fitsOneByte = elements.allSatisfy { (1...14).contains($0.id) && (1...16).contains($0.data.count) }
        if fitsOneByte {
            var data: [UInt8] = []
            for element in elements {
                data.append(element.id << 4 | UInt8(element.data.count - 1))
                data.append(contentsOf: element.data)
            }
            self.init(profile: Self.oneByteProfile, data: data)
            return
        }
        guard elements.allSatisfy({ $0.id != 0 && $0.data.count <= 255 }) else { return nil }
        var data: [UInt8] = []
        for element in elements {
            data.append(element.id)
            data.append(UInt8(element.data.count))
            data.append(contentsOf: element.data)
        }
        self.init(profile: Self.twoByteProfile, data: data)
    }

    /// The RFC 8285 form, or nil for a block defined by another profile.
    public var form: Form? {
        if profile == Self.oneByteProfile { return .oneByte }
        if profile & 0xFFF0 == Self.twoByteProfile { return .twoByte(appBits: UInt8(profile & 0x0F)) }
        return nil
    }

    /// Serialized size: 4-byte block header plus data rounded up to 32 bits (at most 65535 words
    /// of data are written).
    public var size: Int { 4 + 4 * words }

    private var words: Int { min((data.count + 3) / 4, Int(UInt16.max)) }

    func write(to out: inout [UInt8]) {
        out.appendU16(profile)
        out.appendU16(UInt16(words))
        out.append(contentsOf: data.prefix(words * 4))
        out.append(contentsOf: repeatElement(0, count: words * 4 - min(data.count, words * 4)))
    }

    /// Decodes the RFC 8285 elements in order. Padding bytes (ID 0) are skipped; in the one-byte
    /// form ID 15 ends parsing (RFC 8285 §4.2).
    public func elements() throws(RTPParseError) -> [RTPExtensionElement] {
        guard let form else { throw .notRFC8285Extension(profile: profile) }
        var result: [RTPExtensionElement] = []
        var reader = ByteReader(data[...])
        switch form {
        case .oneByte:
            while reader.remaining > 0 {
                let start = reader.offset
                let byte = reader.u8()
                let id = byte >> 4
                if id == 0 { continue }
                if id == 15 { break }
                let length = Int(byte & 0x0F) + 1
                guard reader.remaining >= length else { throw .malformedExtensionElement(offset: start) }
                result.append(RTPExtensionElement(id: id, data: Array(reader.take(length))))
            }
        case .twoByte:
            while reader.remaining > 0 {
                let start = reader.offset
                let id = reader.u8()
                if id == 0 { continue }
                guard reader.remaining >= 1 else { throw .malformedExtensionElement(offset: start) }
                let length = Int(reader.u8())
                guard reader.remaining >= length else { throw .malformedExtensionElement(offset: start) }
                result.append(RTPExtensionElement(id: id, data: Array(reader.take(length))))
            }
        }
        return result
    }

    /// The data of the first element with this ID; nil when absent or the block is malformed.
    public func element(id: UInt8) -> [UInt8]? {
        guard let all = try? elements() else { return nil }
        return all.first(where: { $0.id == id })?.data
    }

    /// Replaces (or adds) the element with this ID and re-encodes the block, switching to the
    /// two-byte form when needed. Returns false, changing nothing, when the block is not RFC 8285
    /// or the element cannot be encoded.
    @discardableResult
    public mutating func setElement(id: UInt8, data newData: [UInt8]) -> Bool {
        guard var all = try? elements() else { return false }
        if let index = all.firstIndex(where: { $0.id == id }) {
            all[index].data = newData
        } else {
            all.append(RTPExtensionElement(id: id, data: newData))
        }
        guard let rebuilt = RTPHeaderExtension(elements: all) else { return false }
        self = rebuilt
        return true
    }

    /// Removes every element with this ID. Returns false when the block is not RFC 8285.
    @discardableResult
    public mutating func removeElement(id: UInt8) -> Bool {
        guard var all = try? elements() else { return false }
        all.removeAll { $0.id == id }
        guard let rebuilt = RTPHeaderExtension(elements: all) else { return false }
        self = rebuilt
        return true
    }
}
