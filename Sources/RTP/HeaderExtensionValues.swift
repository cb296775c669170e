/// The media identification value carried in the `urn:ietf:params:rtp-hdrext:sdes:mid`
/// extension (RFC 8843 §15, RFC 7941): the MID of the m= section, as UTF-8 text.
public struct MIDHeaderExtension: Sendable, Hashable {
    public static let uri = "urn:ietf:params:rtp-hdrext:sdes:mid"

    public var mid: String

    public init(mid: String) {
        self.mid = mid
    }

    /// Decodes element data; it must be non-empty UTF-8.
    public init(parsing data: [UInt8]) throws(RTPParseError) {
        guard !data.isEmpty, let text = String(validating: data, as: UTF8.self) else {
            throw .invalidMID
        }
        self.mid = text
    }

    /// The element data (the MID's UTF-8 bytes).
    public var data: [UInt8] { Array(mid.utf8) }
}

/// The abs-send-time extension value: send time in seconds as 6.18 fixed point, 24 bits,
/// wrapping every 64 s (http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time).
public struct AbsSendTime: Sendable, Hashable {
    public static let uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

    /// The 24-bit 6.18 fixed-point value; the upper 8 bits are always zero.
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue & 0xFF_FFFF
    }

    /// The value for a time in microseconds (any epoch): floor(t · 2^18 / 10^6) mod 2^24.
    public init(microseconds: Int64) {
        // Reduce modulo 64 s first so the multiplication cannot overflow.
        let period: Int64 = 64_000_000
        var reduced = microseconds % period
        if reduced < 0 { reduced += period }
        self.init(rawValue: UInt32(truncatingIfNeeded: (reduced << 18) / 1_000_000))
    }

    /// Decodes the 3-byte element data.
    public init(parsing data: [UInt8]) throws(RTPParseError) {
        guard data.count == 3 else { throw .invalidExtensionValueLength(expected: 3, actual: data.count) }
        self.init(rawValue: UInt32(data[0]) << 16 | UInt32(data[1]) << 8 | UInt32(data[2]))
    }

    /// The time this value stands for within its 64 s period, in microseconds (rounded down).
    public var microseconds: Int64 { (Int64(rawValue) * 1_000_000) >> 18 }

    /// The 3-byte element data.
    public var data: [UInt8] {
        [UInt8(truncatingIfNeeded: rawValue >> 16), UInt8(truncatingIfNeeded: rawValue >> 8),
         UInt8(truncatingIfNeeded: rawValue)]
    }
}

/// The transport-wide sequence number extension value, 16 bits
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2).
public struct TransportSequenceNumber: Sendable, Hashable {
    public static let uri = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

    public var value: UInt16

    public init(_ value: UInt16) {
        self.value = value
    }

    /// Decodes the 2-byte element data.
    public init(parsing data: [UInt8]) throws(RTPParseError) {
        guard data.count == 2 else { throw .invalidExtensionValueLength(expected: 2, actual: data.count) }
        self.value = UInt16(data[0]) << 8 | UInt16(data[1])
    }

    /// The 2-byte element data.
    public var data: [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
}
