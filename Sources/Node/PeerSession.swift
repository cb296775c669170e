import BandwidthEstimation
import RTP
import SansIO

/// One WHIP or WHEP session: a peer, its transport (ICE, DTLS, SRTP) and its media.
final class PeerSession {
    enum State: String { case new, connected, closed }

    let id: String
    let role: SessionRole
    let room: String
    let variant: Variant
    let localUfrag: String
    var etag: String
    let transport: PeerTransport
    let sections: [NegotiatedMediaSection]
    var state: State = .new
    var remoteAddress: TransportAddress?
    let createdAt: Instant

    /// Publisher: one track per accepted m-section, keyed by MID.
    var tracks: [String: PublishedTrack] = [:]
    /// Publisher: incoming SSRC (media or RTX) → track MID.
    var ssrcToMid: [UInt32: String] = [:]
    /// Publisher: transport-wide sequence numbers received since the last feedback, with arrival times.
    var transportFeedback = TransportFeedbackRecorder()
    /// Publisher: the uplink's bandwidth, estimated from arrival times and abs-send-time; sent in REMB.
    var uplink: ReceiveSideEstimator
    /// Header-extension IDs shared by the bundled sections (the first section that negotiated each).
    let extensions: NegotiatedExtensions

    /// Subscriber: one outgoing stream per accepted m-section, in SDP order.
    var streams: [SubscriberStream] = []
    /// Subscriber: next transport-wide sequence number on what we send.
    var transportSequence: UInt16 = 0
    /// Subscriber: the transport-wide sequence number of the last packet sent, unwrapped.
    var transportSequenceUnwrapped: Int64 = 0
    /// Subscriber: send-side estimate of the downlink from its transport-cc feedback (goog_cc
    /// without the pacer: the node forwards what publishers send, so nothing probes).
    var downlink: SendSideBandwidthEstimator?
    /// Subscriber: round-trip time from its receiver reports (RFC 3550 §6.4.1), for NACK pacing.
    var rtt: Duration = .milliseconds(100)

    /// SSRC the node uses as sender of RTCP feedback towards this peer.
    let rtcpSSRC: UInt32
    var nextReportAt: Instant
    var nextFeedbackAt: Instant

    init(id: String, role: SessionRole, room: String, variant: Variant, localUfrag: String, etag: String,
         transport: PeerTransport, sections: [NegotiatedMediaSection], rtcpSSRC: UInt32, maxPublishBitrate: Int,
         now: Instant) {
        self.id = id
        self.role = role
        self.room = room
        self.variant = variant
        self.localUfrag = localUfrag
        self.etag = etag
        self.transport = transport
        self.sections = sections
        self.rtcpSSRC = rtcpSSRC
        self.createdAt = now
        self.nextReportAt = now + .seconds(1)
        self.nextFeedbackAt = now + .milliseconds(100)
        self.uplink = ReceiveSideEstimator(maxBitrate: maxPublishBitrate)
        var ids = NegotiatedExtensions()
        for section in sections {
            if ids.mid == 0 { ids.mid = section.extensions.mid }
            if ids.absSendTime == 0 { ids.absSendTime = section.extensions.absSendTime }
            if ids.transportCC == 0 { ids.transportCC = section.extensions.transportCC }
        }
        self.extensions = ids
        if role == .subscriber, sections.contains(where: { $0.transportCC && $0.extensions.transportCC != 0 }) {
            downlink = SendSideBandwidthEstimator(startBitrate: 1_000_000, minBitrate: 30_000,
                                                  maxBitrate: Self.maxDownlinkEstimate, probing: false)
        }
    }

    /// The downlink estimate never goes above this (bps).
    static let maxDownlinkEstimate = 50_000_000

    /// Subscriber: records a packet sent with the transport-wide sequence number that
    /// `Node.extensions(for:)` just assigned.
    func sentWithTransportSequence(size: Int, now: Instant) {
        downlink?.onPacketSent(sequence: transportSequenceUnwrapped, size: size, at: now, probeCluster: nil)
    }
}

/// Arrival times of transport-wide sequence numbers (draft-holmer-rmcat-transport-wide-cc-extensions-01),
/// kept until the next transport-cc feedback packet reports them.
///
/// Each feedback starts where the previous one ended (as libwebrtc's receiver does), so a packet
/// lost between two feedbacks is reported as not received rather than never mentioned; a packet
/// arriving after a feedback already reported it as lost is dropped.
struct TransportFeedbackRecorder {
    /// A gap larger than this before the first new arrival (a sender restart, a long outage) is
    /// not reported packet by packet: the next feedback starts at that arrival.
    static let maximumReportedGap: Int64 = 0x4000

    private var sequences = SequenceNumberUnwrapper()
    private(set) var arrivals: [(sequence: Int64, at: Instant)] = []
    private(set) var feedbackCount: UInt8 = 0
    /// The highest sequence number a feedback has covered.
    private(set) var reportedThrough: Int64?

    mutating func record(_ sequence: UInt16, at: Instant) {
        let ext = sequences.unwrapAgainstHighest(sequence)
        if arrivals.count < 4096 { arrivals.append((ext, at)) }
    }

    /// Takes what was recorded, sorted by sequence number, duplicates and packets already
    /// reported removed, and the sequence number the feedback starts at (the one after the
    /// last reported, or the first arrival).
    mutating func drain() -> (base: Int64, arrivals: [(sequence: Int64, at: Instant)], feedbackCount: UInt8)? {
        var seen = Set<Int64>()
        let floor = reportedThrough.map { $0 + 1 } ?? Int64.min
        let sorted = arrivals.sorted { $0.sequence < $1.sequence }
            .filter { $0.sequence >= floor && seen.insert($0.sequence).inserted }
        arrivals.removeAll(keepingCapacity: true)
        guard let first = sorted.first, let last = sorted.last else { return nil }
        let base = floor != Int64.min && first.sequence - floor <= Self.maximumReportedGap ? floor : first.sequence
        reportedThrough = last.sequence
        defer { feedbackCount &+= 1 }
        return (base, sorted, feedbackCount)
    }
}
