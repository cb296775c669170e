extension SessionDescription {
    /// The description as SDP text: lines in RFC 8866 §5 order, each ending in CRLF.
    public func serialize() -> String {
        var out = ""
        func line(_ type: String, _ value: String) {
            out += type
            out += "="
            out += value
            out += "\r\n"
        }
        if let origin {
            line("v", String(version))
            line("o", "\(origin.username) \(origin.sessionID) \(origin.sessionVersion) \(origin.networkType) \(origin.addressType) \(origin.address)")
            line("s", sessionName.isEmpty ? "-" : sessionName)
        }
        if let information { line("i", information) }
        if let uri { line("u", uri) }
        for e in emails { line("e", e) }
        for p in phones { line("p", p) }
        if let connection { line("c", "\(connection.networkType) \(connection.addressType) \(connection.address)") }
        for b in bandwidths { line("b", "\(b.type):\(b.value)") }
        if origin != nil, timings.isEmpty { line("t", "0 0") }
        for t in timings {
            line("t", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r", r) }
        }
        if let timeZones { line("z", timeZones) }
        if let key { line("k", key) }
        for a in attributes { line("a", a.description) }
        for m in media {
            let port = m.portCount.map { "\(m.port)/\($0)" } ?? String(m.port)
            line("m", ([m.media, port, m.proto] + m.formats).joined(separator: " "))
            if let information = m.information { line("i", information) }
            if let c = m.connection { line("c", "\(c.networkType) \(c.addressType) \(c.address)") }
            for b in m.bandwidths { line("b", "\(b.type):\(b.value)") }
            if let key = m.key { line("k", key) }
            for a in m.attributes { line("a", a.description) }
        }
        return out
    }
}
