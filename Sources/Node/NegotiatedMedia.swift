/// A codec as negotiated for one m-section: the peer's payload type numbers.
public struct NegotiatedCodec: Sendable, Equatable {
    public enum Name: String, Sendable, Equatable { case vp8 = "VP8", vp9 = "VP9", opus = "opus" }
    public var name: Name
    public var payloadType: UInt8
    public var clockRate: UInt32
    /// The RTX payload type carrying retransmissions of this codec (RFC 4588 `apt`), if any.
    public var rtxPayloadType: UInt8?

    public init(name: Name, payloadType: UInt8, clockRate: UInt32, rtxPayloadType: UInt8? = nil) {
        self.name = name
        self.payloadType = payloadType
        self.clockRate = clockRate
        self.rtxPayloadType = rtxPayloadType
    }
}

/// Header-extension IDs negotiated for an m-section (0 = not negotiated).
public struct NegotiatedExtensions: Sendable, Equatable {
    public var mid: UInt8 = 0
    public var absSendTime: UInt8 = 0
    public var transportCC: UInt8 = 0
    public init() {}
}

/// What the node keeps of one accepted m-section of a WHIP/WHEP negotiation.
public struct NegotiatedMediaSection: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case audio, video }
    public var mid: String
    public var kind: Kind
    /// Codecs usable in this section, in the answer's order (the first is preferred).
    public var codecs: [NegotiatedCodec]
    public var extensions: NegotiatedExtensions
    /// The peer's media and RTX SSRCs when its SDP names them (`a=ssrc`, `a=ssrc-group:FID`).
    public var remoteSSRC: UInt32?
    public var remoteRTXSSRC: UInt32?
    /// Feedback the peer accepts: generic NACK, PLI, transport-cc.
    public var nack: Bool
    public var pli: Bool
    public var transportCC: Bool

    public init(mid: String, kind: Kind, codecs: [NegotiatedCodec], extensions: NegotiatedExtensions,
                remoteSSRC: UInt32? = nil, remoteRTXSSRC: UInt32? = nil,
                nack: Bool = true, pli: Bool = true, transportCC: Bool = false) {
        self.mid = mid
        self.kind = kind
        self.codecs = codecs
        self.extensions = extensions
        self.remoteSSRC = remoteSSRC
        self.remoteRTXSSRC = remoteRTXSSRC
        self.nack = nack
        self.pli = pli
        self.transportCC = transportCC
    }

    public func codec(payloadType: UInt8) -> NegotiatedCodec? { codecs.first { $0.payloadType == payloadType } }
    public func codec(rtxPayloadType: UInt8) -> NegotiatedCodec? { codecs.first { $0.rtxPayloadType == rtxPayloadType } }
    public func codec(named name: NegotiatedCodec.Name) -> NegotiatedCodec? { codecs.first { $0.name == name } }
}
