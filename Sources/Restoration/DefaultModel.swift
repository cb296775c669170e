import Foundation
public import Inference

/// Why the default model could not be loaded.
public enum DefaultModelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The package was built without `Models/restore-x2.safetensors`.
    case notBundled
    case invalid(ModelLoadError)

    public var description: String {
        switch self {
        case .notBundled: "the default model Models/restore-x2.safetensors is not in this build"
        case .invalid(let error): "default model: \(error)"
        }
    }
}

extension RestorationProcessor {
    /// The file name (without extension) of the default model in the `Models` resource folder.
    public static let defaultModelName = "restore-x2"

    /// The path of the bundled default model, or nil when the build has none.
    public static var defaultModelPath: String? {
        Bundle.module.path(forResource: defaultModelName, ofType: "safetensors", inDirectory: "Models")
    }

    /// Loads and validates the bundled default model (×2 repair + super-resolution).
    public static func defaultModel() throws(DefaultModelError) -> ModelFile {
        guard let path = defaultModelPath else { throw .notBundled }
        do {
            return try ModelFile(contentsOfFile: path)
        } catch {
            throw .invalid(error)
        }
    }
}
