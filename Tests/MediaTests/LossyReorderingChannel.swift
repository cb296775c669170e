import RTP
import SansIO

/// A deterministic lossy, reordering link for tests: packets are collected into windows of
/// `window` packets, each window is shuffled, each packet is lost with probability `lossRate`,
/// and the rest arrive `delay` later, half a millisecond apart. Retransmissions arrive after a
/// round trip (`2 × delay`); the first retransmission of a packet is lost with probability
/// `retransmissionLossRate`, later ones always arrive. Packets in `neverDeliver` never arrive.
struct LossyReorderingChannel {
    var rng: SplitMix64
    let window: Int
    let lossRate: Double
    let retransmissionLossRate: Double
    let delay: Duration
    var neverDeliver: Set<UInt16> = []

    private var collecting: [RTPPacket] = []
    private var inFlight: [(at: Instant, order: Int, packet: RTPPacket)] = []
    private var order = 0
    private var retransmissions: [UInt16: Int] = [:]
    /// Originals lost, retransmissions sent and lost, and deliveries out of sequence order.
    private(set) var lost = 0
    private(set) var retransmitted = 0
    private(set) var retransmissionsLost = 0
    private(set) var reordered = 0
    private var lastDelivered: UInt16?

    init(seed: UInt64, window: Int = 6, lossRate: Double, retransmissionLossRate: Double = 0.3,
         delay: Duration = .milliseconds(20)) {
        self.rng = SplitMix64(state: seed)
        self.window = window
        self.lossRate = lossRate
        self.retransmissionLossRate = retransmissionLossRate
        self.delay = delay
    }

    /// Sends packets; full windows leave at once, the rest waits for more packets or `flush`.
    mutating func send(_ packets: [RTPPacket], now: Instant) {
        collecting += packets
        while collecting.count >= window {
            release(Array(collecting.prefix(window)), now: now)
            collecting.removeFirst(window)
        }
    }

    mutating func flush(now: Instant) {
        release(collecting, now: now)
        collecting = []
    }

    private mutating func release(_ packets: [RTPPacket], now: Instant) {
        var shuffled = packets
        shuffled.shuffle(using: &rng)
        for (i, packet) in shuffled.enumerated() {
            if neverDeliver.contains(packet.header.sequenceNumber) || rng.chance(lossRate) {
                lost += 1
                continue
            }
            schedule(packet, at: now + delay + .microseconds(Int64(i) * 500))
        }
    }

    /// The sender resends `packet` because a NACK sent at `now` asked for it.
    mutating func retransmit(_ packet: RTPPacket, now: Instant) {
        retransmitted += 1
        let sequenceNumber = packet.header.sequenceNumber
        let attempt = retransmissions[sequenceNumber, default: 0]
        retransmissions[sequenceNumber] = attempt + 1
        if neverDeliver.contains(sequenceNumber) || (attempt == 0 && rng.chance(retransmissionLossRate)) {
            retransmissionsLost += 1
            return
        }
        schedule(packet, at: now + delay + delay)
    }

    private mutating func schedule(_ packet: RTPPacket, at time: Instant) {
        inFlight.append((time, order, packet))
        order += 1
    }

    /// When the next packet arrives, if any is on its way.
    var nextDelivery: Instant? { inFlight.map(\.at).min() }
    var isIdle: Bool { inFlight.isEmpty && collecting.isEmpty }

    /// The packets arriving by `now`, in arrival order.
    mutating func deliveries(upTo now: Instant) -> [RTPPacket] {
        let due = inFlight.filter { $0.at <= now }.sorted { ($0.at, $0.order) < ($1.at, $1.order) }
        inFlight.removeAll { $0.at <= now }
        for item in due {
            let sequenceNumber = item.packet.header.sequenceNumber
            if let last = lastDelivered, !SequenceNumberUnwrapper.isNewer(sequenceNumber, than: last) { reordered += 1 }
            lastDelivered = sequenceNumber
        }
        return due.map(\.packet)
    }
}
