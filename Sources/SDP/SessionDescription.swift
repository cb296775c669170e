/// One `a=` line: `a=<name>` (a property) or `a=<name>:<value>` (RFC 8866 §5.13).
///
/// Attributes keep the order they had in the input, unknown ones included, so a parsed
/// description serializes back with every attribute it had.
public struct SDPAttribute: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    /// `nil` for a property attribute (`a=rtcp-mux`), the text after the first `:` otherwise.
    public var value: String?
    /// The 1-based input line this attribute came from (0 when built in code). Not part of equality.
    public var line: Int

    public init(_ name: String, _ value: String? = nil, line: Int = 0) {
        self.name = name
        self.value = value
        self.line = line
    }

    public static func == (a: SDPAttribute, b: SDPAttribute) -> Bool { a.name == b.name && a.value == b.value }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(value)
    }

    /// The line's text after `a=`.
    public var description: String { value.map { "\(name):\($0)" } ?? name }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2).
public struct SDPOrigin: Hashable, Sendable {
    public var username: String
    public var sessionID: String
    public var sessionVersion: String
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: String = "2",
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7).
public struct SDPConnection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8; `AS` and `TIAS` in practice).
public struct SDPBandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }
}

/// `t=<start-time> <stop-time>` and its `r=` lines, kept as text (RFC 8866 §5.9, §5.10).
public struct SDPTiming: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }
}

/// One media section: `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` and the lines
/// under it (RFC 8866 §5.14).
public struct MediaDescription: Hashable, Sendable {
    /// `audio`, `video`, `application`, ...
    public var media: String
    public var port: UInt16
    public var portCount: UInt16?
    /// `UDP/TLS/RTP/SAVPF` for WebRTC media, `UDP/DTLS/SCTP` for data channels.
    public var proto: String
    /// Media formats as written: RTP payload type numbers for RTP protocols.
    public var formats: [String]
    public var information: String?
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var key: String?
    public var attributes: [SDPAttribute]

    public init(media: String, port: UInt16, portCount: UInt16? = nil, proto: String, formats: [String],
                information: String? = nil, connection: SDPConnection? = nil, bandwidths: [SDPBandwidth] = [],
                key: String? = nil, attributes: [SDPAttribute] = []) {
        self.media = media
        self.port = port
        self.portCount = portCount
        self.proto = proto
        self.formats = formats
        self.information = information
        self.connection = connection
        self.bandwidths = bandwidths
        self.key = key
        self.attributes = attributes
    }

    /// Whether the protocol carries RTP, whose formats must be payload type numbers.
    public var isRTP: Bool { proto.split(separator: "/").contains("RTP") }

    /// The formats as RTP payload types (those that are numbers from 0 to 127).
    public var payloadTypes: [UInt8] { formats.compactMap { UInt8($0) }.filter { $0 < 128 } }
}

/// A session description (RFC 8866): session-level lines, then media sections.
///
/// An RFC 8840 trickle-ICE fragment parses into the same model (no `v=`/`o=` lines).
public struct SessionDescription: Hashable, Sendable {
    public var version: Int
    public var origin: SDPOrigin?
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String]
    public var phones: [String]
    public var connection: SDPConnection?
    public var bandwidths: [SDPBandwidth]
    public var timings: [SDPTiming]
    public var timeZones: String?
    public var key: String?
    public var attributes: [SDPAttribute]
    public var media: [MediaDescription]

    public init(origin: SDPOrigin?, sessionName: String = "-", information: String? = nil, uri: String? = nil,
                emails: [String] = [], phones: [String] = [], connection: SDPConnection? = nil,
                bandwidths: [SDPBandwidth] = [], timings: [SDPTiming] = [SDPTiming()], timeZones: String? = nil,
                key: String? = nil, attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.version = 0
        self.origin = origin
        self.sessionName = sessionName
        self.information = information
        self.uri = uri
        self.emails = emails
        self.phones = phones
        self.connection = connection
        self.bandwidths = bandwidths
        self.timings = timings
        self.timeZones = timeZones
        self.key = key
        self.attributes = attributes
        self.media = media
    }
}
