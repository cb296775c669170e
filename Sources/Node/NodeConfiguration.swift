public import Media
public import SansIO

/// How the node behaves; the server builds it from `Config/loupe.yaml` (docs/configuration.md).
public struct NodeConfiguration: Sendable {
    /// ICE host candidates advertised in answers: the addresses peers send UDP to.
    public var candidates: [TransportAddress]
    /// Video codecs the node accepts; among them, the offer's order decides.
    public var videoCodecs: [VideoCodec] = [.vp8, .vp9]
    /// Least time between two keyframe requests sent to one publisher.
    public var keyframeRequestInterval: Duration = .milliseconds(500)
    /// Packets kept per outgoing video stream to answer NACKs.
    public var rtxBufferPackets = 1024
    /// Bitrate cap sent to publishers in REMB, bits per second.
    public var maxPublishBitrate = 2_500_000
    /// Silence after which a peer is considered gone (RFC 7675).
    public var consentTimeout: Duration = .seconds(30)
    public var maxSessions = 1000
    public var maxSubscribersPerRoom = 200
    /// The NTP time (RFC 3550 §4, 32.32 fixed point) at `Instant.zero`, for sender reports.
    /// The server sets it from the wall clock once at start; simulations leave it at 0.
    public var ntpTimeAtZero: UInt64 = 0
    /// The restored rendition (`variant=restored` subscribers).
    public var processing = ProcessingSettings()

    public init(candidates: [TransportAddress]) { self.candidates = candidates }
}

/// What can happen to the node, apart from signaling calls.
public enum NodeInput: Sendable {
    /// A datagram arrived on the shared UDP port.
    case datagram([UInt8], from: TransportAddress)
    /// The time returned by `nextDeadline` has come.
    case timeout
    /// The processing backend encoded a frame of a published track's restored rendition.
    case processedVideo(track: String, ProcessedVideoFrame)
    /// The processing backend cannot decode a published track until its next keyframe.
    case processingNeedsKeyframe(track: String)
}

/// How the node serves the restored rendition of published video.
public struct ProcessingSettings: Sendable, Equatable {
    /// Rooms serve `variant=restored` subscribers a processed rendition unless the admin API
    /// turns it off for a room; when off, they get the original.
    public var enabled = true
    /// The rendition's encoder target when it starts, before any downlink estimate (bps).
    public var startBitrate = 1_000_000
    /// Bounds of the encoder target the node derives from the restored subscribers' downlink
    /// estimates (bps).
    public var minBitrate = 150_000
    public var maxBitrate = 2_500_000
    /// Share of the lowest restored subscriber's downlink estimate given to the encoder (the
    /// rest is left for audio, retransmissions and the encoder's overshoot).
    public var estimateShare = 0.85

    public init() {}
}
