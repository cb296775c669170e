/// Typed access to the `a=` lines of a session or a media section.
///
/// Readers that parse a value throw `SDPParseError` (with the attribute's line number) when the
/// value breaks its grammar; attributes nobody reads are never checked.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
}

extension SessionDescription: SDPAttributeContainer {}
extension MediaDescription: SDPAttributeContainer {}

extension SDPAttributeContainer {
    /// Every attribute named `name`, in order.
    public func attributes(named name: String) -> [SDPAttribute] { attributes.filter { $0.name == name } }
    /// The first attribute named `name`.
    public func attribute(named name: String) -> SDPAttribute? { attributes.first { $0.name == name } }
    /// Whether an attribute named `name` is present.
    public func has(_ name: String) -> Bool { attributes.contains { $0.name == name } }
    /// The value of the first attribute named `name`.
    public func value(of name: String) -> String? { attribute(named: name)?.value }

    /// `a=ice-ufrag` (RFC 8839 §5.4).
    public var iceUfrag: String? { value(of: "ice-ufrag") }
    /// `a=ice-pwd` (RFC 8839 §5.4).
    public var icePwd: String? { value(of: "ice-pwd") }
    /// `a=ice-options` tokens (RFC 8839 §5.6), e.g. `trickle`.
    public var iceOptions: [String] { attributes(named: "ice-options").flatMap { splitFields($0.value ?? "").map(String.init) } }
    /// `a=ice-lite` (RFC 8839 §5.3).
    public var iceLite: Bool { has("ice-lite") }
    /// `a=end-of-candidates` (RFC 8840 §8.2).
    public var endOfCandidates: Bool { has("end-of-candidates") }

    /// `a=fingerprint` lines (RFC 8122 §5).
    public func fingerprints() throws(SDPParseError) -> [SDPFingerprint] {
        try typed("fingerprint", SDPFingerprint.init)
    }

    /// `a=setup` (RFC 4145 §4).
    public func setup() throws(SDPParseError) -> DTLSSetup? {
        guard let a = attribute(named: "setup") else { return nil }
        guard let setup = DTLSSetup(rawValue: a.value ?? "") else {
            throw SDPParseError(line: a.line, reason: .malformedAttribute(name: "setup", detail: "need active, passive or actpass"))
        }
        return setup
    }

    /// `a=group` lines (RFC 5888 §5).
    public func groups() throws(SDPParseError) -> [SDPGroup] { try typed("group", SDPGroup.init) }

    /// The `a=group:BUNDLE` mids (RFC 9143 §7.1), `nil` if there is no BUNDLE group.
    public func bundleMids() throws(SDPParseError) -> [String]? {
        try groups().first { $0.semantics == "BUNDLE" }?.mids
    }

    /// `a=candidate` lines (RFC 8839 §5.1).
    public func candidates() throws(SDPParseError) -> [ICECandidate] { try typed("candidate", ICECandidate.init) }

    func typed<T>(_ name: String, _ make: (SDPAttribute) throws(SDPParseError) -> T) throws(SDPParseError) -> [T] {
        var out: [T] = []
        for a in attributes where a.name == name { out.append(try make(a)) }
        return out
    }
}

extension MediaDescription {
    /// `a=mid` (RFC 9143 §7.1 / RFC 5888 §4).
    public var mid: String? { value(of: "mid") }
    /// `a=rtcp-mux` (RFC 5761 §5.1.3).
    public var rtcpMux: Bool { has("rtcp-mux") }
    /// `a=rtcp-rsize` (RFC 5506 §5).
    public var rtcpReducedSize: Bool { has("rtcp-rsize") }
    /// The section's direction attribute; `sendrecv` when none is given (RFC 8866 §6.7).
    public var direction: MediaDirection {
        attributes.lazy.compactMap { MediaDirection(rawValue: $0.name) }.first ?? .sendrecv
    }

    /// `a=rtpmap` lines (RFC 8866 §6.6).
    public func rtpMaps() throws(SDPParseError) -> [RTPMap] { try typed("rtpmap", RTPMap.init) }
    /// `a=fmtp` lines (RFC 8866 §6.15).
    public func formatParameters() throws(SDPParseError) -> [FormatParameters] { try typed("fmtp", FormatParameters.init) }
    /// `a=rtcp-fb` lines (RFC 4585 §4.2).
    public func rtcpFeedback() throws(SDPParseError) -> [RTCPFeedback] { try typed("rtcp-fb", RTCPFeedback.init) }
    /// `a=extmap` lines (RFC 8285 §7).
    public func extMaps() throws(SDPParseError) -> [ExtMap] { try typed("extmap", ExtMap.init) }
    /// `a=msid` (RFC 8830 §2).
    public func msid() throws(SDPParseError) -> MediaStreamID? { try typed("msid", MediaStreamID.init).first }
    /// `a=ssrc` lines (RFC 5576 §4.1).
    public func ssrcAttributes() throws(SDPParseError) -> [SSRCAttribute] { try typed("ssrc", SSRCAttribute.init) }
    /// `a=ssrc-group` lines (RFC 5576 §4.2).
    public func ssrcGroups() throws(SDPParseError) -> [SSRCGroup] { try typed("ssrc-group", SSRCGroup.init) }
    /// `a=rid` lines (RFC 8851 §10).
    public func rids() throws(SDPParseError) -> [RIDAttribute] { try typed("rid", RIDAttribute.init) }
    /// `a=simulcast` (RFC 8853 §5.1).
    public func simulcast() throws(SDPParseError) -> SimulcastAttribute? { try typed("simulcast", SimulcastAttribute.init).first }
}
