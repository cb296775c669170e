/// Why a YUV4MPEG2 (Y4M) stream could not be read or written. Every case names what is wrong;
/// `description` is a one-line message fit for a command-line error.
public enum Y4MError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The stream does not start with `YUV4MPEG2 ` (found: up to 16 leading bytes, printable ASCII).
    case notY4M(found: String)
    /// The stream ended before the header's end of line.
    case truncatedHeader
    /// The header line is longer than `Y4MHeader.maximumHeaderLength` bytes.
    case headerTooLong
    /// A required parameter is absent: `W` (width), `H` (height) or `F` (frame rate).
    case missingParameter(Character)
    /// A parameter appears twice.
    case duplicateParameter(Character)
    /// A parameter letter the format does not define.
    case unknownParameter(String)
    /// A parameter whose value is malformed or out of range (the whole token, e.g. `W0`).
    case invalidParameter(Character, String)
    /// A chroma format (`C` parameter) other than the 8-bit 4:2:0 ones.
    case unsupportedColorspace(String)
    /// An interlaced stream (`It`, `Ib`, `Im`): only progressive frames are read.
    case unsupportedInterlacing(String)
    /// Frame `index` (from 0) does not start with `FRAME`.
    case badFrameMarker(frame: Int)
    /// Frame `index` ended inside its `FRAME` line.
    case truncatedFrameHeader(frame: Int)
    /// A `FRAME` line longer than `Y4MHeader.maximumFrameHeaderLength` bytes.
    case frameHeaderTooLong(frame: Int)
    /// Frame `index` holds fewer sample bytes than the header's size requires.
    case truncatedFrame(frame: Int, expected: Int, found: Int)
    /// A frame given to a writer differs in size from the writer's header.
    case frameSizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// The file could not be opened (path and the system's reason).
    case cannotOpen(path: String, reason: String)
    /// Reading or writing the file failed (the system's reason).
    case ioFailed(String)

    public var description: String {
        switch self {
        case .notY4M(let found):
            "not a Y4M file: it starts with \"\(found)\", expected \"YUV4MPEG2 \""
        case .truncatedHeader: "Y4M header: truncated (no end of line)"
        case .headerTooLong: "Y4M header: longer than \(Y4MHeader.maximumHeaderLength) bytes"
        case .missingParameter(let letter): "Y4M header: missing \(Y4MError.name(of: letter)) (\(letter))"
        case .duplicateParameter(let letter): "Y4M header: \(Y4MError.name(of: letter)) (\(letter)) given twice"
        case .unknownParameter(let token): "Y4M header: unknown parameter \"\(token)\""
        case .invalidParameter(let letter, let token):
            "Y4M header: invalid \(Y4MError.name(of: letter)) \"\(token)\""
        case .unsupportedColorspace(let tag):
            "Y4M header: colorspace C\(tag) is not supported (only 8-bit 4:2:0: 420, 420jpeg, 420paldv, 420mpeg2)"
        case .unsupportedInterlacing(let mode):
            "Y4M header: interlacing I\(mode) is not supported (only progressive, Ip)"
        case .badFrameMarker(let frame): "Y4M frame \(frame): does not start with FRAME"
        case .truncatedFrameHeader(let frame): "Y4M frame \(frame): truncated FRAME line"
        case .frameHeaderTooLong(let frame):
            "Y4M frame \(frame): FRAME line longer than \(Y4MHeader.maximumFrameHeaderLength) bytes"
        case .truncatedFrame(let frame, let expected, let found):
            "Y4M frame \(frame): truncated (\(found) of \(expected) bytes)"
        case .frameSizeMismatch(let ew, let eh, let w, let h):
            "Y4M writer: frame is \(w)x\(h), the stream is \(ew)x\(eh)"
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .ioFailed(let reason): "Y4M I/O failed: \(reason)"
        }
    }

    static func name(of letter: Character) -> String {
        switch letter {
        case "W": "width"
        case "H": "height"
        case "F": "frame rate"
        case "I": "interlacing"
        case "A": "pixel aspect ratio"
        case "C": "colorspace"
        default: "parameter"
        }
    }
}
