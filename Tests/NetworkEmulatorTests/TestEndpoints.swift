import SansIO
@testable import NetworkEmulator

/// Host addresses used by the tests.
enum Hosts {
    static let a = TransportAddress(ip: .v4(10, 0, 0, 1), port: 5000)
    static let b = TransportAddress(ip: .v4(10, 0, 0, 2), port: 6000)
}

/// Sends `size`-byte datagrams at a constant rate from `start` until `stop`;
/// the first four bytes carry a sequence number.
final class ConstantRateSender: EmulatedEndpoint {
    let from: TransportAddress
    let to: TransportAddress
    let size: Int
    let intervalUs: Double
    let stop: Instant
    private var nextUs: Double
    private(set) var sent = 0

    init(from: TransportAddress = Hosts.a, to: TransportAddress = Hosts.b, kbps: Double, size: Int = 1200,
         start: Instant = .zero, stop: Instant = .seconds(3600)) {
        self.from = from
        self.to = to
        self.size = size
        self.intervalUs = Double(size * 8) * 1000 / kbps
        self.stop = stop
        self.nextUs = Double(start.microseconds)
    }

    var nextDeadline: Instant? {
        let next = Instant(microseconds: Int64(nextUs.rounded(.up)))
        return next <= stop ? next : nil
    }

    func handleTimeout(now: Instant) -> [Datagram] {
        var out: [Datagram] = []
        while Int64(nextUs.rounded(.up)) <= now.microseconds, Instant(microseconds: Int64(nextUs.rounded(.up))) <= stop {
            var bytes = [UInt8](repeating: 0, count: size)
            let seq = UInt32(truncatingIfNeeded: sent)
            if size >= 4 {
                bytes[0] = UInt8(seq >> 24)
                bytes[1] = UInt8((seq >> 16) & 0xFF)
                bytes[2] = UInt8((seq >> 8) & 0xFF)
                bytes[3] = UInt8(seq & 0xFF)
            }
            out.append(Datagram(bytes: bytes, from: from, to: to))
            sent += 1
            nextUs += intervalUs
        }
        return out
    }

    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] { [] }
}

/// Records every datagram it receives, with its arrival time.
final class Sink: EmulatedEndpoint {
    private(set) var arrivals: [(time: Instant, sequence: UInt32, size: Int)] = []
    var nextDeadline: Instant? { nil }
    func handleTimeout(now: Instant) -> [Datagram] { [] }
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] {
        let b = datagram.bytes
        let seq = b.count >= 4 ? UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]) : 0
        arrivals.append((now, seq, b.count))
        return []
    }
    var bytes: Int { arrivals.reduce(0) { $0 + $1.size } }
}

/// Sends every datagram straight back to where it came from.
final class Echo: EmulatedEndpoint {
    var nextDeadline: Instant? { nil }
    func handleTimeout(now: Instant) -> [Datagram] { [] }
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] {
        [Datagram(bytes: datagram.bytes, from: datagram.to, to: datagram.from)]
    }
}

/// Sends one probe at `at` and measures how long the reply takes.
final class Pinger: EmulatedEndpoint {
    let at: Instant
    let size: Int
    private var sentAt: Instant?
    private(set) var rtt: Duration?

    init(at: Instant, size: Int = 100) {
        self.at = at
        self.size = size
    }

    var nextDeadline: Instant? { sentAt == nil ? at : nil }
    func handleTimeout(now: Instant) -> [Datagram] {
        sentAt = now
        return [Datagram(bytes: [UInt8](repeating: 7, count: size), from: Hosts.a, to: Hosts.b)]
    }
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] {
        if let sentAt { rtt = now - sentAt }
        return []
    }
}

/// A one-link network a → b with a constant-rate sender and a sink.
func oneWay(_ configuration: LinkConfiguration, kbps: Double, size: Int = 1200,
            stop: Instant = .seconds(3600)) -> (Network, LinkID, ConstantRateSender, Sink) {
    let network = Network()
    let sender = ConstantRateSender(kbps: kbps, size: size, stop: stop)
    let sink = Sink()
    network.attach(sender, at: Hosts.a)
    network.attach(sink, at: Hosts.b)
    let id = network.connect(from: Hosts.a.ip, to: Hosts.b.ip, configuration)
    return (network, id, sender, sink)
}

/// Mean delivered kbps over the samples whose window lies in `[from, to)`.
func meanDeliveredKbps(_ samples: [LinkSample], from: Instant, to: Instant) -> Double {
    let chosen = samples.filter { $0.start >= from && $0.end <= to }
    guard !chosen.isEmpty else { return 0 }
    return chosen.reduce(0) { $0 + $1.deliveredKbps } / Double(chosen.count)
}
