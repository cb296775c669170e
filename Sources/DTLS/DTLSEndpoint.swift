import COpenSSL
public import SansIO

/// One end of a DTLS 1.2 association (RFC 6347) with the DTLS-SRTP extension (RFC 5764),
/// driven sans-IO: datagrams and timer firings go in, datagrams and events come out.
///
/// The peer must present a certificate (any, self-signed included); once the handshake
/// finishes its SHA-256 is compared to the fingerprint from the peer's SDP (RFC 8842 §5,
/// RFC 8122 §5), and only on a match are the SRTP keys handed out (`.connected`).
///
/// Timers: OpenSSL's retransmission timer reads the wall clock itself. `nextDeadline` is
/// the `now` of the last call plus OpenSSL's remaining time; `handleTimeout(now:)` lets
/// OpenSSL retransmit if its own timer has expired. Under a virtual clock, keep handshake
/// packets loss-free.
///
/// Not thread-safe; owns an OpenSSL `SSL` and `SSL_CTX`.
public final class DTLSEndpoint {
    public let role: DTLSRole
    public private(set) var state: DTLSState = .idle
    /// The SHA-256 fingerprint the peer's certificate must have.
    public private(set) var remoteFingerprint: DTLSFingerprint?
    /// The fingerprint of the certificate the peer presented, once the handshake finished.
    public private(set) var peerCertificateFingerprint: DTLSFingerprint?
    /// The SRTP keys, once `.connected` was emitted.
    public private(set) var keyingMaterial: SRTPKeyingMaterial?
    /// When `handleTimeout(now:)` should next be called; nil when no timer runs.
    public private(set) var nextDeadline: Instant?
    /// Records dropped unread because they cannot be valid (`removingImpossibleRecords`).
    public private(set) var droppedRecords = 0

    private let context: OpaquePointer  // SSL_CTX *
    private let ssl: OpaquePointer  // SSL *
    private let pipe = DatagramPipe()
    /// Keys exported but not yet released (waiting for the remote fingerprint).
    private var pendingKeyingMaterial: SRTPKeyingMaterial?

    /// The DTLS record size limit for one read.
    private static let readBufferSize = 16_384 + 2_048

    /// - Parameters:
    ///   - remoteFingerprint: the peer's fingerprint from its SDP; may be set later with
    ///     `setRemoteFingerprint(_:)` (keys are held back until it is).
    ///   - srtpProfiles: offered (client) or accepted (server) profiles, most preferred first.
    ///     OpenSSL's server picks the first of its own list that the client offered.
    ///   - mtu: largest datagram to send (UDP payload bytes).
    public init(
        role: DTLSRole, certificate: DTLSCertificate, remoteFingerprint: DTLSFingerprint?,
        srtpProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80], mtu: Int = 1200
    ) throws(DTLSError) {
        guard !srtpProfiles.isEmpty else { throw .invalidParameter("no SRTP profiles") }
        guard mtu >= 256, mtu <= 65_507 else { throw .invalidParameter("mtu \(mtu)") }
        ERR_clear_error()
        guard let context = SSL_CTX_new(DTLS_method()) else {
            throw .openSSL(operation: "SSL_CTX_new", reason: drainOpenSSLErrors())
        }
        do {
            try Self.configure(context: context, certificate: certificate, srtpProfiles: srtpProfiles)
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        guard let ssl = SSL_new(context) else {
            SSL_CTX_free(context)
            throw .openSSL(operation: "SSL_new", reason: drainOpenSSLErrors())
        }
        guard let bio = DatagramBIO.make(pipe: pipe) else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw .openSSL(operation: "BIO_new", reason: drainOpenSSLErrors())
        }
        SSL_set_bio(ssl, bio, bio)
        _ = SSL_set_options(ssl, loupe_SSL_OP_NO_QUERY_MTU())
        guard loupe_DTLS_set_link_mtu(ssl, mtu) == 1 else {
            SSL_free(ssl)
            SSL_CTX_free(context)
            throw .invalidParameter("mtu \(mtu): \(drainOpenSSLErrors())")
        }
        switch role {
        case .client: SSL_set_connect_state(ssl)
        case .server: SSL_set_accept_state(ssl)
        }
        self.role = role
        self.remoteFingerprint = remoteFingerprint
        self.context = context
        self.ssl = ssl
    }

    private static func configure(
        context: OpaquePointer, certificate: DTLSCertificate, srtpProfiles: [SRTPProtectionProfile]
    ) throws(DTLSError) {
        guard loupe_SSL_CTX_set_min_proto_version(context, DTLS1_2_VERSION) == 1,
              loupe_SSL_CTX_set_max_proto_version(context, DTLS1_2_VERSION) == 1
        else { throw .openSSL(operation: "SSL_CTX_set_proto_version", reason: drainOpenSSLErrors()) }
        _ = SSL_CTX_set_options(
            context, loupe_SSL_OP_NO_QUERY_MTU() | loupe_SSL_OP_NO_RENEGOTIATION() | loupe_SSL_OP_NO_TICKET())
        guard SSL_CTX_use_certificate(context, certificate.certificate) == 1,
              SSL_CTX_use_PrivateKey(context, certificate.privateKey) == 1,
              SSL_CTX_check_private_key(context) == 1
        else { throw .openSSL(operation: "SSL_CTX_use_certificate", reason: drainOpenSSLErrors()) }
        // Require a certificate from the peer but accept any chain: the peer is authenticated
        // by its fingerprint after the handshake, not by a CA (RFC 8827 §6.5).
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT) { _, _ in 1 }
        let profiles = srtpProfiles.map(\.openSSLName).joined(separator: ":")
        // Returns 0 on success.
        guard SSL_CTX_set_tlsext_use_srtp(context, profiles) == 0 else {
            throw .openSSL(operation: "SSL_CTX_set_tlsext_use_srtp", reason: drainOpenSSLErrors())
        }
    }

    deinit {
        SSL_free(ssl)  // frees the BIO too
        SSL_CTX_free(context)
    }

    // MARK: - Inputs

    /// Starts the handshake: the client sends its ClientHello; a server just waits.
    public func start(now: Instant) -> [DTLSOutput] {
        guard state == .idle else { return [] }
        state = .handshaking
        guard role == .client else { return [] }
        return finish(driveHandshake(), now: now)
    }

    /// Feeds one received datagram (a DTLS datagram by RFC 7983's first-byte demux).
    /// Garbage is dropped; after `.closed` or `.failed` everything is dropped.
    public func handle(datagram: [UInt8], now: Instant) -> [DTLSOutput] {
        guard !datagram.isEmpty, datagram.count <= 65_535 else { return [] }
        switch state {
        case .closed, .failed:
            return []
        case .idle:
            guard role == .server else { return [] }  // a client speaks first
            state = .handshaking
        case .handshaking, .awaitingFingerprint, .connected:
            break
        }
        // OpenSSL 3.0.19 fails the whole connection with an internal error (instead of dropping
        // the record, RFC 6347 §4.1.2.7) on an encrypted record shorter than its cipher's
        // overhead, and on an application-data record buffered during the handshake that does
        // not open once the keys exist. Neither can be valid, so such records are dropped here.
        let (input, dropped) = Self.removingImpossibleRecords(
            datagram, handshaking: state == .handshaking, minimumEncrypted: minimumEncryptedRecord)
        droppedRecords += dropped
        if input.isEmpty { return finish([], now: now) }
        pipe.incoming = input
        defer { pipe.incoming = nil }
        var events: [DTLSOutput] = []
        if state == .handshaking {
            events += driveHandshake()
        }
        if state == .connected || state == .awaitingFingerprint {
            events += readRecords()
        }
        return finish(events, now: now)
    }

    /// Lets OpenSSL retransmit its last flight if its timer expired (RFC 6347 §4.2.4).
    public func handleTimeout(now: Instant) -> [DTLSOutput] {
        guard state == .handshaking else { return finish([], now: now) }
        ERR_clear_error()
        var events: [DTLSOutput] = []
        if loupe_DTLSv1_handle_timeout(ssl) < 0 {
            events.append(fail(.handshakeFailed(reason: "retransmission limit: \(drainOpenSSLErrors())")))
        }
        return finish(events, now: now)
    }

    /// Sets the fingerprint the peer's certificate must match. If the handshake already
    /// finished, the peer is checked now and `.connected` or `.failed` is returned.
    public func setRemoteFingerprint(_ fingerprint: DTLSFingerprint, now: Instant) -> [DTLSOutput] {
        remoteFingerprint = fingerprint
        guard state == .awaitingFingerprint else { return [] }
        return finish(verifyPeer(), now: now)
    }

    /// Encrypts application data into one record (e.g. an SCTP packet for data channels).
    public func send(applicationData: [UInt8], now: Instant) throws(DTLSError) -> [DTLSOutput] {
        guard state == .connected else { throw .notConnected }
        let maximum = Int(DTLS_get_data_mtu(ssl))
        guard !applicationData.isEmpty, applicationData.count <= maximum else {
            throw .messageTooLong(maximum: maximum)
        }
        ERR_clear_error()
        let written = SSL_write(ssl, applicationData, Int32(applicationData.count))
        guard written == Int32(applicationData.count) else {
            throw .protocolError(reason: "SSL_write: \(drainOpenSSLErrors())")
        }
        return finish([], now: now)
    }

    /// Sends close_notify (RFC 5246 §7.2.1) and closes; later input is dropped.
    public func close(now: Instant) -> [DTLSOutput] {
        switch state {
        case .closed, .failed:
            return []
        case .idle:
            state = .closed
            return finish([.closed], now: now)
        case .handshaking, .awaitingFingerprint, .connected:
            ERR_clear_error()
            _ = SSL_shutdown(ssl)
            _ = drainOpenSSLErrors()
            state = .closed
            return finish([.closed], now: now)
        }
    }

    // MARK: - Machinery

    private func driveHandshake() -> [DTLSOutput] {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 { return handshakeFinished() }
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
            return []
        default:
            return [fail(.handshakeFailed(reason: drainOpenSSLErrors()))]
        }
    }

    private func handshakeFinished() -> [DTLSOutput] {
        guard let peer = SSL_get1_peer_certificate(ssl) else { return [fail(.noPeerCertificate)] }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let digested = X509_digest(peer, EVP_sha256(), &digest, &length)
        X509_free(peer)
        guard digested == 1, length == 32, let actual = try? DTLSFingerprint(sha256: digest) else {
            return [fail(.handshakeFailed(reason: "X509_digest: \(drainOpenSSLErrors())"))]
        }
        peerCertificateFingerprint = actual

        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SRTPProtectionProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id))
        else { return [fail(.noSRTPProfile)] }

        // RFC 5764 §4.2: 2 · (key + salt) bytes from the exporter, no context.
        let label = "EXTRACTOR-dtls_srtp"
        var exported = [UInt8](repeating: 0, count: 2 * (profile.keyLength + profile.saltLength))
        let status = SSL_export_keying_material(ssl, &exported, exported.count, label, label.utf8.count, nil, 0, 0)
        guard status == 1,
              let material = SRTPKeyingMaterial(profile: profile, localRole: role, exported: exported)
        else { return [fail(.keyExportFailed(reason: drainOpenSSLErrors()))] }
        pendingKeyingMaterial = material
        state = .awaitingFingerprint
        guard remoteFingerprint != nil else { return [] }
        return verifyPeer()
    }

    /// Compares the peer's certificate with the expected fingerprint and releases the keys.
    private func verifyPeer() -> [DTLSOutput] {
        guard let expected = remoteFingerprint, let actual = peerCertificateFingerprint,
              let material = pendingKeyingMaterial
        else { return [] }
        pendingKeyingMaterial = nil
        guard expected == actual else {
            // Tell the peer we are done with it; it must not keep sending media.
            _ = SSL_shutdown(ssl)
            return [fail(.fingerprintMismatch)]
        }
        keyingMaterial = material
        state = .connected
        return [.connected(material)]
    }

    /// Reads records after the handshake: application data, close_notify, alerts, and
    /// retransmitted handshake flights (OpenSSL answers those itself).
    private func readRecords() -> [DTLSOutput] {
        var events: [DTLSOutput] = []
        var buffer = [UInt8](repeating: 0, count: Self.readBufferSize)
        while true {
            ERR_clear_error()
            let count = SSL_read(ssl, &buffer, Int32(buffer.count))
            if count > 0 {
                // Before the peer is verified its data is not trusted: drop it.
                if state == .connected { events.append(.applicationData(Array(buffer.prefix(Int(count))))) }
                continue
            }
            switch SSL_get_error(ssl, count) {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return events
            case SSL_ERROR_ZERO_RETURN:
                // close_notify from the peer: answer with ours.
                _ = SSL_shutdown(ssl)
                _ = drainOpenSSLErrors()
                state = .closed
                pendingKeyingMaterial = nil
                events.append(.closed)
                return events
            default:
                events.append(fail(.protocolError(reason: drainOpenSSLErrors())))
                return events
            }
        }
    }

    /// Encrypted records (epoch ≠ 0) shorter than this cannot be valid under any cipher suite:
    /// the smallest overhead is a 16-byte AEAD tag (ChaCha20-Poly1305, AES-CCM-8).
    static let minimumEncryptedRecordOfAnySuite = 16

    /// The shortest encrypted record the negotiated (or, during the handshake, pending) cipher
    /// suite can produce.
    private var minimumEncryptedRecord: Int {
        guard let cipher = SSL_get_current_cipher(ssl) ?? SSL_get_pending_cipher(ssl) else {
            return Self.minimumEncryptedRecordOfAnySuite
        }
        return Self.minimumEncryptedRecord(
            aead: SSL_CIPHER_is_aead(cipher) == 1, cipherNID: SSL_CIPHER_get_cipher_nid(cipher),
            digestNID: SSL_CIPHER_get_digest_nid(cipher))
    }

    /// A suite's smallest record (an empty plaintext): AES-GCM 8-byte explicit nonce + 16-byte
    /// tag (RFC 5288); ChaCha20-Poly1305 a 16-byte tag (RFC 7905); AES-CCM 8 + 8 at least
    /// (CCM-8, RFC 6655); CBC a 16-byte IV and the MAC plus ≥ 1 padding byte in whole blocks.
    static func minimumEncryptedRecord(aead: Bool, cipherNID: Int32, digestNID: Int32) -> Int {
        if aead {
            switch cipherNID {
            case NID_aes_128_gcm, NID_aes_256_gcm: return 24
            default: return minimumEncryptedRecordOfAnySuite
            }
        }
        let mac = switch digestNID {
        case NID_sha1: 20
        case NID_sha256: 32
        case NID_sha384: 48
        default: 0
        }
        return mac == 0 ? minimumEncryptedRecordOfAnySuite : 16 + (mac + 1 + 15) / 16 * 16
    }

    /// The datagram without the records that cannot be valid (encrypted ones shorter than
    /// `minimumEncrypted`; while `handshaking`, application data, content type 23, which a peer
    /// only sends after our last flight) and how many were removed, walking the record headers
    /// of RFC 6347 §4.1 (type, version, epoch, sequence number, 16-bit length: 13 bytes).
    /// A datagram whose records do not parse is returned as it is: OpenSSL drops it.
    static func removingImpossibleRecords(
        _ datagram: [UInt8], handshaking: Bool, minimumEncrypted: Int = minimumEncryptedRecordOfAnySuite
    ) -> (kept: [UInt8], dropped: Int) {
        let header = 13
        var kept: [UInt8] = []
        var dropped = 0
        var offset = 0
        while offset < datagram.count {
            guard datagram.count - offset >= header else { return (datagram, 0) }
            let epoch = Int(datagram[offset + 3]) << 8 | Int(datagram[offset + 4])
            let length = Int(datagram[offset + 11]) << 8 | Int(datagram[offset + 12])
            let end = offset + header + length
            guard end <= datagram.count else { return (datagram, 0) }
            if (handshaking && datagram[offset] == 23) || (epoch != 0 && length < minimumEncrypted) {
                dropped += 1
            } else {
                kept += datagram[offset..<end]
            }
            offset = end
        }
        return (kept, dropped)
    }

    private func fail(_ error: DTLSError) -> DTLSOutput {
        state = .failed
        pendingKeyingMaterial = nil
        return .failed(error)
    }

    /// Puts the datagrams OpenSSL wrote ahead of the events and updates `nextDeadline`.
    private func finish(_ events: [DTLSOutput], now: Instant) -> [DTLSOutput] {
        let sends = pipe.drainOutgoing().map(DTLSOutput.send)
        let remaining = loupe_DTLSv1_get_timeout_us(ssl)
        if state == .handshaking, remaining >= 0 {
            nextDeadline = now + .microseconds(remaining)
        } else {
            nextDeadline = nil
        }
        return sends + events
    }
}
