/// `a=group:<semantics> <mid> ...` (RFC 5888 §5; BUNDLE: RFC 9143 §7).
public struct SDPGroup: Hashable, Sendable {
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let f = splitFields(attribute.value ?? "")
        guard let first = f.first else {
            throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "group", detail: "need <semantics>"))
        }
        self.init(semantics: String(first), mids: f.dropFirst().map(String.init))
    }

    public var attribute: SDPAttribute { SDPAttribute("group", ([semantics] + mids).joined(separator: " ")) }
}

/// `a=fingerprint:<hash function> <hex>` (RFC 8122 §5). The value is kept as text; the DTLS
/// module checks the digest.
public struct SDPFingerprint: Hashable, Sendable {
    public var hashFunction: String
    public var value: String

    public init(hashFunction: String, value: String) {
        self.hashFunction = hashFunction
        self.value = value
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let f = splitFields(attribute.value ?? "")
        guard f.count == 2 else {
            throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "fingerprint", detail: "need <hash> <hex>"))
        }
        self.init(hashFunction: String(f[0]).lowercased(), value: String(f[1]))
    }

    public var attribute: SDPAttribute { SDPAttribute("fingerprint", "\(hashFunction) \(value)") }
}

/// `a=setup:active|passive|actpass|holdconn` (RFC 4145 §4; DTLS roles: RFC 8842 §5).
public enum DTLSSetup: String, Hashable, Sendable, CaseIterable {
    case active, passive, actpass, holdconn
}

/// `a=candidate:...` (RFC 8839 §5.1).
public struct ICECandidate: Hashable, Sendable {
    public var foundation: String
    public var component: UInt16
    public var transport: String
    public var priority: UInt32
    public var address: String
    public var port: UInt16
    /// `host`, `srflx`, `prflx`, `relay`.
    public var type: String
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    /// Extension name/value pairs after the standard fields (`generation 0`, `ufrag x`, ...).
    public var extensions: [Extension]

    public struct Extension: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(foundation: String, component: UInt16, transport: String, priority: UInt32, address: String,
                port: UInt16, type: String, relatedAddress: String? = nil, relatedPort: UInt16? = nil,
                extensions: [Extension] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.type = type
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let bad = { (detail: String) in SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "candidate", detail: detail)) }
        let f = splitFields(attribute.value ?? "")
        guard f.count >= 8, f[6] == "typ" else { throw bad("need <foundation> <component> <transport> <priority> <address> <port> typ <type>") }
        guard let component = UInt16(f[1]) else { throw bad("component") }
        guard let priority = UInt32(f[3]) else { throw bad("priority") }
        guard let port = UInt16(f[5]) else { throw bad("port") }
        var relatedAddress: String?
        var relatedPort: UInt16?
        var extensions: [Extension] = []
        var i = 8
        while i + 1 < f.count {
            let name = f[i], value = f[i + 1]
            switch name {
            case "raddr": relatedAddress = String(value)
            case "rport":
                guard let p = UInt16(value) else { throw bad("rport") }
                relatedPort = p
            default: extensions.append(Extension(name: String(name), value: String(value)))
            }
            i += 2
        }
        guard i == f.count else { throw bad("extension without a value") }
        self.init(foundation: String(f[0]), component: component, transport: String(f[2]), priority: priority,
                  address: String(f[4]), port: port, type: String(f[7]), relatedAddress: relatedAddress,
                  relatedPort: relatedPort, extensions: extensions)
    }

    public var attribute: SDPAttribute {
        var text = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(type)"
        if let relatedAddress { text += " raddr \(relatedAddress)" }
        if let relatedPort { text += " rport \(relatedPort)" }
        for e in extensions { text += " \(e.name) \(e.value)" }
        return SDPAttribute("candidate", text)
    }
}

/// `a=rid:<id> send|recv [<restrictions>]` (RFC 8851 §10).
public struct RIDAttribute: Hashable, Sendable {
    public var id: String
    public var direction: String
    public var restrictions: String?

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let f = splitFields(attribute.value ?? "")
        guard f.count == 2 || f.count == 3, f[1] == "send" || f[1] == "recv" else {
            throw SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "rid", detail: "need <id> send|recv"))
        }
        id = String(f[0])
        direction = String(f[1])
        restrictions = f.count == 3 ? String(f[2]) : nil
    }
}

/// `a=simulcast:send <streams> [recv <streams>]` (RFC 8853 §5.1): alternatives per stream
/// separated by `,`, streams by `;`, a paused stream prefixed with `~`. Parsed, not used.
public struct SimulcastAttribute: Hashable, Sendable {
    public struct Alternative: Hashable, Sendable {
        public var rid: String
        public var paused: Bool
    }
    public var send: [[Alternative]] = []
    public var receive: [[Alternative]] = []

    public init(_ attribute: SDPAttribute) throws(SDPParseError) {
        let bad = SDPParseError(line: attribute.line, reason: .malformedAttribute(name: "simulcast", detail: "need send|recv <streams>"))
        let f = splitFields(attribute.value ?? "")
        guard f.count == 2 || f.count == 4 else { throw bad }
        var i = 0
        while i + 1 < f.count {
            let streams = f[i + 1].split(separator: ";").map { stream in
                stream.split(separator: ",").map { alt in
                    alt.first == "~" ? Alternative(rid: String(alt.dropFirst()), paused: true) : Alternative(rid: String(alt), paused: false)
                }
            }
            switch f[i] {
            case "send": send = streams
            case "recv": receive = streams
            default: throw bad
            }
            i += 2
        }
    }
}
