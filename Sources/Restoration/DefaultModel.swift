import Foundation
public import Inference

/// Why the default model could not be loaded.
public enum DefaultModelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The package was built without `Models/<name>.safetensors`.
    case notBundled(name: String)
    case invalid(name: String, ModelLoadError)

    public var description: String {
        switch self {
        case .notBundled(let name): "the built-in model Models/\(name).safetensors is not in this build"
        case .invalid(let name, let error): "built-in model \(name): \(error)"
        }
    }
}

extension RestorationProcessor {
    /// The built-in model for a scale: `restore-x2` (repair + ×2, the node's default) and
    /// `restore-x1` (repair only).
    public static func builtInModelName(scale: Int) -> String { "restore-x\(scale)" }

    /// The path of a bundled model, or nil when the build has none for that scale.
    public static func builtInModelPath(scale: Int) -> String? {
        Bundle.module.path(forResource: builtInModelName(scale: scale), ofType: "safetensors", inDirectory: "Models")
    }

    /// The path of the bundled default model, or nil when the build has none.
    public static var defaultModelPath: String? { builtInModelPath(scale: 2) }

    /// Loads and validates the bundled model for `scale`.
    public static func builtInModel(scale: Int) throws(DefaultModelError) -> ModelFile {
        let name = builtInModelName(scale: scale)
        guard let path = builtInModelPath(scale: scale) else { throw .notBundled(name: name) }
        do {
            return try ModelFile(contentsOfFile: path)
        } catch {
            throw .invalid(name: name, error)
        }
    }

    /// Loads and validates the bundled default model (×2 repair + super-resolution).
    public static func defaultModel() throws(DefaultModelError) -> ModelFile {
        try builtInModel(scale: 2)
    }
}
