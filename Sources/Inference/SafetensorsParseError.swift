/// Why bytes are not an acceptable safetensors file.
public enum SafetensorsParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Fewer than the 8 bytes of the header length.
    case shortFile(byteCount: Int)
    /// The header length points past the end of the file.
    case headerLengthExceedsFile(declared: UInt64, available: Int)
    /// The header length is over `SafetensorsFile.maximumHeaderSize`.
    case headerTooLarge(declared: UInt64)
    /// The header does not start with `{`.
    case headerNotJSONObject
    /// The header is not valid JSON (or not UTF-8).
    case headerNotJSON(String)
    /// `__metadata__` is not an object of strings.
    case invalidMetadata(String)
    /// A tensor entry lacks a field, has one of the wrong type, or a negative or huge shape.
    case invalidEntry(tensor: String, reason: String)
    /// A dtype string the format does not define.
    case unknownDType(tensor: String, dtype: String)
    /// A known dtype that this reader cannot return as numbers (only F32 is supported).
    case unsupportedDType(tensor: String, dtype: SafetensorsDType)
    /// `data_offsets` are reversed, negative, or beyond the data section.
    case offsetsOutOfRange(tensor: String, begin: Int, end: Int, dataSize: Int)
    /// The byte range's length differs from shape × dtype size.
    case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
    /// Two tensors share bytes.
    case overlappingTensors(String, String)
    /// Bytes of the data section that no tensor covers, before the last tensor.
    case uncoveredBytes(offset: Int, count: Int)
    /// Bytes after the last tensor.
    case trailingBytes(count: Int)
    /// A tensor that the file does not hold was asked for.
    case missingTensor(String)
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .shortFile(let count): "file is \(count) bytes, shorter than the 8-byte header length"
        case .headerLengthExceedsFile(let declared, let available):
            "header length \(declared) exceeds the \(available) bytes after it"
        case .headerTooLarge(let declared): "header length \(declared) is over the 100 MB limit"
        case .headerNotJSONObject: "header is not a JSON object"
        case .headerNotJSON(let reason): "header is not valid JSON: \(reason)"
        case .invalidMetadata(let reason): "invalid __metadata__: \(reason)"
        case .invalidEntry(let tensor, let reason): "tensor \"\(tensor)\": \(reason)"
        case .unknownDType(let tensor, let dtype): "tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case .unsupportedDType(let tensor, let dtype): "tensor \"\(tensor)\": dtype \(dtype.rawValue) is not supported (F32 only)"
        case .offsetsOutOfRange(let tensor, let begin, let end, let size):
            "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] outside the \(size)-byte data section"
        case .sizeMismatch(let tensor, let expected, let actual):
            "tensor \"\(tensor)\": \(actual) bytes, its shape and dtype need \(expected)"
        case .overlappingTensors(let a, let b): "tensors \"\(a)\" and \"\(b)\" overlap"
        case .uncoveredBytes(let offset, let count): "\(count) bytes at data offset \(offset) belong to no tensor"
        case .trailingBytes(let count): "\(count) trailing bytes after the last tensor"
        case .missingTensor(let name): "no tensor \"\(name)\""
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        }
    }
}
