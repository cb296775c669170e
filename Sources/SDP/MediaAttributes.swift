/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
public struct RTPMap: Hashable, Sendable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let bad = { (detail: String) in SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "rtpmap", detail: detail)) }
        let f = splitFields(attribute.value ?? "")
        guard f.count == 2 else { throw bad("need <pt> <name>/<rate>") }
        guard let pt = UInt8(f[0]), pt < 128 else { throw bad("payload type") }
        let parts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3, let name = parts.first, !name.isEmpty,
              let rate = UInt32(parts[1]) else { throw bad("need <name>/<rate>") }
        var channels: UInt16?
        if parts.count == 3 {
            guard let c = UInt16(parts[2]) else { throw bad("channels") }
            channels = c
        }
        self.init(payloadType: pt, encodingName: String(name), clockRate: rate, channels: channels)
    }

    public var attribute: SDPAttribute {
        SDPAttribute("rtpmap", "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? ""))
    }
}

/// `a=fmtp:<payload type> <parameters>`, parameters as `key=value` pairs separated by `;`
/// (RFC 8866 §6.15; the pair form most payload formats use, e.g. RFC 7587 §7, RFC 4588 §8.1).
public struct FormatParameters: Hashable, Sendable {
    public struct Parameter: Hashable, Sendable {
        public var key: String
        /// `nil` for a parameter without `=` (e.g. a telephone-event range `0-15`).
        public var value: String?
        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
    }

    public var payloadType: UInt8
    public var parameters: [Parameter]

    public init(payloadType: UInt8, parameters: [Parameter]) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let value = attribute.value ?? ""
        let bad = SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "fmtp", detail: "need <pt> <params>"))
        guard let space = value.firstIndex(where: { $0 == " " || $0 == "\t" }) else { throw bad }
        guard let pt = UInt8(value[..<space]), pt < 128 else { throw bad }
        var parameters: [Parameter] = []
        for item in value[space...].split(separator: ";") {
            let trimmed = item.drop(while: { $0 == " " || $0 == "\t" })
            guard !trimmed.isEmpty else { continue }
            if let eq = trimmed.firstIndex(of: "=") {
                parameters.append(Parameter(key: String(trimmed[..<eq]), value: String(trimmed[trimmed.index(after: eq)...])))
            } else {
                parameters.append(Parameter(key: String(trimmed), value: nil))
            }
        }
        self.init(payloadType: pt, parameters: parameters)
    }

    /// The value of the first parameter named `key` (case-insensitive), if present.
    public subscript(key: String) -> String? {
        parameters.first { $0.key.lowercased() == key.lowercased() }?.value
    }

    public var attribute: SDPAttribute {
        let text = parameters.map { p in p.value.map { "\(p.key)=\($0)" } ?? p.key }.joined(separator: ";")
        return SDPAttribute("fmtp", "\(payloadType) \(text)")
    }
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameter>]` (RFC 4585 §4.2), e.g. `nack pli`.
public struct RTCPFeedback: Hashable, Sendable {
    /// `nil` means `*`: every payload type of the section.
    public var payloadType: UInt8?
    public var type: String
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let bad = SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "rtcp-fb", detail: "need <pt> <type> [<param>]"))
        let f = splitFields(attribute.value ?? "")
        guard f.count >= 2 else { throw bad }
        var pt: UInt8?
        if f[0] != "*" {
            guard let n = UInt8(f[0]), n < 128 else { throw bad }
            pt = n
        }
        self.init(payloadType: pt, type: String(f[1]), parameter: f.count > 2 ? f.dropFirst(2).joined(separator: " ") : nil)
    }

    /// Whether this feedback applies to `payloadType` (a `*` entry applies to all).
    public func applies(to payloadType: UInt8) -> Bool { self.payloadType == nil || self.payloadType == payloadType }

    public var attribute: SDPAttribute {
        SDPAttribute("rtcp-fb", "\(payloadType.map(String.init) ?? "*") \(type)" + (parameter.map { " \($0)" } ?? ""))
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<attributes>]` (RFC 8285 §7).
public struct ExtMap: Hashable, Sendable {
    public var id: UInt16
    public var direction: MediaDirection?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, direction: MediaDirection? = nil, uri: String, extensionAttributes: String? = nil) {
        self.id = id
        self.direction = direction
        self.uri = uri
        self.extensionAttributes = extensionAttributes
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let bad = { (detail: String) in SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "extmap", detail: detail)) }
        let f = splitFields(attribute.value ?? "")
        guard f.count >= 2 else { throw bad("need <id> <uri>") }
        let idParts = f[0].split(separator: "/", omittingEmptySubsequences: false)
        guard let idText = idParts.first, let id = UInt16(idText), (1...4095).contains(id) else { throw bad("id") }
        var direction: MediaDirection?
        if idParts.count == 2 {
            guard let d = MediaDirection(rawValue: String(idParts[1])) else { throw bad("direction") }
            direction = d
        } else if idParts.count > 2 {
            throw bad("id")
        }
        self.init(id: id, direction: direction, uri: String(f[1]),
                  extensionAttributes: f.count > 2 ? f.dropFirst(2).joined(separator: " ") : nil)
    }

    public var attribute: SDPAttribute {
        SDPAttribute("extmap", "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)"
                         + (extensionAttributes.map { " \($0)" } ?? ""))
    }
}

/// `a=sendrecv` / `sendonly` / `recvonly` / `inactive` (RFC 8866 §6.7).
public enum MediaDirection: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The direction the other side of a negotiation sees (RFC 3264 §6.1).
    public var reversed: MediaDirection {
        switch self {
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .sendrecv, .inactive: self
        }
    }
}

/// `a=msid:<stream id> [<track id>]` (RFC 8830 §2).
public struct MediaStreamID: Hashable, Sendable {
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let f = splitFields(attribute.value ?? "")
        guard f.count == 1 || f.count == 2 else {
            throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "msid", detail: "need <stream> [<track>]"))
        }
        self.init(streamID: String(f[0]), trackID: f.count == 2 ? String(f[1]) : nil)
    }

    public var attribute: SDPAttribute { SDPAttribute("msid", streamID + (trackID.map { " \($0)" } ?? "")) }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]` (RFC 5576 §4.1).
public struct SSRCAttribute: Hashable, Sendable {
    public var ssrc: UInt32
    public var name: String
    public var value: String?

    public init(ssrc: UInt32, name: String, value: String? = nil) {
        self.ssrc = ssrc
        self.name = name
        self.value = value
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let text = attribute.value ?? ""
        let bad = SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "ssrc", detail: "need <ssrc> <attribute>"))
        guard let space = text.firstIndex(of: " "), let ssrc = UInt32(text[..<space]) else { throw bad }
        let rest = text[text.index(after: space)...]
        guard !rest.isEmpty else { throw bad }
        if let colon = rest.firstIndex(of: ":") {
            self.init(ssrc: ssrc, name: String(rest[..<colon]), value: String(rest[rest.index(after: colon)...]))
        } else {
            self.init(ssrc: ssrc, name: String(rest))
        }
    }

    public var attribute: SDPAttribute { SDPAttribute("ssrc", "\(ssrc) \(name)" + (value.map { ":\($0)" } ?? "")) }
}

/// `a=ssrc-group:<semantics> <ssrc> ...` (RFC 5576 §4.2), e.g. `FID <media> <rtx>` (RFC 4588 §8).
public struct SSRCGroup: Hashable, Sendable {
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let f = splitFields(attribute.value ?? "")
        guard f.count >= 2, let first = f.first else {
            throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "ssrc-group", detail: "need <semantics> <ssrc>..."))
        }
        var ssrcs: [UInt32] = []
        for s in f.dropFirst() {
            guard let n = UInt32(s) else {
                throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "ssrc-group", detail: "ssrc"))
            }
            ssrcs.append(n)
        }
        self.init(semantics: String(first), ssrcs: ssrcs)
    }

    public var attribute: SDPAttribute {
        SDPAttribute("ssrc-group", ([semantics] + ssrcs.map(String.init)).joined(separator: " "))
    }
}

/// Splits on spaces and tabs, dropping empty fields.
func splitFields(_ text: String) -> [Substring] {
    text.split(whereSeparator: { $0 == " " || $0 == "\t" })
}
