public import SansIO

extension STUNMessage {
    /// USERNAME (§14.3) as UTF-8 text.
    public var username: String? {
        attribute(STUNAttribute.username).map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// PRIORITY (RFC 8445 §16.1).
    public var priority: UInt32? {
        guard let v = attribute(STUNAttribute.priority)?.value, v.count == 4 else { return nil }
        return UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3])
    }

    /// USE-CANDIDATE present (RFC 8445 §7.1.2).
    public var useCandidate: Bool { attribute(STUNAttribute.useCandidate) != nil }

    /// ICE-CONTROLLING tie-breaker, if present.
    public var iceControlling: UInt64? { attribute(STUNAttribute.iceControlling).flatMap { Self.uint64($0.value) } }
    /// ICE-CONTROLLED tie-breaker, if present.
    public var iceControlled: UInt64? { attribute(STUNAttribute.iceControlled).flatMap { Self.uint64($0.value) } }

    /// SOFTWARE (§14.14) text.
    public var software: String? {
        attribute(STUNAttribute.software).map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// ERROR-CODE (§14.8): code (300–699) and reason phrase.
    public var errorCode: (code: Int, reason: String)? {
        guard let v = attribute(STUNAttribute.errorCode)?.value, v.count >= 4 else { return nil }
        return (Int(v[2] & 0x07) * 100 + Int(v[3]), String(decoding: v[4...], as: UTF8.self))
    }

    /// XOR-MAPPED-ADDRESS (§14.2), decoded with this message's transaction ID.
    public var xorMappedAddress: TransportAddress? {
        guard let v = attribute(STUNAttribute.xorMappedAddress)?.value else { return nil }
        return try? Self.decodeXORAddress(v, transactionID: transactionID)
    }

    /// MAPPED-ADDRESS (§14.1).
    public var mappedAddress: TransportAddress? {
        guard let v = attribute(STUNAttribute.mappedAddress)?.value, v.count >= 8 else { return nil }
        let port = UInt16(v[2]) << 8 | UInt16(v[3])
        switch (v[1], v.count) {
        case (1, 8): return TransportAddress(ip: .v4(v[4], v[5], v[6], v[7]), port: port)
        case (2, 20): return TransportAddress(ip: .v6(Array(v[4..<20])), port: port)
        default: return nil
        }
    }

    // MARK: Building attribute values

    public static func usernameAttribute(_ text: String) -> STUNAttribute {
        STUNAttribute(type: STUNAttribute.username, value: Array(text.utf8))
    }

    public static func priorityAttribute(_ priority: UInt32) -> STUNAttribute {
        STUNAttribute(type: STUNAttribute.priority, value: bytes(of: priority))
    }

    public static func iceControllingAttribute(_ tieBreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: STUNAttribute.iceControlling, value: bytes(of: tieBreaker))
    }

    public static func iceControlledAttribute(_ tieBreaker: UInt64) -> STUNAttribute {
        STUNAttribute(type: STUNAttribute.iceControlled, value: bytes(of: tieBreaker))
    }

    public static var useCandidateAttribute: STUNAttribute { STUNAttribute(type: STUNAttribute.useCandidate, value: []) }

    /// ERROR-CODE: class = code / 100, number = code % 100 (§14.8).
    public static func errorCodeAttribute(_ code: Int, reason: String) -> STUNAttribute {
        STUNAttribute(type: STUNAttribute.errorCode,
                      value: [0, 0, UInt8(truncatingIfNeeded: code / 100) & 0x07, UInt8(truncatingIfNeeded: code % 100)]
                          + Array(reason.utf8.prefix(763)))
    }

    /// XOR-MAPPED-ADDRESS for `address` in a message with `transactionID` (§14.2).
    public static func xorMappedAddressAttribute(_ address: TransportAddress, transactionID: [UInt8]) -> STUNAttribute {
        let cookie = bytes(of: STUNMessage.magicCookie)
        let xport = address.port ^ UInt16(STUNMessage.magicCookie >> 16)
        var value: [UInt8] = [0, 0, UInt8(xport >> 8), UInt8(xport & 0xFF)]
        let ip = address.ipBytes
        let mask = cookie + transactionID
        value[1] = ip.count == 4 ? 1 : 2
        for i in 0..<ip.count { value.append(ip[i] ^ mask[i % mask.count]) }
        return STUNAttribute(type: STUNAttribute.xorMappedAddress, value: value)
    }

    static func decodeXORAddress(_ v: [UInt8], transactionID: [UInt8]) throws(STUNParseError) -> TransportAddress {
        guard v.count >= 4 else { throw .malformedAttribute(type: STUNAttribute.xorMappedAddress, reason: "shorter than 4 bytes") }
        let port = (UInt16(v[2]) << 8 | UInt16(v[3])) ^ UInt16(STUNMessage.magicCookie >> 16)
        let mask = bytes(of: STUNMessage.magicCookie) + transactionID
        switch (v[1], v.count) {
        case (1, 8):
            return TransportAddress(ip: .v4(v[4] ^ mask[0], v[5] ^ mask[1], v[6] ^ mask[2], v[7] ^ mask[3]), port: port)
        case (2, 20) where mask.count == 16:
            return TransportAddress(ip: .v6((0..<16).map { v[4 + $0] ^ mask[$0] }), port: port)
        default:
            throw .malformedAttribute(type: STUNAttribute.xorMappedAddress, reason: "family \(v[1]) with \(v.count) bytes")
        }
    }

    private static func uint64(_ v: [UInt8]) -> UInt64? {
        guard v.count == 8 else { return nil }
        return v.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static func bytes<T: FixedWidthInteger>(of value: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
