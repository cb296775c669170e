import Media

/// An error a file command reports as one line (`Error: <message>`, exit status 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) { description = message }

    /// A libvpx failure as text.
    static func codec(_ error: VideoCodecError) -> CommandFailure {
        let text: String
        switch error {
        case .invalidConfiguration(let m): text = "invalid encoder configuration: \(m)"
        case .initializationFailed(let m): text = "libvpx initialisation failed: \(m)"
        case .configurationRejected(let m): text = "libvpx rejected the configuration: \(m)"
        case .frameSizeMismatch(let ew, let eh, let w, let h): text = "frame is \(w)x\(h), encoder is \(ew)x\(eh)"
        case .encodeFailed(let m): text = "encoding failed: \(m)"
        case .emptyInput: text = "the encoder produced an empty frame"
        case .decodeFailed(let m): text = "decoding failed: \(m)"
        case .unsupportedImageFormat(let f): text = "the decoder produced an unsupported image format (\(f))"
        case .invalidDecodedImage: text = "the decoder produced an inconsistent image"
        }
        return CommandFailure(text)
    }

    /// A Y4M failure, prefixed with the file it concerns.
    static func y4m(_ error: Y4MError, path: String) -> CommandFailure {
        if case .cannotOpen = error { return CommandFailure(error.description) }
        return CommandFailure("\(path): \(error.description)")
    }
}

/// A `WIDTHxHEIGHT` size for messages.
func sizeText(_ width: Int, _ height: Int) -> String { "\(width)x\(height)" }
