/// Why bytes are not a valid RTP packet (RFC 3550 §5.1) or header extension (RFC 8285).
public enum RTPParseError: Error, Hashable, Sendable {
    /// Fewer than the 12 bytes of the fixed header.
    case truncatedHeader(length: Int)
    /// The version field is not 2.
    case unsupportedVersion(UInt8)
    /// The CC field names more CSRCs than the bytes hold.
    case truncatedCSRCList(csrcCount: Int, available: Int)
    /// The header extension (RFC 3550 §5.3.1) is longer than the bytes that follow the CSRCs.
    case truncatedExtension(declared: Int, available: Int)
    /// The padding count (last byte) is zero or larger than the bytes after the header.
    case invalidPadding(paddingLength: Int, available: Int)
    /// An RFC 8285 element runs past the end of the extension block (offset within the block).
    case malformedExtensionElement(offset: Int)
    /// The extension block is not in RFC 8285 one-byte (0xBEDE) or two-byte (0x100x) form.
    case notRFC8285Extension(profile: UInt16)
    /// A typed extension value (abs-send-time, transport-cc sequence number, MID) has the wrong size.
    case invalidExtensionValueLength(expected: Int, actual: Int)
    /// A MID value is empty or not valid UTF-8.
    case invalidMID
}
