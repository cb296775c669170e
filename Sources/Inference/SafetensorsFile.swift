import Foundation

/// Element types a safetensors header may name (the format's `dtype` strings). Only `F32` tensors
/// can be read as numbers here; the others are recognised so that a file holding them is parsed
/// (and its offsets checked) and then rejected by name, not as garbage.
public enum SafetensorsDType: String, Sendable, Hashable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8", i8 = "I8", f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"
    case u16 = "U16", i16 = "I16", f16 = "F16", bf16 = "BF16"
    case u32 = "U32", i32 = "I32", f32 = "F32"
    case u64 = "U64", i64 = "I64", f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e4m3, .f8e5m2: 1
        case .u16, .i16, .f16, .bf16: 2
        case .u32, .i32, .f32: 4
        case .u64, .i64, .f64: 8
        }
    }
}

/// A safetensors file (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
/// length, a JSON header naming each tensor's dtype, shape and `data_offsets` `[begin, end)`
/// relative to the data section, and an optional `__metadata__` object of strings; then the data.
///
/// The parser is strict: the data section must be covered exactly by the tensors, without gaps,
/// overlaps or trailing bytes, and every tensor's byte count must equal its shape's element count
/// times its dtype's size. Anything else is a `SafetensorsParseError`; nothing traps.
public struct SafetensorsFile: Sendable {
    /// Where one tensor lives in the data section.
    public struct TensorInfo: Sendable, Hashable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range within the data section.
        public let byteRange: Range<Int>

        /// Number of elements (product of `shape`; 1 for a scalar).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Headers larger than this are refused before any JSON is read (the reference
    /// implementation uses the same 100 MB limit).
    public static let maximumHeaderSize = 100_000_000

    /// The `__metadata__` strings (empty when the file has none).
    public let metadata: [String: String]
    /// The tensors by name.
    public let tensors: [String: TensorInfo]
    /// The tensor names in data-section order.
    public let tensorNames: [String]
    /// The data section.
    public let data: [UInt8]

    /// Parses a whole file.
    public init(bytes: [UInt8]) throws(SafetensorsParseError) {
        guard bytes.count >= 8 else { throw .shortFile(byteCount: bytes.count) }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        let available = bytes.count - 8
        guard declared <= UInt64(available) else {
            throw .headerLengthExceedsFile(declared: declared, available: available)
        }
        guard declared <= UInt64(SafetensorsFile.maximumHeaderSize) else {
            throw .headerTooLarge(declared: declared)
        }
        let headerLength = Int(declared)
        let header = Array(bytes[8..<(8 + headerLength)])
        guard header.first == UInt8(ascii: "{") else { throw .headerNotJSONObject }
        let entries = try SafetensorsHeader.decode(header)
        data = Array(bytes[(8 + headerLength)...])
        metadata = entries.metadata

        var infos: [String: TensorInfo] = [:]
        for (name, entry) in entries.tensors {
            infos[name] = try SafetensorsFile.check(name: name, entry: entry, dataSize: data.count)
        }
        // Exact coverage: sorted by start, each begins where the previous ended.
        let ordered = infos.values.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
            < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        var position = 0
        var previous: String?
        for info in ordered {
            if info.byteRange.lowerBound < position, let previous {
                throw .overlappingTensors(info.name, previous)
            }
            if info.byteRange.lowerBound > position {
                throw .uncoveredBytes(offset: position, count: info.byteRange.lowerBound - position)
            }
            position = info.byteRange.upperBound
            previous = info.name
        }
        if position < data.count { throw .trailingBytes(count: data.count - position) }
        tensors = infos
        tensorNames = ordered.map(\.name)
    }

    /// Reads and parses the file at `path`.
    public init(contentsOfFile path: String) throws(SafetensorsParseError) {
        let contents: Data
        do {
            contents = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        try self.init(bytes: [UInt8](contents))
    }

    private static func check(name: String, entry: SafetensorsHeader.Entry, dataSize: Int)
        throws(SafetensorsParseError) -> TensorInfo {
        guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
            throw .unknownDType(tensor: name, dtype: entry.dtype)
        }
        var count = 1
        for dimension in entry.shape {
            guard dimension >= 0 else { throw .invalidEntry(tensor: name, reason: "negative dimension \(dimension)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Int(Int32.max) else {
                throw .invalidEntry(tensor: name, reason: "shape \(entry.shape) is too large")
            }
            count = product
        }
        guard entry.offsets.count == 2 else {
            throw .invalidEntry(tensor: name, reason: "data_offsets must be [begin, end]")
        }
        let begin = entry.offsets[0], end = entry.offsets[1]
        guard begin >= 0, begin <= end, end <= dataSize else {
            throw .offsetsOutOfRange(tensor: name, begin: begin, end: end, dataSize: dataSize)
        }
        let expected = count * dtype.size
        guard end - begin == expected else {
            throw .sizeMismatch(tensor: name, expectedBytes: expected, actualBytes: end - begin)
        }
        return TensorInfo(name: name, dtype: dtype, shape: entry.shape, byteRange: begin..<end)
    }

    /// The values of an `F32` tensor, row-major.
    public func floats(_ name: String) throws(SafetensorsParseError) -> [Float] {
        guard let info = tensors[name] else { throw .missingTensor(name) }
        guard info.dtype == .f32 else { throw .unsupportedDType(tensor: name, dtype: info.dtype) }
        let count = info.byteRange.count / 4
        var values = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            for i in 0..<count {
                let offset = info.byteRange.lowerBound + 4 * i
                let bits = UInt32(raw[offset]) | UInt32(raw[offset + 1]) << 8
                    | UInt32(raw[offset + 2]) << 16 | UInt32(raw[offset + 3]) << 24
                values[i] = Float(bitPattern: bits)
            }
        }
        return values
    }
}

/// The JSON header as decoded, before any checks beyond JSON types.
struct SafetensorsHeader: Decodable {
    struct Entry: Decodable {
        var dtype: String
        var shape: [Int]
        var offsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case offsets = "data_offsets"
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    var metadata: [String: String] = [:]
    var tensors: [String: Entry] = [:]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        for key in container.allKeys {
            if key.stringValue == "__metadata__" {
                do {
                    metadata = try container.decode([String: String].self, forKey: key)
                } catch {
                    throw SafetensorsParseError.invalidMetadata("__metadata__ must map strings to strings")
                }
                continue
            }
            do {
                tensors[key.stringValue] = try container.decode(Entry.self, forKey: key)
            } catch {
                throw SafetensorsParseError.invalidEntry(
                    tensor: key.stringValue, reason: "needs dtype (string), shape and data_offsets (integer arrays)")
            }
        }
    }

    static func decode(_ bytes: [UInt8]) throws(SafetensorsParseError) -> SafetensorsHeader {
        do {
            return try JSONDecoder().decode(SafetensorsHeader.self, from: Data(bytes))
        } catch let error as SafetensorsParseError {
            throw error
        } catch {
            throw .headerNotJSON(String(describing: error))
        }
    }
}
