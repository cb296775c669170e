extension SessionDescription {
    /// Parses a session description (RFC 8866 §5, §9). Lines end in CRLF or LF; blank lines are
    /// skipped. The description must start with `v=0` and have an `o=` line; attribute values are
    /// kept as text and checked by the typed accessors that read them.
    public static func parse(_ text: String) throws(SDPParseError) -> SessionDescription {
        try Parser(text: text, fragment: false).run()
    }

    /// Parses an SDP fragment (RFC 8840 §9, `application/trickle-ice-sdpfrag`): session-level
    /// attributes and `m=` sections without `v=`, `o=`, `s=` or `t=` lines.
    public static func parseFragment(_ text: String) throws(SDPParseError) -> SessionDescription {
        try Parser(text: text, fragment: true).run()
    }
}

/// A line-by-line SDP reader. Every access to peer text is bounds-checked; numbers go through
/// the failable integer initializers, which reject overflow.
private struct Parser {
    let lines: [(number: Int, type: Character, value: Substring)]
    let fragment: Bool
    var error: SDPParseError?

    init(text: String, fragment: Bool) {
        self.fragment = fragment
        var lines: [(Int, Character, Substring)] = []
        var number = 0
        // Split on bytes: in Swift, "\r\n" is one Character and would not split on "\n".
        for raw in Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            var bytes = raw
            if bytes.last == 0x0D { bytes = bytes.dropLast() }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            if error == nil, bytes.contains(0x0D) || bytes.contains(0x00) {
                error = SDPParseError(line: number, reason: .invalidCharacter)
            }
            let line = Substring(String(decoding: bytes, as: UTF8.self))
            guard let equals = line.firstIndex(of: "="), line.distance(from: line.startIndex, to: equals) == 1,
                  let type = line.first, type.isASCII, type.isLetter, type.isLowercase else {
                if error == nil { error = SDPParseError(line: number, reason: .missingEquals) }
                continue
            }
            lines.append((number, type, line[line.index(after: equals)...]))
        }
        self.lines = lines
    }

    func run() throws(SDPParseError) -> SessionDescription {
        if let error { throw error }
        var description = SessionDescription(origin: nil, sessionName: fragment ? "-" : "", timings: [])
        var index = 0
        if !fragment {
            guard let first = lines.first else { throw SDPParseError(line: 0, reason: .empty) }
            guard first.type == "v" else { throw SDPParseError(line: first.number, reason: .lineBeforeVersion) }
            guard first.value == "0" else {
                throw SDPParseError(line: first.number, reason: .unsupportedVersion(String(first.value)))
            }
            index = 1
        }
        var seen: Set<Character> = []
        // Session level.
        while index < lines.count, lines[index].type != "m" {
            let (number, type, value) = lines[index]
            index += 1
            let once: Set<Character> = ["v", "o", "s", "i", "u", "c", "z", "k"]
            if once.contains(type), seen.contains(type) || (type == "v") {
                throw SDPParseError(line: number, reason: .duplicateLine(String(type)))
            }
            seen.insert(type)
            switch type {
            case "o": description.origin = try Self.origin(value, line: number)
            case "s": description.sessionName = String(value)
            case "i": description.information = String(value)
            case "u": description.uri = String(value)
            case "e": description.emails.append(String(value))
            case "p": description.phones.append(String(value))
            case "c": description.connection = try Self.connection(value, line: number)
            case "b": description.bandwidths.append(try Self.bandwidth(value, line: number))
            case "t": description.timings.append(try Self.timing(value, line: number))
            case "r":
                guard !description.timings.isEmpty else { throw SDPParseError(line: number, reason: .unexpectedLine("r")) }
                description.timings[description.timings.count - 1].repeats.append(String(value))
            case "z": description.timeZones = String(value)
            case "k": description.key = String(value)
            case "a": description.attributes.append(Self.attribute(value, line: number))
            default: throw SDPParseError(line: number, reason: .unexpectedLine(String(type)))
            }
        }
        if !fragment, description.origin == nil {
            throw SDPParseError(line: lines.first?.number ?? 0, reason: .missingLine("o"))
        }
        // Media sections.
        while index < lines.count {
            let (number, _, value) = lines[index]
            index += 1
            var media = try Self.media(value, line: number)
            var mediaSeen: Set<Character> = []
            while index < lines.count, lines[index].type != "m" {
                let (number, type, value) = lines[index]
                index += 1
                if type != "a", type != "b", mediaSeen.contains(type) {
                    throw SDPParseError(line: number, reason: .duplicateLine(String(type)))
                }
                mediaSeen.insert(type)
                switch type {
                case "i": media.information = String(value)
                case "c": media.connection = try Self.connection(value, line: number)
                case "b": media.bandwidths.append(try Self.bandwidth(value, line: number))
                case "k": media.key = String(value)
                case "a": media.attributes.append(Self.attribute(value, line: number))
                default: throw SDPParseError(line: number, reason: .unexpectedLine(String(type)))
                }
            }
            description.media.append(media)
        }
        return description
    }

    static func fields(_ value: Substring) -> [Substring] {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" })
    }

    static func origin(_ value: Substring, line: Int) throws(SDPParseError) -> SDPOrigin {
        let f = fields(value)
        guard f.count == 6 else { throw SDPParseError(line: line, reason: .malformedOrigin) }
        return SDPOrigin(username: String(f[0]), sessionID: String(f[1]), sessionVersion: String(f[2]),
                         networkType: String(f[3]), addressType: String(f[4]), address: String(f[5]))
    }

    static func connection(_ value: Substring, line: Int) throws(SDPParseError) -> SDPConnection {
        let f = fields(value)
        guard f.count == 3 else { throw SDPParseError(line: line, reason: .malformedConnection) }
        return SDPConnection(networkType: String(f[0]), addressType: String(f[1]), address: String(f[2]))
    }

    static func bandwidth(_ value: Substring, line: Int) throws(SDPParseError) -> SDPBandwidth {
        guard let colon = value.firstIndex(of: ":"), colon != value.startIndex,
              let number = UInt64(value[value.index(after: colon)...]) else {
            throw SDPParseError(line: line, reason: .malformedBandwidth)
        }
        return SDPBandwidth(type: String(value[..<colon]), value: number)
    }

    static func timing(_ value: Substring, line: Int) throws(SDPParseError) -> SDPTiming {
        let f = fields(value)
        guard f.count == 2, let start = UInt64(f[0]), let stop = UInt64(f[1]) else {
            throw SDPParseError(line: line, reason: .malformedTiming)
        }
        return SDPTiming(start: start, stop: stop)
    }

    static func media(_ value: Substring, line: Int) throws(SDPParseError) -> MediaDescription {
        let f = fields(value)
        guard f.count >= 4 else { throw SDPParseError(line: line, reason: .malformedMedia) }
        let portField = f[1].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let portText = portField.first, let port = UInt16(portText) else {
            throw SDPParseError(line: line, reason: .invalidPort(String(f[1])))
        }
        var count: UInt16?
        if portField.count == 2 {
            guard let n = UInt16(portField[1]) else { throw SDPParseError(line: line, reason: .invalidPort(String(f[1]))) }
            count = n
        }
        var media = MediaDescription(media: String(f[0]), port: port, portCount: count, proto: String(f[2]),
                                     formats: f.dropFirst(3).map(String.init))
        if media.isRTP {
            for format in media.formats {
                guard let pt = UInt8(format), pt < 128 else {
                    throw SDPParseError(line: line, reason: .invalidPayloadType(format))
                }
            }
        }
        media.attributes = []
        return media
    }

    static func attribute(_ value: Substring, line: Int) -> SDPAttribute {
        guard let colon = value.firstIndex(of: ":") else { return SDPAttribute(String(value), nil, line: line) }
        return SDPAttribute(String(value[..<colon]), String(value[value.index(after: colon)...]), line: line)
    }
}
