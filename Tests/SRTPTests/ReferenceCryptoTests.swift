import Testing

/// The test-only reference primitives reproduce published vectors, so the expected
/// outputs they compute for libsrtp below can be trusted.
@Suite struct ReferenceCryptoTests {
    @Test func aesMatchesFIPS197AppendixC1() {
        let aes = ReferenceAES128(key: hex("000102030405060708090a0b0c0d0e0f"))
        #expect(aes.encrypt(hex("00112233445566778899aabbccddeeff")) == hex("69c4e0d86a7b0430d8cdb78070b4c55a"))
    }

    @Test func sha1AndHMACMatchFIPS180AndRFC2202() {
        #expect(ReferenceSHA1.hash(Array("abc".utf8)) == hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        // RFC 2202 §3, test case 2.
        let mac = ReferenceSHA1.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac == hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"))
    }

    /// RFC 3711 Appendix B.2: AES-CM keystream for session key 2B7E…, IV F0F1…FD 0000.
    @Test func aesCounterModeMatchesRFC3711AppendixB2() {
        let aes = ReferenceAES128(key: hex("2B7E151628AED2A6ABF7158809CF4F3C"))
        let keystream = aes.keystream(iv: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000"), count: 48)
        #expect(keystream == hex("""
            E03EAD0935C95E80E166B16DD92B4EB4
            D23513162B02D0F72A43A2FE4A5F97AB
            41E95B3BB0A2E8DD477901E4FCA894C0
            """))
    }

    /// RFC 3711 Appendix B.3: session keys derived from master key E1F9… and salt 0EC6….
    @Test func keyDerivationMatchesRFC3711AppendixB3() {
        let key = RFC3711B3.masterKey, salt = RFC3711B3.masterSalt
        #expect(referenceSRTPKDF(masterKey: key, masterSalt: salt, label: 0, count: 16) == RFC3711B3.cipherKey)
        #expect(referenceSRTPKDF(masterKey: key, masterSalt: salt, label: 2, count: 14) == RFC3711B3.cipherSalt)
        #expect(referenceSRTPKDF(masterKey: key, masterSalt: salt, label: 1, count: 20) == RFC3711B3.authKeyPrefix)
    }

    /// RFC 7714 §16.1.1: AEAD_AES_128_GCM protection of the sample RTP packet with the given
    /// session key and salt; IV computed per RFC 7714 §8.1.
    @Test func gcmMatchesRFC7714Section16() {
        let packet = RFC7714.rtpPacket
        let iv = gcmRTPIV(sessionSalt: RFC7714.salt, ssrc: 0x5501_A0B2, rolloverCounter: 0, sequenceNumber: 0xF17B)
        #expect(iv == hex("51753c6580c2726f20718414"))
        let sealed = ReferenceGCM.seal(
            key: RFC7714.key, iv: iv, aad: Array(packet.prefix(12)), plaintext: Array(packet.dropFirst(12)))
        #expect(Array(packet.prefix(12)) + sealed == RFC7714.protectedRTPPacket)
    }
}

/// RFC 3711 Appendix B.3 values.
enum RFC3711B3 {
    static let masterKey = hex("E1F97A0D3E018BE0D64FA32C06DE4139")
    static let masterSalt = hex("0EC675AD498AFEEBB6960B3AABE6")
    static let cipherKey = hex("C61E7A93744F39EE10734AFE3FF7A087")
    static let cipherSalt = hex("30CBBC08863D8C85D49DB34A9AE1")
    /// The first 160 bits of the auth key keystream printed in B.3 (the HMAC-SHA1 key).
    static let authKeyPrefix = hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
}

/// RFC 7714 §16 values.
enum RFC7714 {
    static let key = hex("000102030405060708090a0b0c0d0e0f")
    static let salt = hex("517569642070726f2071756f")
    /// Header 8040f17b 8041f8d3 5501a0b2, payload "Gallia est omnis divisa in partes tres".
    static let rtpPacket = hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
        20646976 69736120 696e2070 61727465 73207472 6573
        """)
    /// §16.1.1: header, ciphertext, 16-octet tag.
    static let protectedRTPPacket = hex("""
        8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca
        be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1
        6a9152cf 765ee439 0cce
        """)
}

/// RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt.
func gcmRTPIV(sessionSalt: [UInt8], ssrc: UInt32, rolloverCounter: UInt32, sequenceNumber: UInt16) -> [UInt8] {
    var iv: [UInt8] = [0, 0] + bigEndian(ssrc) + bigEndian(rolloverCounter)
    iv += [UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF)]
    return zip(iv, sessionSalt).map { $0 ^ $1 }
}

/// RFC 3711 §4.1.1: IV = (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16).
func aesCMRTPIV(sessionSalt: [UInt8], ssrc: UInt32, index: UInt64) -> [UInt8] {
    var iv = sessionSalt + [0, 0]
    let ssrcBytes = bigEndian(ssrc)
    for i in 0..<4 { iv[4 + i] ^= ssrcBytes[i] }
    for i in 0..<6 { iv[8 + i] ^= UInt8(truncatingIfNeeded: index >> UInt64(40 - 8 * i)) }
    return iv
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}
