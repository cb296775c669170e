public import SansIO

/// An emulated network: endpoints at transport addresses, joined by links in
/// each direction per host pair, driven by a virtual clock.
///
/// `run(until:)` jumps from event to event — a datagram arriving, an
/// endpoint's deadline — and never sleeps. At one instant, arrivals come
/// before timers, arrivals in the order they were sent, and timers in the
/// order endpoints were attached; so the same endpoints, links and seeds give
/// bit-identical runs.
public final class Network {
    private enum Event {
        case arrival(Datagram, link: Int)
    }

    private struct Window {
        var deliveredBytes = 0
        var queueDelaySumUs: Int64 = 0
        var queueDelayCount = 0
        var drops = 0
    }

    private struct HostPair: Hashable {
        var from: TransportAddress.IP
        var to: TransportAddress.IP
    }

    /// The length of a timeseries window.
    public let sampleInterval: Duration
    /// The virtual clock; it only moves inside `run(until:)`.
    public private(set) var clock: VirtualClock
    /// Datagrams sent between hosts with no link between them.
    public private(set) var unroutable = 0
    /// Datagrams that arrived at an address where no endpoint is attached.
    public private(set) var undeliverable = 0
    /// Called for every datagram a link delivers, before the endpoint sees it
    /// (per-packet logs for delay and loss analysis).
    public var onArrival: ((Datagram, LinkID, Instant) -> Void)?
    /// Called for every datagram a link drops, with the reason.
    public var onDrop: ((Datagram, LinkID, DropReason, Instant) -> Void)?
    /// Datagrams for which this returns true skip their link's capacity, queue and loss and only
    /// take its propagation delay. Loupe's runs pass DTLS handshakes this way: they must be
    /// loss-free (OpenSSL's retransmission timer reads the wall clock), and OpenSSL's random
    /// ECDSA signatures change their sizes from run to run, which would otherwise shift every
    /// later packet and break same-seed determinism. Not counted in the link's statistics.
    public var bypassesLink: ((Datagram) -> Bool)?

    private var endpoints: [any EmulatedEndpoint] = []
    private var endpointAt: [TransportAddress: Int] = [:]
    private var lastTimeout: [Instant?] = []
    private var links: [Link] = []
    private var routes: [HostPair: Int] = [:]
    private var events = Scheduler<Event>()
    private var windows: [Window] = []
    private var samples: [[LinkSample]] = []
    private var windowStart: Instant

    /// A network whose clock starts at `start`, sampling links every `sampleInterval`.
    public init(start: Instant = .zero, sampleInterval: Duration = .milliseconds(200)) {
        clock = VirtualClock(start: start)
        windowStart = start
        self.sampleInterval = sampleInterval
    }

    /// Attaches `endpoint` at `address`; datagrams to that address are handed
    /// to it. One endpoint may be attached at several addresses.
    public func attach(_ endpoint: any EmulatedEndpoint, at address: TransportAddress) {
        if let index = endpoints.firstIndex(where: { $0 === endpoint }) {
            endpointAt[address] = index
        } else {
            endpointAt[address] = endpoints.count
            endpoints.append(endpoint)
            lastTimeout.append(nil)
        }
    }

    /// Adds a one-way link for datagrams from host `from` to host `to` (any ports).
    @discardableResult
    public func connect(from: TransportAddress.IP, to: TransportAddress.IP,
                        _ configuration: LinkConfiguration) -> LinkID {
        let id = LinkID(index: links.count)
        links.append(Link(configuration))
        windows.append(Window())
        samples.append([])
        routes[HostPair(from: from, to: to)] = id.index
        return id
    }

    /// Joins two hosts with an uplink (`a` → `b`) and a downlink (`b` → `a`).
    @discardableResult
    public func connect(_ a: TransportAddress.IP, _ b: TransportAddress.IP,
                        uplink: LinkConfiguration, downlink: LinkConfiguration)
        -> (uplink: LinkID, downlink: LinkID) {
        (connect(from: a, to: b, uplink), connect(from: b, to: a, downlink))
    }

    /// The link's current state and statistics.
    public func link(_ id: LinkID) -> Link { links[id.index] }

    /// The link's timeseries: one row per closed sampling window.
    public func samples(_ id: LinkID) -> [LinkSample] { samples[id.index] }

    /// Sends datagrams into the network at the current virtual time, as if an
    /// endpoint had returned them.
    public func send(_ datagrams: [Datagram]) {
        route(datagrams, now: clock.now)
    }

    /// Advances virtual time to `end`, processing every event up to and
    /// including `end` in order.
    public func run(until end: Instant) {
        while let (time, endpointIndex) = nextStep(), time <= end {
            closeWindows(upTo: time)
            clock.advance(to: time)
            if let endpointIndex {
                lastTimeout[endpointIndex] = time
                route(endpoints[endpointIndex].handleTimeout(now: time), now: time)
            } else if let (_, event) = events.popNext() {
                switch event {
                case let .arrival(datagram, link):
                    arrive(datagram, link: link, now: time)
                }
            }
        }
        closeWindows(upTo: end)
        clock.advance(to: end)
    }

    // MARK: Internals

    /// The next thing to do: an event (endpoint `nil`) or an endpoint's timer.
    /// Arrivals win ties with timers.
    private func nextStep() -> (Instant, Int?)? {
        var best: (Instant, Int?)? = events.nextTime.map { ($0, nil) }
        for index in endpoints.indices {
            guard let deadline = effectiveDeadline(index) else { continue }
            if let current = best, current.0 <= deadline { continue }
            best = (deadline, index)
        }
        return best
    }

    /// An endpoint's deadline, never earlier than now; a deadline at or before
    /// the instant its timer last fired is moved 1 µs later so that an
    /// endpoint that does not move its deadline cannot stall the clock.
    private func effectiveDeadline(_ index: Int) -> Instant? {
        guard var deadline = endpoints[index].nextDeadline else { return nil }
        if deadline < clock.now { deadline = clock.now }
        if let last = lastTimeout[index], deadline <= last {
            deadline = last + .microseconds(1)
        }
        return deadline
    }

    private func route(_ datagrams: [Datagram], now: Instant) {
        for datagram in datagrams {
            guard let index = routes[HostPair(from: datagram.from.ip, to: datagram.to.ip)] else {
                unroutable += 1
                continue
            }
            if bypassesLink?(datagram) == true {
                events.schedule(.arrival(datagram, link: index), at: now + links[index].configuration.propagationDelay)
                continue
            }
            switch links[index].send(size: datagram.size, now: now) {
            case let .deliver(at, queueDelay):
                windows[index].queueDelaySumUs += queueDelay.microseconds
                windows[index].queueDelayCount += 1
                events.schedule(.arrival(datagram, link: index), at: at)
            case let .drop(reason):
                windows[index].drops += 1
                onDrop?(datagram, LinkID(index: index), reason, now)
            }
        }
    }

    private func arrive(_ datagram: Datagram, link: Int, now: Instant) {
        if bypassesLink?(datagram) != true {
            links[link].recordDelivery(size: datagram.size)
            windows[link].deliveredBytes += datagram.size
        }
        onArrival?(datagram, LinkID(index: link), now)
        guard let index = endpointAt[datagram.to] else {
            undeliverable += 1
            return
        }
        route(endpoints[index].receive(datagram, now: now), now: now)
    }

    /// Emits a row per link for every window that ends at or before `time`.
    private func closeWindows(upTo time: Instant) {
        let intervalUs = sampleInterval.microseconds
        guard intervalUs > 0 else { return }
        while windowStart + sampleInterval <= time {
            let end = windowStart + sampleInterval
            for index in links.indices {
                let window = windows[index]
                samples[index].append(LinkSample(
                    start: windowStart, end: end,
                    capacityKbps: links[index].averageCapacityKbps(from: windowStart, to: end),
                    deliveredKbps: Double(window.deliveredBytes * 8) * 1000 / Double(intervalUs),
                    queueDelayMs: window.queueDelayCount == 0
                        ? nil : Double(window.queueDelaySumUs) / Double(window.queueDelayCount) / 1000,
                    lossCount: window.drops))
                windows[index] = Window()
            }
            windowStart = end
        }
    }
}
