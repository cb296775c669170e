public import SansIO
public import RTP

/// Estimates a publisher's uplink on the receiving node without the sender's cooperation,
/// for REMB (draft-alvestrand-rmcat-remb-03), as libwebrtc's
/// `RemoteBitrateEstimatorAbsSendTime` (modules/remote_bitrate_estimator/
/// remote_bitrate_estimator_abs_send_time.cc) does, but with the trendline filter of the send
/// side instead of the Kalman filter.
///
/// Each packet brings its arrival time (node clock) and, when the stream carries the
/// abs-send-time extension, its send time, unwrapped across the 64 s wrap. The same
/// inter-arrival → trendline → overuse → AIMD chain as the send side runs on them, with the
/// incoming bitrate (1 s window) as the throughput. AIMD runs every 200 ms, or at once on
/// overuse when a decrease is due. Packets without abs-send-time only count toward the
/// incoming rate. Streams without abs-send-time can use their RTP timestamps as send times
/// instead (`onPacket(arrival:rtpTimestamp:clockRate:size:)`, as libwebrtc's
/// `RemoteBitrateEstimatorSingleStream`): coarser, since a frame's packets share a timestamp
/// and encoder jitter adds noise, and only for one stream (one timestamp base) per estimator.
/// Transport-cc sequence numbers carry no send time, so they cannot drive a receive-side
/// delay estimate; with transport-cc the node sends feedback and the sender estimates.
/// Without a start bitrate the estimate is `maxBitrate` (no cap) until the
/// first overuse or 5 s of incoming rate.
public struct ReceiveSideEstimator: Sendable {
    static let updateInterval: Int64 = 200_000

    public private(set) var delayBased: DelayBasedEstimator
    public private(set) var incoming = IncomingBitrate()
    private var unwrapper = AbsSendTimeUnwrapper()
    private var timestampUnwrapper = TimestampUnwrapper()
    private var lastUpdate: Int64?

    public init(minBitrate: Int = 30_000, maxBitrate: Int = 30_000_000, startBitrate: Int? = nil) {
        delayBased = DelayBasedEstimator(minBitrate: minBitrate, maxBitrate: maxBitrate, startBitrate: startBitrate)
    }

    /// The estimate in bps, for REMB.
    public var estimate: Int { delayBased.bitrate }
    /// The detector's hypothesis.
    public var usage: BandwidthUsage { delayBased.usage }

    /// A round-trip time measurement (sets the AIMD response time).
    public mutating func onRTT(_ rtt: Duration) { delayBased.rttMicroseconds = max(0, rtt.microseconds) }

    /// One received packet: arrival on the node's clock, abs-send-time if present, size in
    /// bytes (header included, as on the wire).
    public mutating func onPacket(arrival: Instant, sendTime: AbsSendTime?, size: Int) {
        incoming.add(size: size, at: arrival)
        guard let sendTime else { return }
        estimate(send: unwrapper.unwrap(sendTime), arrival: arrival, size: size)
    }

    /// One received packet of a stream without abs-send-time: its RTP timestamp (RFC 3550
    /// §5.1) at `clockRate` Hz stands in for the send time.
    public mutating func onPacket(arrival: Instant, rtpTimestamp: UInt32, clockRate: Int, size: Int) {
        incoming.add(size: size, at: arrival)
        guard clockRate > 0 else { return }
        let ticks = timestampUnwrapper.unwrap(rtpTimestamp)
        let rate = Int64(clockRate)
        let microseconds = (ticks / rate) &* 1_000_000 &+ (ticks % rate) &* 1_000_000 / rate
        estimate(send: Instant(microseconds: microseconds), arrival: arrival, size: size)
    }

    private mutating func estimate(send: Instant, arrival: Instant, size: Int) {
        delayBased.onPacket(sendTime: send, arrival: arrival, size: size, systemTime: arrival)
        let rate = incoming.rate(at: arrival)
        let at = arrival.microseconds
        var due = lastUpdate.map { at &- $0 >= Self.updateInterval } ?? true
        if delayBased.usage == .overusing, let rate,
           delayBased.rateControl.timeToReduceFurther(now: arrival, throughput: rate) {
            due = true
        }
        guard due else { return }
        lastUpdate = at
        _ = delayBased.update(acknowledgedBitrate: rate, probeBitrate: nil, now: arrival)
    }
}
