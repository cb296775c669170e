import COpenSSL

/// An ECDSA P-256 key pair with a self-signed X.509 certificate: the node's DTLS identity
/// (WebRTC authenticates it by its SDP fingerprint, RFC 8827 §6.5, not by a CA).
///
/// Immutable once created; OpenSSL's key and certificate objects are reference-counted
/// and safe to read from several threads, so one certificate may serve every session.
public final class DTLSCertificate: @unchecked Sendable {
    /// `EVP_PKEY *`
    let privateKey: OpaquePointer
    /// `X509 *`
    let certificate: OpaquePointer
    /// The certificate in DER form.
    public let derBytes: [UInt8]
    /// SHA-256 of `derBytes`, for the local SDP `a=fingerprint`.
    public let fingerprint: DTLSFingerprint

    /// Takes ownership of one reference to each object.
    private init(privateKey: OpaquePointer, certificate: OpaquePointer) throws(DTLSError) {
        self.privateKey = privateKey
        self.certificate = certificate
        let length = i2d_X509(certificate, nil)
        guard length > 0 else {
            throw .openSSL(operation: "i2d_X509", reason: drainOpenSSLErrors())
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_X509(certificate, &cursor)
        }
        guard written == length else { throw .openSSL(operation: "i2d_X509", reason: drainOpenSSLErrors()) }
        derBytes = der
        fingerprint = DTLSFingerprint(derCertificate: der)
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(privateKey)
    }

    /// Generates a new P-256 key and a self-signed certificate with a random 64-bit serial,
    /// valid from a day before `unixTime` (clock skew) until `validityDays` after it.
    ///
    /// - Parameter unixTime: the current wall-clock time in seconds since 1970, from the caller
    ///   (the sans-IO core reads no clock).
    public static func generate(
        commonName: String = "loupe", unixTime: Int64, validityDays: Int = 30
    ) throws(DTLSError) -> DTLSCertificate {
        guard validityDays > 0, validityDays <= 3650 else { throw .invalidParameter("validityDays \(validityDays)") }
        ERR_clear_error()
        let key = try generateP256Key()
        guard let x509 = X509_new() else {
            EVP_PKEY_free(key)
            throw .openSSL(operation: "X509_new", reason: drainOpenSSLErrors())
        }
        do {
            try fill(x509, key: key, commonName: commonName, unixTime: unixTime, validityDays: validityDays)
        } catch {
            X509_free(x509)
            EVP_PKEY_free(key)
            throw error
        }
        return try DTLSCertificate(privateKey: key, certificate: x509)
    }

    private static func generateP256Key() throws(DTLSError) -> OpaquePointer {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw .openSSL(operation: "EVP_PKEY_CTX_new_from_name", reason: drainOpenSSLErrors())
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &key) == 1, let key
        else { throw .openSSL(operation: "EVP_PKEY_generate", reason: drainOpenSSLErrors()) }
        return key
    }

    private static func fill(
        _ x509: OpaquePointer, key: OpaquePointer, commonName: String, unixTime: Int64, validityDays: Int
    ) throws(DTLSError) {
        // X.509 v3 (version field value 2).
        guard X509_set_version(x509, 2) == 1 else { throw .openSSL(operation: "X509_set_version", reason: drainOpenSSLErrors()) }

        var serial = [UInt8](repeating: 0, count: 8)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else {
            throw .openSSL(operation: "RAND_bytes", reason: drainOpenSSLErrors())
        }
        serial[0] &= 0x7F  // positive
        serial[0] |= 0x01  // non-zero
        guard let number = BN_bin2bn(serial, Int32(serial.count), nil) else {
            throw .openSSL(operation: "BN_bin2bn", reason: drainOpenSSLErrors())
        }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil else {
            throw .openSSL(operation: "BN_to_ASN1_INTEGER", reason: drainOpenSSLErrors())
        }

        let notBefore = time_t(unixTime - 86_400)
        let notAfter = time_t(unixTime + Int64(validityDays) * 86_400)
        guard ASN1_TIME_set(X509_getm_notBefore(x509), notBefore) != nil,
              ASN1_TIME_set(X509_getm_notAfter(x509), notAfter) != nil
        else { throw .openSSL(operation: "ASN1_TIME_set", reason: drainOpenSSLErrors()) }

        guard let name = X509_get_subject_name(x509),
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0) == 1,
              X509_set_issuer_name(x509, name) == 1
        else { throw .openSSL(operation: "X509_NAME_add_entry_by_txt", reason: drainOpenSSLErrors()) }

        guard X509_set_pubkey(x509, key) == 1 else {
            throw .openSSL(operation: "X509_set_pubkey", reason: drainOpenSSLErrors())
        }
        guard X509_sign(x509, key, EVP_sha256()) > 0 else {
            throw .openSSL(operation: "X509_sign", reason: drainOpenSSLErrors())
        }
    }

    /// Loads a certificate and its private key from PEM text (the form `pemEncoded()` writes:
    /// a CERTIFICATE block and a PRIVATE KEY block, in any order). The key must match.
    public convenience init(pem: String) throws(DTLSError) {
        ERR_clear_error()
        // A memory BIO reads the caller's buffer in place: keep one alive until the BIOs are freed.
        let bytes = Array(pem.utf8)
        guard bytes.count < Int(Int32.max) else { throw .invalidPEM(reason: "input too long") }
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        defer { buffer.deallocate() }
        _ = buffer.initialize(from: bytes)
        func reader() -> OpaquePointer? { BIO_new_mem_buf(buffer.baseAddress, Int32(bytes.count)) }
        guard let certBIO = reader() else { throw .invalidPEM(reason: "cannot read input") }
        defer { BIO_free(certBIO) }
        guard let keyBIO = reader() else { throw .invalidPEM(reason: "cannot read input") }
        defer { BIO_free(keyBIO) }
        guard let x509 = PEM_read_bio_X509(certBIO, nil, nil, nil) else {
            throw .invalidPEM(reason: "no certificate: \(drainOpenSSLErrors())")
        }
        guard let key = PEM_read_bio_PrivateKey(keyBIO, nil, nil, nil) else {
            X509_free(x509)
            throw .invalidPEM(reason: "no private key: \(drainOpenSSLErrors())")
        }
        guard X509_check_private_key(x509, key) == 1 else {
            X509_free(x509)
            EVP_PKEY_free(key)
            throw .invalidPEM(reason: "private key does not match certificate: \(drainOpenSSLErrors())")
        }
        try self.init(privateKey: key, certificate: x509)
    }

    /// The certificate and the unencrypted PKCS#8 private key as PEM text. Keep it secret.
    public func pemEncoded() throws(DTLSError) -> String {
        ERR_clear_error()
        guard let bio = BIO_new(BIO_s_mem()) else { throw .openSSL(operation: "BIO_new", reason: drainOpenSSLErrors()) }
        defer { BIO_free(bio) }
        guard PEM_write_bio_X509(bio, certificate) == 1,
              PEM_write_bio_PrivateKey(bio, privateKey, nil, nil, 0, nil, nil) == 1
        else { throw .openSSL(operation: "PEM_write_bio", reason: drainOpenSSLErrors()) }
        let pending = Int(BIO_ctrl_pending(bio))
        var text = [UInt8](repeating: 0, count: pending)
        let read = BIO_read(bio, &text, Int32(pending))
        guard read == Int32(pending) else { throw .openSSL(operation: "BIO_read", reason: drainOpenSSLErrors()) }
        return String(decoding: text, as: UTF8.self)
    }
}
