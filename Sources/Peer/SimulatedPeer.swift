public import BandwidthEstimation
public import DTLS
import ICE
public import Media
import RTP
import SRTP
public import SansIO

/// A WebRTC peer for simulations: a full, controlling ICE agent's checks (RFC 8445 §7.2), a DTLS
/// client, SRTP, and — as a publisher — paced video (libvpx VP8 or size-only stand-in packets,
/// see `PublisherVideo`) carrying MID, abs-send-time and transport-wide sequence numbers, with
/// send-side estimation from the node's transport-cc feedback, capped by its REMB. The encoder
/// follows the estimate less the congestion window pushback (`CongestionWindowPushback`,
/// applied as libwebrtc does by default: frames skipped, `PushbackFrameDropper`); the pacer
/// follows the estimate.
///
/// Sans-IO like the node: `receive(_:now:)`, `handleTimeout(now:)`, `nextDeadline`.
public final class SimulatedPeer {
    public enum Role: Sendable { case publisher, subscriber }

    public let role: Role
    public let address: TransportAddress
    public let ufrag: String
    public let password: String
    public let certificate: DTLSCertificate
    /// Publisher: the bitrate of the synthetic stream, bps (lowered to the node's REMB when set).
    public var sendBitrate: Int
    public let videoSSRC: UInt32 = 0x5EED_0001
    public let packetSize = 1200

    public private(set) var connected = false
    /// Subscriber: RTP packets received (decrypted), and their payload bytes.
    public private(set) var packetsReceived = 0
    public private(set) var bytesReceived = 0
    /// Publisher: the last REMB the node sent, bps, and every one received.
    public private(set) var lastREMB: Int?
    public private(set) var rembHistory: [(at: Instant, bitrate: Int)] = []
    /// Publisher: packets and frames sent; subscriber: frames whose last packet (marker) arrived.
    public private(set) var packetsSent = 0
    public private(set) var bytesSent = 0
    public private(set) var framesSent = 0
    public private(set) var framesReceived = 0
    public let fps: Int
    /// Whether the offer negotiates transport-wide congestion control (else the node's REMB estimate rules).
    public let transportCC: Bool
    /// Publisher: send-side estimation (transport-cc feedback + REMB → target), when enabled.
    public private(set) var estimator: SendSideBandwidthEstimator?
    /// Publisher: while true, no frames are captured (the source paused; RFC 8867 5.8).
    public var paused = false
    /// Publisher: what it sends (see `PublisherVideo`).
    public let video: PublisherVideo
    private var encoder: VideoEncoder?
    /// Publisher (`.encoded`): the encoding size follows the target.
    public private(set) var ladder: ResolutionLadder?
    private var scenes: [Int: SyntheticScene] = [:]
    private var rateAdjuster = EncoderRateAdjuster()
    private var packetizer = VP8Packetizer()
    private var frameIndex = 0
    private var keyframeRequested = false
    /// Publisher: keyframe requests (PLI/FIR) received, and encoded keyframes sent.
    public private(set) var keyframeRequests = 0
    public private(set) var keyframesSent = 0
    /// Publisher (`.encoded`): the bitrate the encoder is configured with, kbps.
    public var encoderKbps: Int? { encoder?.bitrateKbps }
    /// Publisher: encoder errors (frames skipped).
    public private(set) var encoderErrors = 0
    /// Publisher: skips captured frames while the congestion window pushes back.
    private var frameDropper = PushbackFrameDropper()
    /// Publisher: frames not encoded because the congestion window was full.
    public var framesDroppedByCongestionWindow: Int { frameDropper.dropped }
    /// Publisher: the rate the encoder (or the `.paced` stand-in) was last asked for, bps:
    /// `sendBitrate` less the congestion window pushback.
    public private(set) var encoderTarget: Int
    /// Queued packets: a real payload (encoded video) or, for `.paced`, only a size.
    private var queue: [(payload: [UInt8]?, size: Int, marker: Bool, timestamp: UInt32)] = []
    private var nextFrame: Instant?
    /// Probe clusters to send, oldest first, and what the first one has sent so far.
    private var probes: [ProbeCluster] = []
    private var probeSent = (packets: 0, bytes: 0)
    /// Publisher: padding-only RTX packets sent to fill probe clusters.
    public private(set) var paddingPacketsSent = 0
    public let rtxSSRC: UInt32 = 0x5EED_0002
    private var rtxSequence: UInt16 = 1

    private var node: (ufrag: String, pwd: String, fingerprint: DTLSFingerprint, candidate: TransportAddress)?
    private var dtls: DTLSEndpoint?
    private var srtpOut: SRTPSession?
    private var srtpIn: SRTPSession?
    private var nextCheck: Instant?
    private var nextPacket: Instant?
    private var sequence: UInt16 = 1
    private var transportSequence: UInt16 = 0
    private var transactions: UInt64 = 0
    private var transportSequenceExtended: Int64 = 0

    /// - Parameters:
    ///   - sendBitrate: the start bitrate (bps); with `estimation` it follows the send-side
    ///     estimate, otherwise it stays fixed (capped only by REMB).
    public init(role: Role, address: TransportAddress, name: String, sendBitrate: Int = 1_000_000,
                fps: Int = 30, estimation: Bool = false, maxBitrate: Int = 5_000_000, transportCC: Bool = true,
                video: PublisherVideo = .paced, certificate: DTLSCertificate) {
        self.video = video
        self.transportCC = transportCC
        self.role = role
        self.address = address
        self.ufrag = name
        self.password = "simulatedpeerpassword\(name)"
        self.sendBitrate = sendBitrate
        self.encoderTarget = sendBitrate
        self.fps = max(1, fps)
        self.certificate = certificate
        if estimation && role == .publisher {
            estimator = SendSideBandwidthEstimator(startBitrate: sendBitrate, minBitrate: 30_000, maxBitrate: maxBitrate,
                                                   congestionWindow: CongestionWindowPushback())
        }
    }

    /// A browser-shaped offer: one VP8 video section, BUNDLE, rtcp-mux, the three header extensions.
    public func offer() -> String {
        let dir = role == .publisher ? "sendonly" : "recvonly"
        var lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
                     "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "c=IN IP4 0.0.0.0", "a=ice-ufrag:\(ufrag)",
                     "a=ice-pwd:\(password)", "a=fingerprint:\(certificate.fingerprint.sdpAttributeValue)",
                     "a=setup:actpass", "a=mid:0", "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid",
                     "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
                     "a=\(dir)", "a=rtcp-mux", "a=rtpmap:96 VP8/90000", "a=rtcp-fb:96 goog-remb",
                     "a=rtcp-fb:96 nack", "a=rtcp-fb:96 nack pli", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96"]
        if transportCC {
            lines += ["a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
                      "a=rtcp-fb:96 transport-cc"]
        }
        if role == .publisher { lines += ["a=ssrc:\(videoSSRC) cname:sim"] }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Takes the node's answer and starts ICE at `now`.
    public func apply(answer: String, now: Instant) throws(SimulatedPeerError) {
        func value(_ key: String) -> String? {
            answer.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=\(key):") }.map { String($0.dropFirst(key.count + 3)) }
        }
        guard let u = value("ice-ufrag"), let p = value("ice-pwd"), let f = value("fingerprint"),
              let fingerprint = try? DTLSFingerprint(sdpAttributeValue: f),
              let c = value("candidate")?.split(separator: " "), c.count >= 6,
              let port = UInt16(c[5]), let candidate = TransportAddress(ipv4: String(c[4]), port: port) else {
            throw .badAnswer
        }
        node = (u, p, fingerprint, candidate)
        nextCheck = now
    }

    public var nextDeadline: Instant? {
        [nextCheck, nextFrame, queue.isEmpty && probes.isEmpty ? nil : nextPacket, dtls?.nextDeadline, estimator?.nextDeadline].compactMap { $0 }.min()
    }

    /// Timers: ICE checks until connected (then consent checks every 5 s), DTLS retransmissions,
    /// and the publisher's pacing.
    public func handleTimeout(now: Instant) -> [Transmit] {
        var out: [Transmit] = []
        if let due = nextCheck, now >= due, let node {
            out.append(bindingRequest(node))
            nextCheck = now + (connected ? .seconds(5) : .milliseconds(200))
        }
        if let d = dtls, let due = d.nextDeadline, now >= due { out += handleDTLS(d.handleTimeout(now: now)) }
        if var e = estimator, let due = e.nextDeadline, now >= due {
            e.process(now: now)
            estimator = e
            followEstimate()
        }
        if let due = nextFrame, now >= due {
            if !paused { enqueueFrame(now: now) }
            nextFrame = due + .microseconds(1_000_000 / Int64(fps))
        }
        if let due = nextPacket, now >= due, !queue.isEmpty || !probes.isEmpty {
            let rate = probes.first?.bitrate ?? estimator?.pacingRate ?? sendBitrate * 5 / 2
            let sent = sendPacket(now: now)
            let bits = Int64(max(sent.map(\.bytes.count).reduce(0, +), 1) * 8)
            nextPacket = max(now, due) + .microseconds(bits * 1_000_000 / Int64(max(rate, 8_000)))
            out += sent
        }
        return out
    }

    public func receive(_ bytes: [UInt8], now: Instant) -> [Transmit] {
        guard let node else { return [] }
        switch DatagramClass.classify(bytes) {
        case .stun:
            guard let m = try? STUNMessage.parse(bytes), m.messageClass == .successResponse,
                  m.verifyIntegrity(key: Array(node.pwd.utf8)), dtls == nil,
                  let endpoint = try? DTLSEndpoint(role: .client, certificate: certificate, remoteFingerprint: node.fingerprint)
            else { return [] }
            dtls = endpoint
            return handleDTLS(endpoint.start(now: now))
        case .dtls:
            guard let dtls else { return [] }
            let out = handleDTLS(dtls.handle(datagram: bytes, now: now))
            if connected && role == .publisher && nextFrame == nil {
                nextFrame = now
                nextPacket = now
            }
            return out
        case .rtp:
            if let plain = try? srtpIn?.unprotectRTP(bytes) {
                packetsReceived += 1
                bytesReceived += plain.count
                if plain.count > 1, plain[1] & 0x80 != 0 { framesReceived += 1 }
            }
            return []
        case .rtcp:
            guard let plain = try? srtpIn?.unprotectRTCP(bytes),
                  let packets = try? RTCPPacket.parseCompound(plain, paddingRule: .anyPacket) else { return [] }
            for packet in packets {
                switch packet {
                case let .receiverEstimatedMaxBitrate(remb):
                    lastREMB = Int(clamping: remb.bitrate)
                    rembHistory.append((now, Int(clamping: remb.bitrate)))
                    if estimator != nil {
                        estimator?.onRemb(bitrate: lastREMB)
                    } else {
                        sendBitrate = min(sendBitrate, lastREMB ?? sendBitrate)
                    }
                case let .transportFeedback(feedback):
                    estimator?.onTransportFeedback(feedback, at: now)
                case .pictureLossIndication, .fullIntraRequest:
                    keyframeRequests += 1
                    keyframeRequested = true
                default:
                    break
                }
            }
            followEstimate()
            return []
        default:
            return []
        }
    }

    private func bindingRequest(_ node: (ufrag: String, pwd: String, fingerprint: DTLSFingerprint, candidate: TransportAddress)) -> Transmit {
        transactions &+= 1
        let id = (0..<12).map { UInt8(truncatingIfNeeded: (transactions &* 0x9E37_79B9_7F4A_7C15) >> (8 * ($0 % 8))) ^ UInt8($0) }
        let m = STUNMessage(messageClass: .request, transactionID: id, attributes: [
            STUNMessage.usernameAttribute("\(node.ufrag):\(ufrag)"), STUNMessage.priorityAttribute(1_853_817_087),
            STUNMessage.iceControllingAttribute(42), STUNMessage.useCandidateAttribute])
        return Transmit(bytes: m.serialize(integrityKey: Array(node.pwd.utf8)), to: node.candidate)
    }

    private func handleDTLS(_ outputs: [DTLSOutput]) -> [Transmit] {
        guard let node else { return [] }
        var out: [Transmit] = []
        for output in outputs {
            switch output {
            case let .send(bytes): out.append(Transmit(bytes: bytes, to: node.candidate))
            case let .connected(keys):
                let profile = SRTPProfile(rawValue: keys.profile.rawValue) ?? .aes128CMHMACSHA1_80
                srtpOut = try? SRTPSession(profile: profile, masterKey: keys.localMasterKey,
                                           masterSalt: keys.localMasterSalt, direction: .outbound)
                srtpIn = try? SRTPSession(profile: profile, masterKey: keys.remoteMasterKey,
                                          masterSalt: keys.remoteMasterSalt, direction: .inbound)
                connected = srtpOut != nil && srtpIn != nil
            default: break
            }
        }
        return out
    }

    /// The next frame: encoded by libvpx at the current target (`.encoded`), or a stand-in of
    /// `sendBitrate / fps` bytes (`.paced`), split into packets.
    private func enqueueFrame(now: Instant) {
        guard queue.count < 2000 else { return }  // a real encoder would skip frames: so do we
        let timestamp = UInt32(truncatingIfNeeded: now.microseconds * 9 / 100)
        defer { frameIndex += 1 }
        // The congestion window pushback as libwebrtc's default applies it: one frame in N
        // skipped and the encoder's target lowered by 1/N (see `PushbackFrameDropper`).
        encoderTarget = frameDropper.update(target: sendBitrate, pushedBack: estimator?.encoderTarget ?? sendBitrate)
        if frameDropper.shouldDrop() { return }
        guard case let .encoded(codec, width, height, source) = video, codec == .vp8 else {
            let bytes = max(packetSize / 4, encoderTarget / 8 / fps)
            let count = (bytes + packetSize - 1) / packetSize
            for i in 0..<count {
                queue.append((nil, min(packetSize, bytes - i * packetSize), i == count - 1, timestamp))
            }
            framesSent += 1
            return
        }
        let kbps = min(max(rateAdjuster.encoderTarget(for: encoderTarget) / 1000, 30), 100_000)
        do {
            var ladder = self.ladder ?? ResolutionLadder(width: width, height: height, startBitrate: sendBitrate)
            let size = ladder.update(target: sendBitrate, now: now)
            self.ladder = ladder
            if encoder == nil {
                encoder = try VideoEncoder(codec: codec, width: size.width, height: size.height, fps: fps,
                                           bitrateKbps: kbps, keyframeInterval: 0, allowFrameDropping: true,
                                           rateControlBufferMs: Self.encoderBufferMs)
            }
            guard let encoder else { return }
            try encoder.reconfigure(width: size.width, height: size.height)
            if abs(encoder.bitrateKbps - kbps) * 20 > encoder.bitrateKbps { try encoder.setBitrate(kbps: kbps) }
            let picture: I420Frame
            switch source {
            case let .scene(base):
                let scene = scenes[size.width] ?? SyntheticScene(width: size.width, height: size.height, fps: fps,
                                                                 noise: base.noise * size.width / max(width, 1))
                scenes[size.width] = scene
                picture = scene.frame(frameIndex)
            case let .frames(clip):
                guard !clip.isEmpty else { return }
                // The clip plays forwards then backwards (no jump at the loop point).
                let period = max(1, 2 * clip.count - 2)
                let phase = frameIndex % period
                var frame = clip[phase < clip.count ? phase : period - phase]
                if frame.width != size.width || frame.height != size.height {
                    frame = try frame.scaled(width: size.width, height: size.height, filter: .box)
                }
                picture = frame
            }
            let frames = try encoder.encode(picture, forceKeyframe: keyframeRequested)
            keyframeRequested = false
            let encodedBytes = frames.reduce(0) { $0 + $1.bytes.count }
            rateAdjuster.record(bytes: encodedBytes, target: encoderTarget, at: now.microseconds)
            for frame in frames {
                if frame.isKeyframe { keyframesSent += 1 }
                for piece in packetizer.packetize(frame.bytes) {
                    queue.append((piece.payload, piece.payload.count + 40, piece.marker, timestamp))
                }
                framesSent += 1
            }
        } catch {
            encoderErrors += 1
        }
    }

    private func followEstimate() {
        guard var e = estimator else { return }
        sendBitrate = e.target
        let requested = e.takeProbeRequests()
        estimator = e
        probes += requested
    }

    /// The next packet the pacer sends: queued media or, while a probe cluster is not yet
    /// complete, a padding-only RTX packet sized so that the cluster's minimum packet count
    /// carries its minimum bytes (libwebrtc's pacer sends media first and pads the rest; small
    /// padding packets keep a probe on a 200 kbps link from queuing five full-size media
    /// packets, 240 ms). Media waits for the cluster's few milliseconds.
    private func sendPacket(now: Instant) -> [Transmit] {
        guard let node, let srtpOut else { return [] }
        let cluster = probes.first
        guard !queue.isEmpty || cluster != nil else { return [] }
        transportSequence &+= 1
        let extensions = [
            RTPExtensionElement(id: 4, data: Array("0".utf8)),
            RTPExtensionElement(id: 2, data: AbsSendTime(microseconds: now.microseconds).data),
            RTPExtensionElement(id: 3, data: TransportSequenceNumber(transportSequence).data)]
        let packet: RTPPacket
        if let cluster {
            var header = RTPHeader(marker: false, payloadType: 97, sequenceNumber: rtxSequence,
                                   timestamp: UInt32(truncatingIfNeeded: now.microseconds * 9 / 100), ssrc: rtxSSRC)
            header.headerExtension = RTPHeaderExtension(elements: extensions)
            rtxSequence &+= 1
            let padding = min(max(cluster.minBytes / max(cluster.minPackets, 1) - 40, 16), Self.maxPadding)
            packet = RTPPacket(header: header, payload: [], paddingLength: padding)
            paddingPacketsSent += 1
        } else {
            let item = queue.removeFirst()
            var header = RTPHeader(marker: item.marker, payloadType: 96, sequenceNumber: sequence,
                                   timestamp: item.timestamp, ssrc: videoSSRC)
            header.headerExtension = RTPHeaderExtension(elements: extensions)
            sequence &+= 1
            let payload = item.payload
                ?? [0x10, 0x00] + [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: max(0, item.size - 40))
            packet = RTPPacket(header: header, payload: payload)
        }
        guard let bytes = try? srtpOut.protectRTP(packet.serialize()) else { return [] }
        packetsSent += 1
        bytesSent += bytes.count
        transportSequenceExtended += 1
        estimator?.onPacketSent(sequence: transportSequenceExtended, size: bytes.count, at: now, probeCluster: cluster?.id)
        if let cluster {
            probeSent.packets += 1
            probeSent.bytes += bytes.count
            if probeSent.packets >= cluster.minPackets, probeSent.bytes >= cluster.minBytes {
                probes.removeFirst()
                probeSent = (0, 0)
            }
        }
        return [Transmit(bytes: bytes, to: node.candidate)]
    }

    /// libvpx's rate-control buffer for the simulated publisher, ms: tighter than libwebrtc's
    /// 500/600/1000, standing in for libwebrtc's media-optimization frame dropper, which we do
    /// not have. With libwebrtc's buffer libvpx spent up to 2× a falling target for a second;
    /// 4G_500kbps, congestion window pushback on: utilization 0.72 / delay p95 300 ms with it,
    /// 0.80 / 291 ms with this one.
    static let encoderBufferMs = (initial: 100, optimal: 150, size: 300)

    /// The most padding one RTP packet carries (RFC 3550 §5.1: the count is one octet).
    static let maxPadding = 255
}

/// What a simulated publisher sends.
public enum PublisherVideo: Sendable {
    /// Packets adding up to the target bitrate each frame, no codec: fast, for transport tests.
    case paced
    /// Frames of `source` encoded by libvpx (realtime, frame dropping allowed) at the current
    /// target, at a size the `ResolutionLadder` picks from the target (up to width × height, the
    /// scene drawn at that size as a camera pipeline would scale it), packetized per RFC 7741;
    /// a PLI or FIR forces a keyframe. VP8 only for now (the
    /// offer is VP8); another codec falls back to `.paced`.
    case encoded(codec: VideoCodec, width: Int, height: Int, source: VideoSource)
}

/// The pictures a simulated publisher captures.
public enum VideoSource: Sendable {
    /// The built-in scene, drawn at each rung's size.
    case scene(SyntheticScene)
    /// Decoded frames (e.g. from a Y4M file), looped forwards and backwards, scaled with libyuv's
    /// box filter to each rung's size.
    case frames([I420Frame])
}

public enum SimulatedPeerError: Error, Sendable { case badAnswer }
