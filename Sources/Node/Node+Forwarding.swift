import RTP
import SansIO

extension Node {
    // MARK: Publisher → node

    /// An RTP packet from a publisher: identify its track (SSRC, else MID), unwrap RTX
    /// (RFC 4588 §4), record reception and arrival, then forward it.
    func publisherRTP(_ plain: [UInt8], session: PeerSession, now: Instant) -> [Transmit] {
        guard var packet = try? RTPPacket.parse(plain) else {
            counters.drop(.rtpMalformed)
            return []
        }
        counters.rtpPacketsIn += 1
        let ids = session.extensions
        let sendTime = ids.absSendTime == 0 ? nil
            : packet.header.extensionElement(id: ids.absSendTime).flatMap { try? AbsSendTime(parsing: $0) }
        session.uplink.onPacket(arrival: now, sendTime: sendTime, size: plain.count)
        if ids.transportCC != 0, let value = packet.header.extensionElement(id: ids.transportCC), value.count == 2 {
            session.transportFeedback.record(UInt16(value[0]) << 8 | UInt16(value[1]), at: now)
        }

        let ssrc = packet.header.ssrc
        var mid = session.ssrcToMid[ssrc]
        if mid == nil, ids.mid != 0, let value = packet.header.extensionElement(id: ids.mid) {
            let text = String(decoding: value, as: UTF8.self)
            if session.tracks[text] != nil {
                mid = text
                session.ssrcToMid[ssrc] = text
            }
        }
        guard let mid, let track = session.tracks[mid] else {
            counters.drop(.rtpUnknownSSRC)
            return []
        }

        let pt = packet.header.payloadType
        let codec: NegotiatedCodec
        if let original = track.section.codec(rtxPayloadType: pt) {
            track.rtxSSRC = ssrc
            // Padding-only RTX packets are bandwidth probes: nothing to forward.
            guard packet.payload.count >= 2, let mediaSSRC = track.mediaSSRC else { return [] }
            counters.retransmissionsReceived += 1
            packet.header.sequenceNumber = UInt16(packet.payload[0]) << 8 | UInt16(packet.payload[1])
            packet.payload.removeFirst(2)
            packet.header.payloadType = original.payloadType
            packet.header.ssrc = mediaSSRC
            codec = original
        } else if let primary = track.section.codec(payloadType: pt) {
            if track.mediaSSRC != ssrc || track.statistics == nil {
                track.mediaSSRC = ssrc
                track.statistics = ReceiveStatistics(ssrc: ssrc, clockRate: primary.clockRate)
                track.nacks = NackTracker()
            }
            track.statistics?.record(sequence: packet.header.sequenceNumber, rtpTimestamp: packet.header.timestamp,
                                     arrival: now)
            codec = primary
        } else {
            counters.drop(.rtpUnknownSSRC)
            return []
        }
        track.codec = codec
        if track.kind == .video && track.section.nack {
            track.nacks.record(sequence: packet.header.sequenceNumber, now: now)
        }
        track.packets += 1
        track.meter.add(plain.count, now: now)
        var out = forward(packet, codec: codec, from: track, now: now)
        if track.processing != nil { out += feedProcessing(packet, track: track, now: now) }
        return out
    }

    /// Sends one publisher packet to every subscriber stream bound to its track (restored
    /// subscribers of a processed track get the rendition instead).
    private func forward(_ packet: RTPPacket, codec: NegotiatedCodec, from track: PublishedTrack,
                         now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        for key in track.receivers {
            if let sub = sessions[key.session], receivesRendition(sub, of: track) { continue }
            if let t = sendMedia(payload: packet.payload, marker: packet.header.marker,
                                 paddingLength: packet.paddingLength, source: packet.header.ssrc,
                                 sequence: packet.header.sequenceNumber, timestamp: packet.header.timestamp,
                                 codec: codec.name, to: key, now: now) {
                out.append(t)
            }
        }
        return out
    }

    /// One RTP packet on a subscriber's stream: its SSRC, its sequence and timestamp line (the
    /// stream rewriter splices `source` in), its payload type for `codec`, its header
    /// extensions; kept for retransmission, counted, protected. Nil when the subscriber cannot
    /// take it (not connected, stream gone, codec not negotiated, no SRTP keys).
    func sendMedia(payload: [UInt8], marker: Bool, paddingLength: Int, source: UInt32, sequence: UInt16,
                   timestamp: UInt32, codec: NegotiatedCodec.Name, to key: StreamKey, now: Instant) -> Transmit? {
        guard let sub = sessions[key.session], sub.state == .connected, let address = sub.remoteAddress,
              var stream = sub.streams[safe: key.index],
              let theirs = stream.section.codec(named: codec) else { return nil }
        let (seq, ts) = stream.rewriter.rewrite(source: source, sequence: sequence, timestamp: timestamp, now: now)
        var header = RTPHeader(marker: marker, payloadType: theirs.payloadType,
                               sequenceNumber: seq, timestamp: ts, ssrc: stream.ssrc)
        header.headerExtension = extensions(for: sub, section: stream.section, now: now)
        let plain = RTPPacket(header: header, payload: payload, paddingLength: paddingLength).serialize()
        stream.buffer?.store(sequence: seq, packet: plain, sentAt: now)
        stream.packetsSent &+= 1
        stream.octetsSent &+= UInt32(truncatingIfNeeded: payload.count)
        stream.meter.add(plain.count, now: now)
        stream.clockRate = theirs.clockRate
        sub.streams[key.index] = stream
        guard let protected = sub.transport.protectRTP(plain) else { return nil }
        if stream.section.extensions.transportCC != 0 { sub.sentWithTransportSequence(size: protected.count, now: now) }
        counters.rtpPacketsOut += 1
        return Transmit(bytes: protected, to: address)
    }

    /// The header extensions the subscriber negotiated: MID, abs-send-time, transport-wide sequence.
    func extensions(for sub: PeerSession, section: NegotiatedMediaSection, now: Instant) -> RTPHeaderExtension? {
        var elements: [RTPExtensionElement] = []
        let ids = section.extensions
        if ids.mid != 0 { elements.append(RTPExtensionElement(id: ids.mid, data: Array(section.mid.utf8))) }
        if ids.absSendTime != 0 {
            elements.append(RTPExtensionElement(id: ids.absSendTime, data: AbsSendTime(microseconds: now.microseconds).data))
        }
        if ids.transportCC != 0 {
            sub.transportSequence &+= 1
            sub.transportSequenceUnwrapped &+= 1
            elements.append(RTPExtensionElement(id: ids.transportCC, data: TransportSequenceNumber(sub.transportSequence).data))
        }
        return elements.isEmpty ? nil : RTPHeaderExtension(elements: elements)
    }

    // MARK: Subscriber feedback

    func subscriberRTCP(_ packets: [RTCPPacket], session: PeerSession, now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        for packet in packets {
            switch packet {
            case let .genericNACK(nack):
                counters.nacksReceived += 1
                out += retransmit(nack.sequenceNumbers, mediaSSRC: nack.mediaSSRC, session: session, now: now)
            case let .pictureLossIndication(pli):
                counters.plisReceived += 1
                out += keyframeRequested(by: session, mediaSSRC: pli.mediaSSRC, now: now)
            case let .fullIntraRequest(fir):
                counters.firsReceived += 1
                for entry in fir.entries { out += keyframeRequested(by: session, mediaSSRC: entry.ssrc, now: now) }
            case let .receiverReport(rr):
                updateRTT(session, reports: rr.reports, now: now)
            case let .senderReport(sr):
                updateRTT(session, reports: sr.reports, now: now)
            case let .transportFeedback(feedback):
                session.downlink?.onTransportFeedback(feedback, at: now)
            default:
                break
            }
        }
        return out
    }

    /// Answers a NACK from the retransmission buffer, as RTX when negotiated (RFC 4588 §4),
    /// else by resending the original packet.
    private func retransmit(_ sequences: [UInt16], mediaSSRC: UInt32, session: PeerSession, now: Instant) -> [Transmit] {
        guard let address = session.remoteAddress,
              let index = session.streams.firstIndex(where: { $0.ssrc == mediaSSRC }) else { return [] }
        var stream = session.streams[index]
        var out: [Transmit] = []
        for seq in sequences.prefix(256) {
            guard let original = stream.buffer?.packetForRetransmission(sequence: seq, now: now,
                                                                        minInterval: session.rtt / 2),
                  let packet = try? RTPPacket.parse(original) else { continue }
            var plain = original
            var numbered = false
            if let codec = stream.section.codec(payloadType: packet.header.payloadType), let rtxPT = codec.rtxPayloadType {
                stream.rtxSequence &+= 1
                var header = RTPHeader(marker: packet.header.marker, payloadType: rtxPT,
                                       sequenceNumber: stream.rtxSequence, timestamp: packet.header.timestamp,
                                       ssrc: stream.rtxSSRC)
                header.headerExtension = extensions(for: session, section: stream.section, now: now)
                numbered = stream.section.extensions.transportCC != 0
                plain = RTPPacket(header: header, payload: [UInt8(seq >> 8), UInt8(seq & 0xFF)] + packet.payload).serialize()
            }
            guard let protected = session.transport.protectRTP(plain) else { continue }
            if numbered { session.sentWithTransportSequence(size: protected.count, now: now) }
            counters.retransmissionsSent += 1
            counters.rtpPacketsOut += 1
            out.append(Transmit(bytes: protected, to: address))
        }
        session.streams[index] = stream
        return out
    }

    private func keyframeRequested(by session: PeerSession, mediaSSRC: UInt32, now: Instant) -> [Transmit] {
        guard let stream = session.streams.first(where: { $0.ssrc == mediaSSRC }),
              let source = stream.source, let track = track(id: source) else { return [] }
        if receivesRendition(session, of: track) {
            renditionKeyframeRequested(track, now: now)
            return []
        }
        return requestKeyframe(track, now: now)
    }

    /// A PLI to the publisher of `track`, at most one per `keyframeRequestInterval` (later ones deferred).
    func requestKeyframe(_ track: PublishedTrack, now: Instant) -> [Transmit] {
        guard track.kind == .video else { return [] }
        guard track.keyframeRequests.request(now: now) else { return [] }
        return sendPLI(track, now: now)
    }

    func sendPLI(_ track: PublishedTrack, now: Instant) -> [Transmit] {
        guard let publisher = sessions[track.session], publisher.state == .connected,
              let address = publisher.remoteAddress, let mediaSSRC = track.mediaSSRC else { return [] }
        counters.plisSent += 1
        let pli = RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: publisher.rtcpSSRC, mediaSSRC: mediaSSRC))
        return sendRTCP([.receiverReport(ReceiverReport(ssrc: publisher.rtcpSSRC)), pli], to: publisher, address: address)
    }

    func sendRTCP(_ packets: [RTCPPacket], to session: PeerSession, address: TransportAddress) -> [Transmit] {
        guard let protected = session.transport.protectRTCP(RTCPPacket.serializeCompound(packets)) else { return [] }
        counters.rtcpPacketsOut += 1
        return [Transmit(bytes: protected, to: address)]
    }

    /// Round-trip time from a report block about one of our streams (RFC 3550 §6.4.1: A − LSR − DLSR).
    private func updateRTT(_ session: PeerSession, reports: [ReceptionReport], now: Instant) {
        let nowMiddle = UInt32(truncatingIfNeeded: ntpTime(now) >> 16)
        for report in reports where report.lastSenderReport != 0 {
            let rttUnits = nowMiddle &- report.lastSenderReport &- report.delaySinceLastSenderReport
            guard rttUnits < 65_536 * 10 else { continue }  // over 10 s: stale or bogus
            let rtt = Duration.microseconds(Int64(rttUnits) * 1_000_000 / 65_536)
            session.rtt = max(.milliseconds(1), rtt)
        }
    }

    /// The NTP timestamp (RFC 3550 §4) of an instant on the node's clock.
    func ntpTime(_ instant: Instant) -> UInt64 {
        let us = UInt64(max(0, instant.microseconds))
        let seconds = us / 1_000_000
        let fraction = (us % 1_000_000) << 32 / 1_000_000
        return configuration.ntpTimeAtZero &+ (seconds << 32 | fraction)
    }

    // MARK: Publisher feedback

    func publisherRTCP(_ packets: [RTCPPacket], session: PeerSession, now: Instant) -> [Transmit] {
        for packet in packets {
            if case let .senderReport(sr) = packet, let mid = session.ssrcToMid[sr.ssrc],
               let track = session.tracks[mid], track.mediaSSRC == sr.ssrc {
                track.statistics?.recordSenderReport(ntpTimestamp: sr.ntpTimestamp, at: now)
            }
        }
        return []
    }

    // MARK: Who receives what

    /// A session finished its DTLS handshake: subscribers get a keyframe as soon as possible.
    func sessionConnected(_ session: PeerSession, now: Instant) -> [Transmit] {
        bindStreams(room: session.room, now: now)
        guard session.role == .subscriber else { return [] }
        var out: [Transmit] = []
        for stream in session.streams where stream.kind == .video {
            guard let source = stream.source, let track = track(id: source) else { continue }
            if receivesRendition(session, of: track) { renditionKeyframeRequested(track, now: now) }
            out += requestKeyframe(track, now: now)
        }
        return out
    }

    /// Gives every free subscriber stream a published track of its kind and codec: one transceiver
    /// per track in publishing order; when the offer has fewer, the first tracks win.
    func bindStreams(room: String, now: Instant) {
        let ids = rooms[room] ?? []
        let publishers = ids.compactMap { sessions[$0] }.filter { $0.role == .publisher }
        let tracks = publishers.flatMap { p in p.sections.compactMap { p.tracks[$0.mid] } }
        for sub in ids.compactMap({ sessions[$0] }) where sub.role == .subscriber {
            for index in sub.streams.indices where sub.streams[index].source == nil {
                let stream = sub.streams[index]
                let taken = Set(sub.streams.compactMap(\.source))
                guard let track = tracks.first(where: { t in
                    t.kind == stream.kind && !taken.contains(t.id)
                        && t.section.codecs.contains { c in stream.section.codec(named: c.name) != nil }
                }) else { continue }
                sub.streams[index].source = track.id
                track.receivers.append(StreamKey(session: sub.id, index: index))
            }
        }
        updateProcessing(room: room, now: now)
    }

    /// RTCP BYE for everything we send to (or receive for) a session.
    func goodbye(for session: PeerSession) -> [UInt8]? {
        guard session.transport.hasKeys else { return nil }
        let ssrcs = session.role == .subscriber ? session.streams.map(\.ssrc) : [session.rtcpSSRC]
        let packets: [RTCPPacket] = [.receiverReport(ReceiverReport(ssrc: session.rtcpSSRC)),
                                     .goodbye(Goodbye(sources: ssrcs, reason: "session ended"))]
        return session.transport.protectRTCP(RTCPPacket.serializeCompound(packets))
    }
}
