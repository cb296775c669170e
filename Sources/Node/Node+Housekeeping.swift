import RTP
import SansIO

extension Node {
    /// Timers: transport timers (DTLS retransmission, ICE consent), then — every `tick` — NACKs and
    /// deferred PLIs upstream, transport-cc feedback (100 ms), and RTCP reports and REMB (1 s).
    func housekeeping(now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        var gone: [PeerSession] = []
        // In creation order, not the dictionary's: what the tick sends, and so every later
        // timing, must not depend on hashing (simulations replay byte for byte).
        let ordered = sessionOrder.compactMap { sessions[$0] }
        for session in ordered {
            let timers = session.transport.handleTimeout(now: now)
            if let address = session.remoteAddress {
                out += timers.responses.map { Transmit(bytes: $0, to: address) }
            }
            if timers.consentLost || timers.failed {
                if timers.consentLost { counters.consentExpired += 1 }
                gone.append(session)
            } else if timers.connected && session.state == .new {
                session.state = .connected
                out += sessionConnected(session, now: now)
            }
        }
        for session in gone { out += remove(session, now: now) }

        guard let due = nextHousekeeping, now >= due else { return out }
        nextHousekeeping = sessions.isEmpty ? nil : now + Node.tick
        for session in ordered where session.state == .connected && sessions[session.id] != nil {
            guard let address = session.remoteAddress else { continue }
            if session.role == .publisher {
                out += publisherTick(session, address: address, now: now)
                out += processingTick(session, now: now)
                continue
            }
            session.downlink?.process(now: now)
            if now >= session.nextReportAt {
                session.nextReportAt = now + .seconds(1)
                out += sendRTCP(senderReports(session, now: now), to: session, address: address)
            }
        }
        return out
    }

    private func publisherTick(_ session: PeerSession, address: TransportAddress, now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        var feedback: [RTCPPacket] = []
        let rtt = session.rtt
        for (_, track) in session.tracks.sorted(by: { $0.key < $1.key }) {
            guard let ssrc = track.mediaSSRC else { continue }
            let lost = track.nacks.due(now: now, rtt: rtt)
            if !lost.isEmpty {
                counters.nacksSent += 1
                feedback.append(.genericNACK(GenericNACK(senderSSRC: session.rtcpSSRC, mediaSSRC: ssrc, lost: lost)))
            }
            if track.nacks.needsKeyframe || track.keyframeWanted {
                track.nacks.needsKeyframe = false
                track.keyframeWanted = false
                out += requestKeyframe(track, now: now)
            }
            if track.keyframeRequests.poll(now: now) { out += sendPLI(track, now: now) }
        }
        if now >= session.nextFeedbackAt {
            session.nextFeedbackAt = now + .milliseconds(100)
            feedback += transportFeedback(session)
        }
        if now >= session.nextReportAt {
            session.nextReportAt = now + .seconds(1)
            let reports = session.sections.compactMap { session.tracks[$0.mid]?.statistics?.makeReport(now: now) }
            let ssrcs = session.sections.compactMap { session.tracks[$0.mid]?.mediaSSRC }
            var packets: [RTCPPacket] = [.receiverReport(ReceiverReport(ssrc: session.rtcpSSRC, reports: reports))]
            if !ssrcs.isEmpty {
                // A publisher with transport-cc estimates its own uplink from our feedback (send-side,
                // with probing): REMB only carries the cap. One without it gets our receive-side estimate.
                let sendSide = session.sections.contains { $0.transportCC && $0.extensions.transportCC != 0 }
                let bitrate = sendSide ? configuration.maxPublishBitrate
                    : min(configuration.maxPublishBitrate, session.uplink.estimate)
                packets.append(.receiverEstimatedMaxBitrate(ReceiverEstimatedMaxBitrate(
                    senderSSRC: session.rtcpSSRC, bitrate: UInt64(max(0, bitrate)), ssrcs: ssrcs)))
            }
            out += sendRTCP(packets + feedback, to: session, address: address)
        } else if !feedback.isEmpty {
            // RFC 5506 reduced-size RTCP is not assumed: feedback rides in a compound behind an empty RR.
            out += sendRTCP([.receiverReport(ReceiverReport(ssrc: session.rtcpSSRC))] + feedback, to: session, address: address)
        }
        return out
    }

    /// Transport-wide congestion control feedback for what arrived since the last one (and what
    /// was lost since then), split into several packets when deltas do not fit one.
    private func transportFeedback(_ session: PeerSession) -> [RTCPPacket] {
        guard session.sections.contains(where: { $0.transportCC && $0.extensions.transportCC != 0 }) else { return [] }
        guard let (base, arrivals, count) = session.transportFeedback.drain(), let first = arrivals.first else { return [] }
        let mediaSSRC = session.tracks.values.compactMap(\.mediaSSRC).first ?? 0
        var packets: [RTCPPacket] = []
        var feedbackCount = count
        // Starts where the previous feedback ended: packets missing before `first` are reported lost.
        var builder = TransportFeedbackBuilder(
            senderSSRC: session.rtcpSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: UInt16(truncatingIfNeeded: base),
            feedbackPacketCount: feedbackCount, referenceTimeMicroseconds: first.at.microseconds)
        for arrival in arrivals {
            let seq = UInt16(truncatingIfNeeded: arrival.sequence)
            if builder.add(sequenceNumber: seq, arrivalMicroseconds: arrival.at.microseconds) != .added {
                if !builder.isEmpty { packets.append(.transportFeedback(builder.feedback)) }
                feedbackCount &+= 1
                builder = TransportFeedbackBuilder(
                    senderSSRC: session.rtcpSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: seq,
                    feedbackPacketCount: feedbackCount, referenceTimeMicroseconds: arrival.at.microseconds)
                _ = builder.add(sequenceNumber: seq, arrivalMicroseconds: arrival.at.microseconds)
            }
        }
        if !builder.isEmpty { packets.append(.transportFeedback(builder.feedback)) }
        return packets
    }

    /// One SR per stream that has sent something (RFC 3550 §6.4.1), plus SDES CNAME.
    private func senderReports(_ session: PeerSession, now: Instant) -> [RTCPPacket] {
        var packets: [RTCPPacket] = []
        let ntp = ntpTime(now)
        for stream in session.streams {
            guard let last = stream.rewriter.lastSent else { continue }
            let elapsed = max(0, (now - last.at).microseconds)
            let rtpNow = last.timestamp &+ UInt32(truncatingIfNeeded: elapsed * Int64(stream.clockRate) / 1_000_000)
            packets.append(.senderReport(SenderReport(
                ssrc: stream.ssrc, ntpTimestamp: ntp, rtpTimestamp: rtpNow,
                packetCount: stream.packetsSent, octetCount: stream.octetsSent, reports: [])))
        }
        if packets.isEmpty { packets.append(.receiverReport(ReceiverReport(ssrc: session.rtcpSSRC))) }
        packets.append(.sourceDescription(SourceDescription(source: packets.first.map(reportSSRC) ?? session.rtcpSSRC,
                                                            cname: "loupe-\(session.room)")))
        return packets
    }

    private func reportSSRC(_ packet: RTCPPacket) -> UInt32 {
        switch packet {
        case let .senderReport(sr): return sr.ssrc
        case let .receiverReport(rr): return rr.ssrc
        default: return 0
        }
    }
}
