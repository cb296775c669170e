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

/// Arrival times of transport-wide sequence numbers (draft-holmer-rmcat-transport-wide-cc-extensions-01)
/// for the transport-cc feedback packets, as libwebrtc's receiver keeps them:
///
/// - each feedback starts where the previous one ended, so a packet lost between two feedbacks
///   is reported as not received rather than never mentioned;
/// - a packet that arrives after a feedback covered its number (reordering) moves the next
///   feedback's start back to it, so it is reported received, along with what the previous
///   feedbacks already reported from there on (the sender ignores what it already knows);
/// - arrivals stay re-reportable for `historyMicroseconds`; a packet later than that is dropped.
struct TransportFeedbackRecorder {
    /// A gap larger than this before the first new arrival (a sender restart, a long outage) is
    /// not reported packet by packet: the next feedback starts at that arrival.
    static let maximumReportedGap: Int64 = 0x4000
    /// How long an arrival can be reported again (libwebrtc's receiver keeps 500 ms).
    static let historyMicroseconds: Int64 = 500_000
    /// Arrivals kept at most (a flood of distinct numbers cannot grow the session without bound).
    static let maximumHistory = 8192

    private var sequences = SequenceNumberUnwrapper()
    /// Arrival time by unwrapped sequence number: the unreported ones and the recent reported ones.
    private var history: [Int64: Instant] = [:]
    /// Numbers below this left the history: they are never reported again.
    private var historyFloor = Int64.min
    /// The lowest and highest numbers recorded since the last feedback.
    private var lowestNew: Int64?
    private var highestNew: Int64?
    private(set) var feedbackCount: UInt8 = 0
    /// The highest sequence number a feedback has covered.
    private(set) var reportedThrough: Int64?

    mutating func record(_ sequence: UInt16, at: Instant) {
        let ext = sequences.unwrapAgainstHighest(sequence)
        guard ext >= historyFloor, history[ext] == nil, history.count < Self.maximumHistory else { return }
        history[ext] = at
        lowestNew = min(lowestNew ?? ext, ext)
        highestNew = max(highestNew ?? ext, ext)
    }

    /// What the next feedback reports: the sequence number it starts at and the arrivals from
    /// there through its end, sorted by sequence number; nil when nothing arrived since the last.
    mutating func drain() -> (base: Int64, arrivals: [(sequence: Int64, at: Instant)], feedbackCount: UInt8)? {
        guard let low = lowestNew, let high = highestNew else { return nil }
        lowestNew = nil
        highestNew = nil
        var base = low
        if let through = reportedThrough, low > through, low - (through + 1) <= Self.maximumReportedGap {
            base = through + 1
        }
        let end = max(high, reportedThrough ?? high)
        let arrivals = history.filter { $0.key >= base && $0.key <= end }
            .map { (sequence: $0.key, at: $0.value) }
            .sorted { $0.sequence < $1.sequence }
        reportedThrough = end
        prune()
        defer { feedbackCount &+= 1 }
        return (base, arrivals, feedbackCount)
    }

    /// Forgets arrivals older than the history window (behind the newest arrival), and everything
    /// below the highest number forgotten.
    private mutating func prune() {
        guard let newest = history.values.max() else { return }
        let horizon = newest.microseconds - Self.historyMicroseconds
        var floor = historyFloor
        for (sequence, at) in history where at.microseconds < horizon { floor = max(floor, sequence + 1) }
        if history.count >= Self.maximumHistory / 2, let through = reportedThrough {
            floor = max(floor, through + 1 - Int64(Self.maximumHistory / 4))
        }
        guard floor > historyFloor else { return }
        historyFloor = floor
        history = history.filter { $0.key >= floor }
    }
}
