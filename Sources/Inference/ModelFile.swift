import Foundation

/// Why a model file cannot be used.
public enum ModelLoadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a valid safetensors file.
    case file(SafetensorsParseError)
    /// `__metadata__` lacks `format` or `architecture`.
    case missingMetadata(String)
    /// `format` is not `loupe-restoration/1`.
    case unknownFormat(String)
    /// `architecture` is not the JSON document the format describes.
    case architectureNotDecodable(String)
    /// The architecture does not fit the tensors (names the node).
    case invalid(ModelValidationError)

    public var description: String {
        switch self {
        case .file(let error): "model file: \(error)"
        case .missingMetadata(let key): "model file: __metadata__ has no \"\(key)\""
        case .unknownFormat(let format): "model file: unknown format \"\(format)\" (expected \(ModelFile.format))"
        case .architectureNotDecodable(let reason): "model architecture: \(reason)"
        case .invalid(let error): "model architecture: \(error)"
        }
    }
}

/// A `loupe-restoration/1` model file (docs/model-format.md): a safetensors file whose metadata
/// holds the architecture, checked against its tensors.
public struct ModelFile: Sendable {
    /// The `format` metadata value this reader implements.
    public static let format = "loupe-restoration/1"

    public let architecture: ModelArchitecture
    public let graph: ModelGraph
    /// All `__metadata__` strings (`name`, `trained`, `commit`, …).
    public let metadata: [String: String]

    /// Parses and validates a model from the file's bytes.
    public init(bytes: [UInt8]) throws(ModelLoadError) {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(bytes: bytes) } catch { throw .file(error) }
        try self.init(file: file)
    }

    /// Reads, parses and validates the model at `path`.
    public init(contentsOfFile path: String) throws(ModelLoadError) {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(contentsOfFile: path) } catch { throw .file(error) }
        try self.init(file: file)
    }

    /// Validates a parsed safetensors file as a model.
    public init(file: SafetensorsFile) throws(ModelLoadError) {
        guard let format = file.metadata["format"] else { throw .missingMetadata("format") }
        guard format == ModelFile.format else { throw .unknownFormat(format) }
        guard let text = file.metadata["architecture"] else { throw .missingMetadata("architecture") }
        let architecture: ModelArchitecture
        do {
            architecture = try JSONDecoder().decode(ModelArchitecture.self, from: Data(text.utf8))
        } catch {
            throw .architectureNotDecodable(ModelFile.describe(error))
        }
        do { graph = try ModelGraph(architecture: architecture, file: file) } catch { throw .invalid(error) }
        self.architecture = architecture
        metadata = file.metadata
    }

    /// The bytes of a model file with this architecture and these tensors (tests and tools).
    public static func serialize(architecture: ModelArchitecture, tensors: [SafetensorsTensor],
                                 metadata: [String: String] = [:]) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(architecture)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        var all = metadata
        all["format"] = format
        all["architecture"] = json
        return SafetensorsFile.serialize(tensors, metadata: all)
    }

    /// A short account of a JSON decoding failure: what was wrong, and where.
    private static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "top level" : String(keys.drop { $0 == "." })
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "\(path(context)): missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
