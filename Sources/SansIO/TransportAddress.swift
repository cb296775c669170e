/// An IP address and port, without any socket library behind it.
///
/// The server converts NIO's `SocketAddress` into this at the edge; the core,
/// the emulator and the simulated peers only ever see `TransportAddress`.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    public enum IP: Hashable, Sendable {
        /// Four bytes, network order.
        case v4(UInt8, UInt8, UInt8, UInt8)
        /// Sixteen bytes, network order.
        case v6([UInt8])
    }

    public var ip: IP
    public var port: UInt16

    public init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// An IPv4 address from its dotted-quad text, e.g. `"127.0.0.1"`; `nil` if malformed.
    public init?(ipv4 text: String, port: UInt16) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.count <= 3, let b = UInt8(part) else { return nil }
            bytes.append(b)
        }
        self.init(ip: .v4(bytes[0], bytes[1], bytes[2], bytes[3]), port: port)
    }

    /// The address bytes in network order (4 or 16 of them).
    public var ipBytes: [UInt8] {
        switch ip {
        case let .v4(a, b, c, d): return [a, b, c, d]
        case let .v6(bytes): return bytes
        }
    }

    /// The address as text, without the port: `127.0.0.1` or the full IPv6 hex form.
    public var ipString: String {
        switch ip {
        case let .v4(a, b, c, d):
            return "\(a).\(b).\(c).\(d)"
        case let .v6(bytes):
            var groups: [String] = []
            var i = 0
            while i + 1 < bytes.count {
                groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16))
                i += 2
            }
            return groups.joined(separator: ":")
        }
    }

    public var description: String {
        switch ip {
        case .v4: return "\(ipString):\(port)"
        case .v6: return "[\(ipString)]:\(port)"
        }
    }
}

/// A datagram a state machine wants sent: its bytes and where to.
public struct Transmit: Sendable, Equatable {
    public var bytes: [UInt8]
    public var to: TransportAddress
    public init(bytes: [UInt8], to: TransportAddress) {
        self.bytes = bytes
        self.to = to
    }
}
