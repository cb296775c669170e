/// An SDES item type (RFC 3550 §6.5).
public struct SDESItemType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Canonical end-point identifier (§6.5.1).
    public static let cname = SDESItemType(rawValue: 1)
    public static let name = SDESItemType(rawValue: 2)
    public static let email = SDESItemType(rawValue: 3)
    public static let phone = SDESItemType(rawValue: 4)
    public static let location = SDESItemType(rawValue: 5)
    public static let tool = SDESItemType(rawValue: 6)
    public static let note = SDESItemType(rawValue: 7)
    /// Private extension (§6.5.8); its value holds the prefix length, prefix and value.
    public static let privateExtension = SDESItemType(rawValue: 8)
}

/// One SDES item: a type and up to 255 bytes of value (UTF-8 text for the standard types).
public struct SDESItem: Sendable, Hashable {
    public var type: SDESItemType
    public var value: [UInt8]

    public init(type: SDESItemType, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    public init(type: SDESItemType, text: String) {
        self.init(type: type, value: Array(text.utf8))
    }

    /// The value as text, with invalid UTF-8 replaced.
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// One SDES chunk: a source and its items (RFC 3550 §6.5).
public struct SDESChunk: Sendable, Hashable {
    /// The SSRC or CSRC described.
    public var source: UInt32
    public var items: [SDESItem]

    public init(source: UInt32, items: [SDESItem]) {
        self.source = source
        self.items = items
    }

    /// The first CNAME item's text.
    public var cname: String? { items.first(where: { $0.type == .cname })?.text }

    /// Serialized size: SSRC, items, at least one null octet, rounded up to 32 bits.
    var size: Int {
        let itemBytes = items.reduce(0) { $0 + 2 + min($1.value.count, 255) }
        return (4 + itemBytes + 1 + 3) / 4 * 4
    }
}

/// RTCP source description, PT 202 (RFC 3550 §6.5): chunks of items, each chunk ended by
/// null octets up to the next 32-bit boundary.
public struct SourceDescription: Sendable, Hashable {
    /// The chunks; at most 31 are written.
    public var chunks: [SDESChunk]

    public init(chunks: [SDESChunk]) {
        self.chunks = chunks
    }

    /// A single chunk carrying a CNAME, the common case.
    public init(source: UInt32, cname: String) {
        self.init(chunks: [SDESChunk(source: source, items: [SDESItem(type: .cname, text: cname)])])
    }

    /// Parses exactly one SDES packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> SourceDescription {
        try SourceDescription(RTCPFrame.single(bytes, packetType: RTCPPacketType.sourceDescription))
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        var reader = ByteReader(frame.body)
        let count = Int(frame.header.count)
        var chunks: [SDESChunk] = []
        for index in 0..<count {
            guard reader.remaining >= 4 else {
                throw .countMismatch(packetType: RTCPPacketType.sourceDescription, count: count)
            }
            let source = reader.u32()
            var items: [SDESItem] = []
            while true {
                guard reader.remaining >= 1 else { throw .malformedSDESChunk(index: index) }
                let type = reader.u8()
                if type == 0 { break }
                guard reader.remaining >= 1 else { throw .malformedSDESChunk(index: index) }
                let length = Int(reader.u8())
                guard reader.remaining >= length else { throw .malformedSDESChunk(index: index) }
                items.append(SDESItem(type: SDESItemType(rawValue: type), value: Array(reader.take(length))))
            }
            // Skip the remaining null octets up to the chunk's 32-bit boundary.
            let misalignment = reader.offset % 4
            if misalignment != 0 { reader.skip(min(4 - misalignment, reader.remaining)) }
            chunks.append(SDESChunk(source: source, items: items))
        }
        guard reader.remaining == 0 else {
            throw .unexpectedBytes(packetType: RTCPPacketType.sourceDescription, count: reader.remaining)
        }
        self.chunks = chunks
    }

    private var writtenChunks: ArraySlice<SDESChunk> { chunks.prefix(31) }

    /// The serialized size in bytes.
    public var size: Int { 4 + writtenChunks.reduce(0) { $0 + $1.size } }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: UInt8(writtenChunks.count), packetType: RTCPPacketType.sourceDescription,
                             bodySize: size - 4)
        for chunk in writtenChunks {
            let start = out.count
            out.appendU32(chunk.source)
            for item in chunk.items {
                let value = item.value.prefix(255)
                out.append(item.type.rawValue)
                out.append(UInt8(value.count))
                out.append(contentsOf: value)
            }
            out.append(0)
            while (out.count - start) % 4 != 0 { out.append(0) }
        }
    }
}
