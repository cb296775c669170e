import Testing
import SRTP

/// libsrtp's output for known master keys equals what the SRTP specifications say, computed
/// independently by the reference primitives (checked against the RFC vectors in
/// `ReferenceCryptoTests`). libsrtp only takes master keys and derives session keys itself,
/// so these tests chain: master key → RFC 3711 §4.3 KDF → session keys → transform.
@Suite struct SRTPKnownAnswerTests {
    /// AES_CM_128_HMAC_SHA1_80 with RFC 3711 B.3's master key and salt: ciphertext is the
    /// plaintext XOR the AES-CM keystream of B.3's session key/salt (RFC 3711 §4.1.1) and the
    /// tag is HMAC-SHA1 with B.3's session auth key over header || ciphertext || ROC, cut to 80 bits (§4.2).
    @Test func aesCMProtectionMatchesRFC3711WithAppendixB3Keys() throws {
        let header = hex("800f1234 decafbad cafebabe")
        let payload = Array("Packets built by hand for RFC 3711 B.3".utf8)
        let session = try SRTPSession(
            profile: .aes128CMHMACSHA1_80, masterKey: RFC3711B3.masterKey,
            masterSalt: RFC3711B3.masterSalt, direction: .outbound)
        let protected = try session.protectRTP(header + payload)

        let iv = aesCMRTPIV(sessionSalt: RFC3711B3.cipherSalt, ssrc: 0xCAFE_BABE, index: 0x1234)
        let keystream = ReferenceAES128(key: RFC3711B3.cipherKey).keystream(iv: iv, count: payload.count)
        let ciphertext = zip(payload, keystream).map { $0 ^ $1 }
        let authKey = referenceSRTPKDF(
            masterKey: RFC3711B3.masterKey, masterSalt: RFC3711B3.masterSalt, label: 1, count: 20)
        #expect(authKey == RFC3711B3.authKeyPrefix)
        let tag = ReferenceSHA1.hmac(key: authKey, message: header + ciphertext + [0, 0, 0, 0]).prefix(10)
        #expect(protected == header + ciphertext + tag)

        let receiver = try SRTPSession(
            profile: .aes128CMHMACSHA1_80, masterKey: RFC3711B3.masterKey,
            masterSalt: RFC3711B3.masterSalt, direction: .inbound)
        #expect(try receiver.unprotectRTP(protected) == header + payload)
    }

    /// AEAD_AES_128_GCM: with RFC 7714 §16's key and salt used as the *master* key and salt,
    /// libsrtp protects the RFC's packet as AES-GCM (RFC 7714 §8.1 IV, header as AAD) under the
    /// session key and salt the RFC 3711 KDF derives from them (RFC 7714 §11, labels 0x00 and 0x02).
    @Test func gcmProtectionMatchesRFC7714AfterKeyDerivation() throws {
        let session = try SRTPSession(
            profile: .aeadAES128GCM, masterKey: RFC7714.key, masterSalt: RFC7714.salt, direction: .outbound)
        let protected = try session.protectRTP(RFC7714.rtpPacket)

        let sessionKey = referenceSRTPKDF(masterKey: RFC7714.key, masterSalt: RFC7714.salt, label: 0, count: 16)
        let sessionSalt = referenceSRTPKDF(masterKey: RFC7714.key, masterSalt: RFC7714.salt, label: 2, count: 12)
        let iv = gcmRTPIV(sessionSalt: sessionSalt, ssrc: 0x5501_A0B2, rolloverCounter: 0, sequenceNumber: 0xF17B)
        let header = Array(RFC7714.rtpPacket.prefix(12))
        let expected = header + ReferenceGCM.seal(
            key: sessionKey, iv: iv, aad: header, plaintext: Array(RFC7714.rtpPacket.dropFirst(12)))
        #expect(protected == expected)
        #expect(protected.count == RFC7714.rtpPacket.count + 16)

        let receiver = try SRTPSession(
            profile: .aeadAES128GCM, masterKey: RFC7714.key, masterSalt: RFC7714.salt, direction: .inbound)
        #expect(try receiver.unprotectRTP(protected) == RFC7714.rtpPacket)
    }
}
