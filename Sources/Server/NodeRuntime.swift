import Logging
import Media
import NIOCore
import Node
import SansIO

/// The node's clock: a monotonic clock (NIO's uptime clock), counted from the server's start.
struct MonotonicClock: Sendable {
    let start = NIODeadline.now()
    func now() -> Instant { Instant(microseconds: (NIODeadline.now() - start).nanoseconds / 1000) }
    func deadline(_ instant: Instant) -> NIODeadline { start + .microseconds(instant.microseconds) }
}

/// Gives the sans-IO node its socket and its clock. The actor runs on the UDP channel's event
/// loop, so datagrams reach the node synchronously (no hop), while HTTP signaling, metrics and
/// the admin API `await` it from their own tasks.
actor NodeRuntime {
    nonisolated let eventLoop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    private let node: Node
    private let clock: MonotonicClock
    private let logger: Logger
    private var channel: (any Channel)?
    private var timer: (task: Scheduled<Void>, at: Instant)?
    /// NIO addresses of the peers we send to, built once per address, not once per packet.
    private var socketAddresses: [TransportAddress: SocketAddress] = [:]
    /// The restored renditions' pipelines (created lazily: it needs `self` to deliver to).
    private let processingSetup: ProcessingSetup
    private var processingHost: ProcessingHost?

    init(node: Node, clock: MonotonicClock, eventLoop: any EventLoop, logger: Logger,
         processing: ProcessingSetup = .bicubic(.init())) {
        self.node = node
        self.clock = clock
        self.eventLoop = eventLoop
        self.logger = logger
        self.processingSetup = processing
    }

    /// Hands the node's processing commands to the pipelines.
    private func runProcessingCommands() {
        let commands = node.takeProcessingCommands()
        guard !commands.isEmpty else { return }
        if processingHost == nil {
            let loop = eventLoop
            processingHost = ProcessingHost(setup: processingSetup, clock: clock, logger: logger) { [self] input in
                loop.execute { self.assumeIsolated { $0.processed(input) } }
            }
        }
        processingHost?.apply(commands)
    }

    /// What a pipeline produced, on the event loop.
    private func processed(_ input: NodeInput) {
        send(node.handle(input, now: clock.now()))
    }

    /// Switches a room's restored rendition on or off (nil: back to the configuration).
    /// false: refused, too many rooms already have their own setting.
    func setProcessing(room: String, enabled: Bool?) -> Bool {
        guard node.setProcessing(room: room, enabled: enabled, now: clock.now()) else {
            logger.warning("processing override refused: too many rooms have one", metadata: ["room": "\(room)"])
            return false
        }
        defer { runProcessingCommands() }
        logger.info("processing set for room", metadata: ["room": "\(room)", "enabled": "\(enabled.map(String.init) ?? "default")"])
        return true
    }

    func isProcessingEnabled(room: String) -> Bool { node.isProcessingEnabled(room: room) }

    /// The running renditions.
    func processingSnapshots() -> [ProcessingSnapshot] { processingHost?.snapshots() ?? [] }

    func attach(_ channel: any Channel) {
        self.channel = channel
        rearmTimer()
    }

    /// A datagram from the socket; called on the event loop by `UDPHandler`.
    func receive(_ bytes: [UInt8], from address: TransportAddress) {
        send(node.handle(.datagram(bytes, from: address), now: clock.now()))
    }

    func createSession(role: SessionRole, room: String, variant: Variant, offer: String) throws(SignalingError) -> CreatedSession {
        let now = clock.now()
        let created = try node.createSession(role: role, room: room, variant: variant, offer: offer, now: now)
        logger.info("session created", metadata: [
            "id": "\(created.id)", "room": "\(room)", "role": "\(role.rawValue)", "variant": "\(variant.rawValue)",
        ])
        runProcessingCommands()
        rearmTimer()
        return created
    }

    func endSession(id: String, role: SessionRole, room: String) throws(SignalingError) {
        send(try node.endSession(id: id, role: role, room: room, now: clock.now()))
        logger.info("session ended", metadata: ["id": "\(id)", "room": "\(room)"])
    }

    func patchSession(id: String, role: SessionRole, room: String, fragment: String, ifMatch: String?) throws(SignalingError) -> String {
        try node.patchSession(id: id, role: role, room: room, fragment: fragment, ifMatch: ifMatch, now: clock.now())
    }

    func counters() -> NodeCounters { node.counters }
    func rooms() -> [RoomSnapshot] { node.rooms(now: clock.now()) }

    /// Ends every session (DTLS close_notify, RTCP BYE) before the server stops.
    func shutdown() {
        send(node.shutdown(now: clock.now()))
        processingHost?.stopAll()
        timer?.task.cancel()
        timer = nil
    }

    private func send(_ transmits: [Transmit]) {
        runProcessingCommands()
        if let channel, !transmits.isEmpty {
            for t in transmits {
                guard let remote = socketAddress(t.to) else { continue }
                var buffer = channel.allocator.buffer(capacity: t.bytes.count)
                buffer.writeBytes(t.bytes)
                channel.write(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            }
            channel.flush()
        }
        rearmTimer()
    }

    private func socketAddress(_ address: TransportAddress) -> SocketAddress? {
        if let cached = socketAddresses[address] { return cached }
        guard let made = address.socketAddress else { return nil }
        if socketAddresses.count >= 10_000 { socketAddresses.removeAll(keepingCapacity: true) }
        socketAddresses[address] = made
        return made
    }

    private func fire() {
        timer = nil
        send(node.handle(.timeout, now: clock.now()))
    }

    /// Keeps exactly one timer armed, at the node's next deadline.
    private func rearmTimer() {
        guard let deadline = node.nextDeadline else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let current = timer, current.at <= deadline { return }
        timer?.task.cancel()
        let task = eventLoop.scheduleTask(deadline: clock.deadline(deadline)) { [self] in
            self.assumeIsolated { $0.fire() }
        }
        timer = (task, deadline)
    }
}

/// Reads datagrams from the shared UDP socket into the node runtime.
final class UDPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let runtime: NodeRuntime

    init(runtime: NodeRuntime) { self.runtime = runtime }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let from = TransportAddress(envelope.remoteAddress) else { return }
        let bytes = Array(envelope.data.readableBytesView)
        runtime.assumeIsolated { $0.receive(bytes, from: from) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port-unreachable and similar surface here; a peer's error never closes the socket.
    }
}

extension TransportAddress {
    init?(_ address: SocketAddress) {
        guard let port = address.port, let port16 = UInt16(exactly: port) else { return nil }
        switch address {
        case let .v4(v4):
            let raw = UInt32(bigEndian: v4.address.sin_addr.s_addr)
            self.init(ip: .v4(UInt8(raw >> 24), UInt8(raw >> 16 & 0xFF), UInt8(raw >> 8 & 0xFF), UInt8(raw & 0xFF)), port: port16)
        case let .v6(v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            self.init(ip: .v6(bytes), port: port16)
        default:
            return nil
        }
    }

    var socketAddress: SocketAddress? {
        try? SocketAddress(ipAddress: ipString, port: Int(port))
    }
}
