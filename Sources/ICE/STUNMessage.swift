/// Why bytes are not a STUN message (RFC 8489 §5, §14).
public enum STUNParseError: Error, Hashable, Sendable {
    /// Fewer than the 20 header bytes, or fewer than the header's length says.
    case truncated(needed: Int, available: Int)
    /// The two most significant bits of the type are not zero (§5): not STUN.
    case notSTUN
    /// The magic cookie is not 0x2112A442 (§5): classic RFC 3489 STUN or not STUN at all.
    case badMagicCookie(UInt32)
    /// The length field is not a multiple of 4.
    case lengthNotMultipleOfFour(Int)
    /// More bytes follow the message than its length field says.
    case trailingBytes(Int)
    /// An attribute's length runs past the end of the message.
    case attributeOverrun(type: UInt16, length: Int)
    /// An attribute value that is malformed for its type.
    case malformedAttribute(type: UInt16, reason: String)
    /// FINGERPRINT present but not the last attribute (§14.7).
    case fingerprintNotLast
}

/// A STUN message class (RFC 8489 §5).
public enum STUNClass: UInt8, Hashable, Sendable {
    case request = 0, indication = 1, successResponse = 2, errorResponse = 3
}

/// A STUN attribute: type and raw value (unpadded). Typed views are on `STUNMessage`.
public struct STUNAttribute: Hashable, Sendable {
    public var type: UInt16
    public var value: [UInt8]
    public init(type: UInt16, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let unknownAttributes: UInt16 = 0x000A
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A

    /// Comprehension-required attributes are 0x0000–0x7FFF (RFC 8489 §14).
    public var isComprehensionRequired: Bool { type < 0x8000 }
}

/// A STUN message (RFC 8489 §5): method, class, transaction ID and attributes in order.
///
/// Parsing keeps the raw bytes and each attribute's offset, so MESSAGE-INTEGRITY and FINGERPRINT
/// are verified over exactly what arrived, never over a re-serialization.
public struct STUNMessage: Hashable, Sendable {
    public var method: UInt16
    public var messageClass: STUNClass
    public var transactionID: [UInt8]
    public var attributes: [STUNAttribute]

    /// The bytes this message was parsed from, and where each attribute's header starts.
    public private(set) var raw: [UInt8] = []
    private var offsets: [Int] = []

    public static let magicCookie: UInt32 = 0x2112_A442
    public static let bindingMethod: UInt16 = 0x001

    public init(method: UInt16 = STUNMessage.bindingMethod, messageClass: STUNClass, transactionID: [UInt8],
                attributes: [STUNAttribute] = []) {
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// The 16-bit message type: method bits M0–M11 interleaved with class bits C0, C1 (§5).
    public var messageType: UInt16 {
        let c = UInt16(messageClass.rawValue)
        let m = method & 0x0FFF
        return (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7)
    }

    /// Parses one STUN message that fills `bytes` exactly.
    public static func parse(_ bytes: [UInt8]) throws(STUNParseError) -> STUNMessage {
        guard bytes.count >= 20 else { throw .truncated(needed: 20, available: bytes.count) }
        let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard type & 0xC000 == 0 else { throw .notSTUN }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        let cookie = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
        guard cookie == magicCookie else { throw .badMagicCookie(cookie) }
        guard length % 4 == 0 else { throw .lengthNotMultipleOfFour(length) }
        guard bytes.count >= 20 + length else { throw .truncated(needed: 20 + length, available: bytes.count) }
        guard bytes.count == 20 + length else { throw .trailingBytes(bytes.count - 20 - length) }

        let c = UInt8((type >> 4) & 1) | UInt8((type >> 7) & 2)
        let method = (type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80)
        var message = STUNMessage(method: method, messageClass: STUNClass(rawValue: c) ?? .request,
                                  transactionID: Array(bytes[8..<20]))
        var offset = 20
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .truncated(needed: offset + 4, available: bytes.count) }
            let attrType = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let attrLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let padded = (attrLength + 3) & ~3
            guard bytes.count - offset - 4 >= padded else {
                throw .attributeOverrun(type: attrType, length: attrLength)
            }
            if message.attributes.last?.type == STUNAttribute.fingerprint { throw .fingerprintNotLast }
            message.attributes.append(STUNAttribute(type: attrType, value: Array(bytes[(offset + 4)..<(offset + 4 + attrLength)])))
            message.offsets.append(offset)
            offset += 4 + padded
        }
        message.raw = bytes
        return message
    }

    /// The first attribute of a type.
    public func attribute(_ type: UInt16) -> STUNAttribute? { attributes.first { $0.type == type } }

    /// Comprehension-required attribute types this implementation does not know (§6.3.1).
    public var unknownComprehensionRequired: [UInt16] {
        let known: Set<UInt16> = [STUNAttribute.mappedAddress, STUNAttribute.username, STUNAttribute.messageIntegrity,
                                  STUNAttribute.errorCode, STUNAttribute.unknownAttributes, STUNAttribute.xorMappedAddress,
                                  STUNAttribute.priority, STUNAttribute.useCandidate]
        return attributes.filter { $0.isComprehensionRequired && !known.contains($0.type) }.map(\.type)
    }

    // MARK: Serializing

    /// The message as bytes, without integrity or fingerprint. `paddingByte` fills attribute
    /// padding (RFC 8489 §14: any value; receivers ignore it).
    public func serialize(paddingByte: UInt8 = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20 + attributes.reduce(0) { $0 + 4 + ($1.value.count + 3) & ~3 } + 32)
        out += [UInt8(messageType >> 8), UInt8(messageType & 0xFF), 0, 0]
        out += [0x21, 0x12, 0xA4, 0x42]
        out += transactionID.count == 12 ? transactionID : [UInt8](repeating: 0, count: 12)
        for attribute in attributes { Self.append(attribute, to: &out, padding: paddingByte) }
        Self.setLength(&out, out.count - 20)
        return out
    }

    /// The message with MESSAGE-INTEGRITY (HMAC-SHA1 keyed with `key`, §14.5) and FINGERPRINT (§14.7).
    public func serialize(integrityKey key: [UInt8]?, fingerprint: Bool = true, paddingByte: UInt8 = 0) -> [UInt8] {
        var out = serialize(paddingByte: paddingByte)
        if let key {
            Self.setLength(&out, out.count - 20 + 24)
            let mac = STUNCrypto.hmacSHA1(key: key, message: out)
            Self.append(STUNAttribute(type: STUNAttribute.messageIntegrity, value: mac), to: &out)
        }
        if fingerprint {
            Self.setLength(&out, out.count - 20 + 8)
            let crc = STUNCrypto.crc32(out) ^ 0x5354_554E
            Self.append(STUNAttribute(type: STUNAttribute.fingerprint,
                                      value: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]),
                        to: &out)
        }
        Self.setLength(&out, out.count - 20)
        return out
    }

    private static func append(_ attribute: STUNAttribute, to out: inout [UInt8], padding: UInt8 = 0) {
        let length = min(attribute.value.count, 0xFFFF)
        out += [UInt8(attribute.type >> 8), UInt8(attribute.type & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
        out += attribute.value.prefix(length)
        out += [UInt8](repeating: padding, count: (4 - length % 4) % 4)
    }

    private static func setLength(_ out: inout [UInt8], _ length: Int) {
        out[2] = UInt8(truncatingIfNeeded: length >> 8)
        out[3] = UInt8(truncatingIfNeeded: length)
    }

    // MARK: Verifying (over the received bytes)

    /// Whether MESSAGE-INTEGRITY is present and matches `key` (for ICE: the password, §9.2.2).
    public func verifyIntegrity(key: [UInt8]) -> Bool {
        guard let index = attributes.firstIndex(where: { $0.type == STUNAttribute.messageIntegrity }),
              attributes[index].value.count == 20, index < offsets.count else { return false }
        let offset = offsets[index]
        var covered = Array(raw[0..<offset])
        Self.setLength(&covered, offset - 20 + 24)
        return STUNCrypto.constantTimeEqual(STUNCrypto.hmacSHA1(key: key, message: covered), attributes[index].value)
    }

    /// Whether FINGERPRINT is present, last, and matches the CRC-32 of what precedes it.
    public func verifyFingerprint() -> Bool {
        guard let last = attributes.last, last.type == STUNAttribute.fingerprint, last.value.count == 4,
              let offset = offsets.last else { return false }
        var covered = Array(raw[0..<offset])
        Self.setLength(&covered, offset - 20 + 8)
        let expected = STUNCrypto.crc32(covered) ^ 0x5354_554E
        let got = UInt32(last.value[0]) << 24 | UInt32(last.value[1]) << 16 | UInt32(last.value[2]) << 8 | UInt32(last.value[3])
        return expected == got
    }
}
