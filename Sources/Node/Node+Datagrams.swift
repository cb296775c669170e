import RTP
public import SansIO

extension Node {
    /// A datagram from the shared UDP port, or a timer.
    public func handle(_ input: NodeInput, now: Instant) -> [Transmit] {
        var out: [Transmit]
        switch input {
        case let .datagram(bytes, from):
            counters.datagramsIn += 1
            counters.bytesIn += bytes.count
            out = receive(bytes, from: from, now: now)
        case .timeout:
            out = housekeeping(now: now)
        case let .processedVideo(track, frame):
            out = sendProcessed(track: track, frame: frame, now: now)
        case let .processingNeedsKeyframe(track):
            out = self.track(id: track).map { requestKeyframe($0, now: now) } ?? []
        }
        scheduleHousekeeping(now: now)
        return counted(out)
    }

    /// When `handle(.timeout, now:)` must next be called, if ever: the next housekeeping tick.
    /// Every tick runs every session's transport timers (DTLS retransmission, ICE consent), so
    /// they fire at most `tick` late, and the deadline costs nothing to compute per datagram.
    public var nextDeadline: Instant? { nextHousekeeping }

    func scheduleHousekeeping(now: Instant) {
        if sessions.isEmpty {
            nextHousekeeping = nil
        } else if nextHousekeeping == nil {
            nextHousekeeping = now + Node.tick
        }
    }

    /// RFC 7983 demultiplexing: STUN by USERNAME, everything else by the peer's validated address.
    private func receive(_ bytes: [UInt8], from: TransportAddress, now: Instant) -> [Transmit] {
        switch DatagramClass.classify(bytes) {
        case .stun:
            return receiveSTUN(bytes, from: from, now: now)
        case .dtls:
            guard let session = sessionsByAddress[from].flatMap({ sessions[$0] }) else {
                counters.drop(.unknownAddress)
                return []
            }
            return receiveDTLS(bytes, session: session, from: from, now: now)
        case .rtp, .rtcp:
            guard let session = sessionsByAddress[from].flatMap({ sessions[$0] }) else {
                counters.drop(.unknownAddress)
                return []
            }
            return receiveSRTP(bytes, session: session, now: now)
        case .zrtp, .turnChannel, .unknown:
            counters.drop(.unclassifiable)
            return []
        }
    }

    private func receiveSTUN(_ bytes: [UInt8], from: TransportAddress, now: Instant) -> [Transmit] {
        guard let ufrag = PeerTransport.localUfrag(ofSTUN: bytes) else {
            counters.drop(.stunMalformed)
            return []
        }
        guard let id = sessionsByUfrag[ufrag], let session = sessions[id] else {
            counters.drop(.stunUnknownUsername)
            return []
        }
        let result = session.transport.handleSTUN(bytes, from: from, now: now)
        if !result.accepted { counters.drop(.stunRejected) }
        var out = result.responses.map { Transmit(bytes: $0, to: from) }
        if let selected = result.selectedAddress, selected != session.remoteAddress {
            if let old = session.remoteAddress, sessionsByAddress[old] == id { sessionsByAddress[old] = nil }
            session.remoteAddress = selected
            sessionsByAddress[selected] = id
            // An active DTLS role starts its handshake once ICE has a pair (RFC 5763 §5).
            out += session.transport.startDTLS(now: now).map { Transmit(bytes: $0, to: selected) }
        }
        return out
    }

    private func receiveDTLS(_ bytes: [UInt8], session: PeerSession, from: TransportAddress, now: Instant) -> [Transmit] {
        let result = session.transport.handleDTLS(bytes, now: now)
        if result.rejected { counters.drop(.dtlsRejected) }
        var out = result.responses.map { Transmit(bytes: $0, to: from) }
        if result.connected && session.state == .new {
            session.state = .connected
            out += sessionConnected(session, now: now)
        }
        return out
    }

    private func receiveSRTP(_ bytes: [UInt8], session: PeerSession, now: Instant) -> [Transmit] {
        guard session.transport.hasKeys else {
            counters.drop(.srtpBeforeKeys)
            return []
        }
        let isRTCP = bytes.count >= 2 && DatagramClass.isRTCP(secondByte: bytes[1])
        guard let plain = isRTCP ? session.transport.unprotectRTCP(bytes) : session.transport.unprotectRTP(bytes) else {
            counters.drop(.srtpUnprotectFailed)
            return []
        }
        session.transport.noteAuthenticatedTraffic(now: now)
        if isRTCP {
            counters.rtcpPacketsIn += 1
            guard let packets = try? RTCPPacket.parseCompound(plain, paddingRule: .anyPacket) else {
                counters.drop(.rtcpMalformed)
                return []
            }
            return session.role == .publisher
                ? publisherRTCP(packets, session: session, now: now)
                : subscriberRTCP(packets, session: session, now: now)
        }
        guard session.role == .publisher else {
            counters.drop(.rtpFromSubscriber)
            return []
        }
        return publisherRTP(plain, session: session, now: now)
    }
}
