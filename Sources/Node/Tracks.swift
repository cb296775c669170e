import SansIO

/// Bytes over the last second, in ten 100 ms buckets.
struct BitrateMeter: Sendable {
    private var buckets = [Int](repeating: 0, count: 10)
    private var bucketStart: Int64 = 0   // 100 ms units

    mutating func add(_ bytes: Int, now: Instant) {
        advance(to: now)
        buckets[Int(bucketStart % 10)] += bytes
    }

    mutating func bitsPerSecond(now: Instant) -> Int {
        advance(to: now)
        return buckets.reduce(0, +) * 8
    }

    private mutating func advance(to now: Instant) {
        let slot = now.microseconds / 100_000
        if slot - bucketStart >= 10 {
            buckets = [Int](repeating: 0, count: 10)
        } else {
            var s = bucketStart + 1
            while s <= slot {
                buckets[Int(s % 10)] = 0
                s += 1
            }
        }
        bucketStart = max(bucketStart, slot)
    }
}

/// Identifies one outgoing stream: a subscriber session and the index of its m-section.
struct StreamKey: Hashable, Sendable {
    var session: String
    var index: Int
}

/// One m-section a publisher sends: its sources, reception state and who receives it.
final class PublishedTrack {
    let id: String
    let session: String
    let section: NegotiatedMediaSection
    var mediaSSRC: UInt32?
    var rtxSSRC: UInt32?
    /// The codec of the most recent packet.
    var codec: NegotiatedCodec?
    var statistics: ReceiveStatistics?
    var nacks = NackTracker()
    var keyframeRequests: KeyframeRequestThrottle
    var receivers: [StreamKey] = []
    var meter = BitrateMeter()
    var packets = 0
    var firSequence: UInt8 = 0
    /// Ask the publisher for a keyframe at the next tick (a subscriber switched renditions).
    var keyframeWanted = false
    /// Set while the track's restored rendition is being produced (see Node+Processing.swift).
    var processing: TrackProcessing?

    init(session: String, section: NegotiatedMediaSection, keyframeInterval: Duration) {
        self.id = "\(session)/\(section.mid)"
        self.session = session
        self.section = section
        self.mediaSSRC = section.remoteSSRC
        self.rtxSSRC = section.remoteRTXSSRC
        self.keyframeRequests = KeyframeRequestThrottle(interval: keyframeInterval)
    }

    var kind: NegotiatedMediaSection.Kind { section.kind }
}

/// One m-section a subscriber receives: our SSRCs for it, the rewriting state, the RTX buffer.
struct SubscriberStream {
    let section: NegotiatedMediaSection
    let ssrc: UInt32
    let rtxSSRC: UInt32
    var rewriter: StreamRewriter
    var rtxSequence: UInt16
    var buffer: RetransmissionBuffer?
    /// The published track feeding this stream, if any.
    var source: String?
    var packetsSent: UInt32 = 0
    var octetsSent: UInt32 = 0
    var clockRate: UInt32
    var meter = BitrateMeter()

    var kind: NegotiatedMediaSection.Kind { section.kind }
}
