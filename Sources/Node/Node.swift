public import DTLS
public import SansIO

/// The sans-IO media node: rooms of WHIP publishers and WHEP subscribers on one UDP port.
///
/// Not thread-safe: one executor owns it (the server's UDP event loop; the emulator's scheduler).
/// Signaling calls, datagrams and timeouts all carry the `Instant` they happen at, and
/// `nextDeadline` says when the node next needs `handle(.timeout, now:)`.
public final class Node {
    public let configuration: NodeConfiguration
    public internal(set) var counters = NodeCounters()
    var random: NodeRandom
    let certificate: DTLSCertificate

    var sessions: [String: PeerSession] = [:]
    /// Session IDs in creation order: periodic work visits sessions in this stable order (a
    /// dictionary's order changes from process to process, and simulations replay byte for byte).
    var sessionOrder: [String] = []
    var sessionsByUfrag: [String: String] = [:]
    var sessionsByAddress: [TransportAddress: String] = [:]
    /// Room name → session IDs in join order (publishers and subscribers).
    var rooms: [String: [String]] = [:]
    var nextHousekeeping: Instant?
    /// Work for the processing backend, taken by `takeProcessingCommands()`.
    var processingCommands: [ProcessingCommand] = []
    /// Rooms whose restored rendition the admin API switched on or off (else the configuration).
    var processingOverrides: [String: Bool] = [:]

    /// How often the node runs its periodic work (NACKs, feedback, reports, deferred PLIs).
    static let tick: Duration = .milliseconds(20)

    /// - Parameters:
    ///   - certificate: the node's DTLS certificate, shared by every session (the server generates
    ///     it at start, or loads it; the core never reads the clock a certificate needs).
    ///   - random: `.system` in production; a seeded generator in simulations.
    public init(configuration: NodeConfiguration, certificate: DTLSCertificate, random: NodeRandom = .system) {
        self.configuration = configuration
        self.certificate = certificate
        self.random = random
    }

    /// The SHA-256 fingerprint of the node's DTLS certificate.
    public var fingerprint: DTLSFingerprint { certificate.fingerprint }

    // MARK: Signaling

    /// Creates a WHIP (publisher) or WHEP (subscriber) session from an SDP offer and returns the answer.
    public func createSession(role: SessionRole, room: String, variant: Variant, offer: String,
                              now: Instant) throws(SignalingError) -> CreatedSession {
        guard sessions.count < configuration.maxSessions else {
            throw .unavailable("the node is at its session limit (\(configuration.maxSessions))")
        }
        if role == .subscriber {
            let subscribers = (rooms[room] ?? []).filter { sessions[$0]?.role == .subscriber }.count
            guard subscribers < configuration.maxSubscribersPerRoom else {
                throw .unavailable("room \(room) is at its subscriber limit (\(configuration.maxSubscribersPerRoom))")
            }
        }
        let remote = try OfferAnswer.negotiate(offer: offer, role: role, videoCodecs: configuration.videoCodecs)

        var id = random.hexToken(bytes: 12)
        while sessions[id] != nil { id = random.hexToken(bytes: 12) }
        var ufrag = random.iceString(count: 8)
        while sessionsByUfrag[ufrag] != nil { ufrag = random.iceString(count: 8) }
        let pwd = random.iceString(count: 24)

        var streams: [SubscriberStream] = []
        if role == .subscriber {
            for section in remote.sections {
                let clockRate = section.codecs.first?.clockRate ?? 90_000
                let ssrc = random.ssrc()
                streams.append(SubscriberStream(
                    section: section,
                    ssrc: ssrc,
                    rtxSSRC: random.ssrc(),
                    rewriter: StreamRewriter(outgoingSSRC: ssrc, clockRate: clockRate,
                                             initialSequence: UInt16(truncatingIfNeeded: random.next()),
                                             initialTimestamp: UInt32(truncatingIfNeeded: random.next())),
                    rtxSequence: UInt16(truncatingIfNeeded: random.next()),
                    buffer: section.kind == .video ? RetransmissionBuffer(capacity: configuration.rtxBufferPackets) : nil,
                    clockRate: clockRate))
            }
        }

        let answer = OfferAnswer.answer(
            to: remote, role: role, ufrag: ufrag, pwd: pwd, fingerprint: certificate.fingerprint.sdpAttributeValue,
            candidates: configuration.candidates,
            outgoing: streams.map { ($0.ssrc, $0.rtxSSRC) }, room: room, session: id)

        let transport: PeerTransport
        do {
            transport = try PeerTransport(
                certificate: certificate, localUfrag: ufrag, localPwd: pwd,
                remoteUfrag: remote.iceUfrag, remotePwd: remote.icePwd,
                dtlsClient: remote.weAreDTLSClient, remoteFingerprint: remote.fingerprint,
                consentTimeout: configuration.consentTimeout, now: now)
        } catch {
            throw .init(status: 500, reason: "could not set up the session's transport: \(error)")
        }
        let session = PeerSession(
            id: id, role: role, room: room, variant: variant, localUfrag: ufrag, etag: random.hexToken(bytes: 8),
            transport: transport, sections: remote.sections, rtcpSSRC: random.ssrc(),
            maxPublishBitrate: configuration.maxPublishBitrate, now: now)
        session.streams = streams
        if role == .publisher {
            for section in remote.sections {
                let track = PublishedTrack(session: id, section: section,
                                           keyframeInterval: configuration.keyframeRequestInterval)
                session.tracks[section.mid] = track
                if let s = section.remoteSSRC { session.ssrcToMid[s] = section.mid }
                if let s = section.remoteRTXSSRC { session.ssrcToMid[s] = section.mid }
            }
        }
        sessions[id] = session
        sessionOrder.append(id)
        sessionsByUfrag[ufrag] = id
        rooms[room, default: []].append(id)
        counters.sessionsCreated += 1
        bindStreams(room: room, now: now)
        scheduleHousekeeping(now: now)
        return CreatedSession(id: id, answer: answer, etag: session.etag)
    }

    /// Ends a session (HTTP DELETE on its resource); returns the goodbyes to send.
    public func endSession(id: String, role: SessionRole, room: String, now: Instant) throws(SignalingError) -> [Transmit] {
        guard let session = sessions[id], session.role == role, session.room == room else {
            throw .notFound("no \(role == .publisher ? "WHIP" : "WHEP") session \(id) in room \(room)")
        }
        return counted(remove(session, now: now))
    }

    /// Applies a trickle-ICE fragment (HTTP PATCH, RFC 9725 §4.3); returns the new entity tag.
    ///
    /// An ICE-lite node learns the peer's addresses from its connectivity checks, so candidates
    /// need no action. An ICE restart (new ufrag/pwd) is not supported and answered `422`.
    public func patchSession(id: String, role: SessionRole, room: String, fragment: String, ifMatch: String?,
                             now: Instant) throws(SignalingError) -> String {
        guard let session = sessions[id], session.role == role, session.room == room else {
            throw .notFound("no \(role == .publisher ? "WHIP" : "WHEP") session \(id) in room \(room)")
        }
        if let ifMatch, ifMatch != "*", ifMatch != session.etag {
            throw .init(status: 412, reason: "If-Match does not match the session's ETag")
        }
        let restart = try OfferAnswer.iceRestartRequested(fragment: fragment, currentUfrag: session.transport.remoteUfrag)
        if restart { throw .unprocessable("ICE restarts are not supported; create a new session") }
        return session.etag
    }

    // MARK: Snapshots

    /// Every room with at least one session.
    public func rooms(now: Instant) -> [RoomSnapshot] {
        rooms.keys.sorted().map { name in
            var publishers: [RoomSnapshot.Session] = []
            var subscribers: [RoomSnapshot.Session] = []
            for id in rooms[name] ?? [] {
                guard let s = sessions[id] else { continue }
                let tracks: [RoomSnapshot.Track]
                if s.role == .publisher {
                    tracks = s.sections.compactMap { section in
                        guard let t = s.tracks[section.mid] else { return nil }
                        return RoomSnapshot.Track(mid: section.mid, kind: section.kind.rawValue,
                                                  codec: (t.codec ?? section.codecs.first)?.name.rawValue ?? "",
                                                  ssrc: t.mediaSSRC, bitrate: t.meter.bitsPerSecond(now: now),
                                                  packets: t.packets)
                    }
                } else {
                    tracks = s.streams.indices.map { i in
                        let st = s.streams[i]
                        let codec = st.source.flatMap { track(id: $0) }?.codec?.name.rawValue ?? ""
                        return RoomSnapshot.Track(mid: st.section.mid, kind: st.kind.rawValue, codec: codec,
                                                  ssrc: st.ssrc, bitrate: s.streams[i].meter.bitsPerSecond(now: now),
                                                  packets: Int(st.packetsSent))
                    }
                }
                let snap = RoomSnapshot.Session(id: id, role: s.role, state: s.state.rawValue,
                                                remoteAddress: s.remoteAddress?.description, tracks: tracks,
                                                uplinkEstimate: s.role == .publisher ? s.uplink.estimate : nil,
                                                downlinkEstimate: s.downlink?.target)
                if s.role == .publisher { publishers.append(snap) } else { subscribers.append(snap) }
            }
            return RoomSnapshot(name: name, publishers: publishers, subscribers: subscribers)
        }
    }

    /// Ends every session; returns the goodbyes to send.
    public func shutdown(now: Instant) -> [Transmit] {
        counted(sessionOrder.compactMap { sessions[$0] }.flatMap { remove($0, now: now) })
    }

    // MARK: Internals shared by the extensions

    func track(id: String) -> PublishedTrack? {
        guard let slash = id.firstIndex(of: "/") else { return nil }
        return sessions[String(id[..<slash])]?.tracks[String(id[id.index(after: slash)...])]
    }

    func remove(_ session: PeerSession, now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        if let address = session.remoteAddress {
            if let bye = goodbye(for: session) { out.append(Transmit(bytes: bye, to: address)) }
            out += session.transport.close(now: now).map { Transmit(bytes: $0, to: address) }
            if sessionsByAddress[address] == session.id { sessionsByAddress[address] = nil }
        }
        session.state = .closed
        sessions[session.id] = nil
        sessionOrder.removeAll { $0 == session.id }
        sessionsByUfrag[session.localUfrag] = nil
        rooms[session.room]?.removeAll { $0 == session.id }
        if rooms[session.room]?.isEmpty == true { rooms[session.room] = nil }
        counters.sessionsEnded += 1
        if session.role == .publisher {
            for section in session.sections {
                if let track = session.tracks[section.mid] { processingTrackRemoved(track) }
            }
            for track in session.tracks.values {
                for key in track.receivers { sessions[key.session]?.streams[safe: key.index]?.source = nil }
            }
        } else {
            for (index, stream) in session.streams.enumerated() {
                if let source = stream.source, let t = track(id: source) {
                    t.receivers.removeAll { $0 == StreamKey(session: session.id, index: index) }
                }
            }
        }
        bindStreams(room: session.room, now: now)
        return out
    }

    /// Counts what leaves the node; every public entry point returns its datagrams through it.
    func counted(_ out: [Transmit]) -> [Transmit] {
        counters.datagramsOut += out.count
        for t in out { counters.bytesOut += t.bytes.count }
        return out
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        get { indices.contains(index) ? self[index] : nil }
        set {
            if let newValue, indices.contains(index) { self[index] = newValue }
        }
    }
}
