/// Why bytes are not a valid RTCP packet or compound packet (RFC 3550 §6.4, RFC 4585 §6,
/// RFC 5104 §4.3, draft-alvestrand-rmcat-remb-03, draft-holmer-rmcat-transport-wide-cc-extensions-01).
public enum RTCPParseError: Error, Hashable, Sendable {
    /// No bytes at all where a (compound) packet was expected.
    case empty
    /// Fewer than the 4 bytes of a common header at this offset.
    case truncatedHeader(offset: Int)
    /// The version field is not 2.
    case unsupportedVersion(UInt8)
    /// The length field claims more bytes than remain (lengths in bytes, including the header).
    case lengthExceedsData(declared: Int, available: Int)
    /// A single-packet parse got bytes after the packet the length field describes.
    case trailingBytes(count: Int)
    /// A single-packet parse found another packet type or feedback format than expected.
    case unexpectedPacketType(packetType: UInt8, format: UInt8)
    /// The P bit is set on a packet that is not the last of the compound (RFC 3550 §6.4.1, A.2).
    case paddingNotInLastPacket(offset: Int)
    /// The padding count is zero or larger than the packet's payload.
    case invalidPadding(paddingLength: Int, available: Int)
    /// The body is shorter than the fixed part of this packet type requires.
    case truncatedBody(packetType: UInt8, length: Int)
    /// The count field (reports, sources, chunks) does not match the body's size.
    case countMismatch(packetType: UInt8, count: Int)
    /// Extra bytes where the format allows none.
    case unexpectedBytes(packetType: UInt8, count: Int)
    /// A feedback message's FCI has a size its format does not allow (RFC 4585 §6.1).
    case invalidFCILength(packetType: UInt8, format: UInt8, length: Int)
    /// An SDES chunk's item list runs past the packet or lacks its terminating null item.
    case malformedSDESChunk(index: Int)
    /// A BYE reason runs past the packet.
    case truncatedByeReason
    /// A PSFB FMT 15 message without the 'REMB' identifier (draft-alvestrand-rmcat-remb-03 §2.2).
    case missingREMBIdentifier
    /// A REMB bitrate whose mantissa << exponent does not fit in 64 bits.
    case rembBitrateOverflow(exponent: UInt8, mantissa: UInt32)
    /// Transport-cc packet chunks end before `packet status count` statuses are described.
    case transportFeedbackChunksTruncated(statusCount: Int, described: Int)
    /// Transport-cc receive deltas end before every received packet has one.
    case transportFeedbackDeltasTruncated(needed: Int, available: Int)
    /// A transport-cc status symbol 11 (reserved) in a run-length or two-bit vector chunk.
    case transportFeedbackReservedSymbol(sequenceNumber: UInt16)
}
