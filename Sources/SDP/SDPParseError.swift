/// Why a session description (RFC 8866) or one of its attributes could not be parsed.
///
/// `line` is the 1-based line number in the input (0 when the problem is the whole document or
/// an attribute built in code); `description` is a one-line reason suitable for an HTTP 400 body.
public struct SDPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Hashable, Sendable {
        /// The input has no lines at all.
        case empty
        /// A line other than `v=` comes first (RFC 8866 §5: the description starts with `v=`).
        case lineBeforeVersion
        /// `v=` is not `0`.
        case unsupportedVersion(String)
        /// A line that is not `<type>=<value>`.
        case missingEquals
        /// A type letter RFC 8866 does not define, or one not allowed where it appears.
        case unexpectedLine(String)
        /// A line that may appear once appears again.
        case duplicateLine(String)
        /// A required line is absent (`o=`).
        case missingLine(String)
        /// An `o=` line without its six fields.
        case malformedOrigin
        /// A `c=` line without its three fields.
        case malformedConnection
        /// A `b=` line that is not `<type>:<number>`.
        case malformedBandwidth
        /// A `t=` line that is not two numbers.
        case malformedTiming
        /// An `m=` line without media, port, protocol and at least one format.
        case malformedMedia
        /// A port that is not a number from 0 to 65535.
        case invalidPort(String)
        /// A media format that is not a payload type number where the protocol needs one.
        case invalidPayloadType(String)
        /// A known attribute whose value does not follow its grammar.
        case malformedAttribute(name: String, detail: String)
        /// A byte that is not allowed in SDP text (NUL, or a lone CR).
        case invalidCharacter
    }

    public var line: Int
    public var reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    /// One line: `line 7: bad m= line (need media, port, protocol, formats)`.
    public var description: String {
        let text: String
        switch reason {
        case .empty: text = "empty session description"
        case .lineBeforeVersion: text = "the description must start with v=0"
        case let .unsupportedVersion(v): text = "unsupported SDP version \"\(Self.clip(v))\""
        case .missingEquals: text = "line is not <type>=<value>"
        case let .unexpectedLine(t): text = "unexpected \(Self.clip(t))= line"
        case let .duplicateLine(t): text = "more than one \(t)= line"
        case let .missingLine(t): text = "missing \(t)= line"
        case .malformedOrigin: text = "bad o= line (need username, session id, version, nettype, addrtype, address)"
        case .malformedConnection: text = "bad c= line (need nettype, addrtype, address)"
        case .malformedBandwidth: text = "bad b= line (need <type>:<kbps>)"
        case .malformedTiming: text = "bad t= line (need <start> <stop>)"
        case .malformedMedia: text = "bad m= line (need media, port, protocol, formats)"
        case let .invalidPort(p): text = "bad port \"\(Self.clip(p))\""
        case let .invalidPayloadType(p): text = "bad payload type \"\(Self.clip(p))\""
        case let .malformedAttribute(name, detail): text = "bad a=\(Self.clip(name)) (\(detail))"
        case .invalidCharacter: text = "invalid character in SDP text"
        }
        return line > 0 ? "line \(line): \(text)" : text
    }

    /// Peer text quoted in a reason is shortened, so an error stays one short line.
    static func clip(_ text: String) -> String {
        let printable = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
        return printable.count > 40 ? String(printable.prefix(40)) + "…" : printable
    }
}
