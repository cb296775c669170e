// A small, slow, independent implementation of the primitives SRTP is built from, used only
// to compute expected outputs for libsrtp in these tests. It is checked against published
// vectors (FIPS-197 C.1, RFC 3711 B.2, FIPS 180 "abc", RFC 2202, RFC 7714 §16) before its
// outputs are trusted. Written from the specifications.

/// AES-128 block encryption (FIPS-197).
struct ReferenceAES128 {
    static let sbox: [UInt8] = {
        func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            var a = a, b = b, product: UInt8 = 0
            while b != 0 {
                if b & 1 != 0 { product ^= a }
                a = (a << 1) ^ (a & 0x80 != 0 ? 0x1B : 0)
                b >>= 1
            }
            return product
        }
        func rotateLeft(_ x: UInt8, _ n: UInt8) -> UInt8 { (x << n) | (x >> (8 - n)) }
        var table = [UInt8](repeating: 0, count: 256)
        for x in 0..<256 {
            var inverse: UInt8 = 0
            if x != 0 {
                for y in 1..<256 where multiply(UInt8(x), UInt8(y)) == 1 { inverse = UInt8(y); break }
            }
            table[x] = inverse ^ rotateLeft(inverse, 1) ^ rotateLeft(inverse, 2)
                ^ rotateLeft(inverse, 3) ^ rotateLeft(inverse, 4) ^ 0x63
        }
        return table
    }()

    private var roundKeys: [UInt8]  // 11 round keys of 16 bytes

    init(key: [UInt8]) {
        precondition(key.count == 16)
        var words = key
        var rcon: UInt8 = 1
        while words.count < 176 {
            var t = Array(words[(words.count - 4)...])
            if words.count % 16 == 0 {
                t = [t[1], t[2], t[3], t[0]].map { Self.sbox[Int($0)] }
                t[0] ^= rcon
                rcon = (rcon << 1) ^ (rcon & 0x80 != 0 ? 0x1B : 0)
            }
            for i in 0..<4 { words.append(words[words.count - 16] ^ t[i]) }
        }
        roundKeys = words
    }

    func encrypt(_ block: [UInt8]) -> [UInt8] {
        func xtime(_ x: UInt8) -> UInt8 { (x << 1) ^ (x & 0x80 != 0 ? 0x1B : 0) }
        var s = (0..<16).map { block[$0] ^ roundKeys[$0] }
        for round in 1...10 {
            s = s.map { Self.sbox[Int($0)] }
            var shifted = s
            for r in 0..<4 { for c in 0..<4 { shifted[r + 4 * c] = s[r + 4 * ((c + r) % 4)] } }
            s = shifted
            if round != 10 {
                for c in 0..<4 {
                    let a = Array(s[(4 * c)..<(4 * c + 4)])
                    let all = a[0] ^ a[1] ^ a[2] ^ a[3]
                    for r in 0..<4 { s[4 * c + r] = a[r] ^ all ^ xtime(a[r] ^ a[(r + 1) % 4]) }
                }
            }
            for i in 0..<16 { s[i] ^= roundKeys[16 * round + i] }
        }
        return s
    }

    /// Counter-mode keystream: the block counter is the last 16 bits of `iv` (RFC 3711 §4.1.1)
    /// or, for GCM, the last 32 bits; both wrap far beyond what the tests use.
    func keystream(iv: [UInt8], count: Int) -> [UInt8] {
        var counter = iv
        var out: [UInt8] = []
        while out.count < count {
            out += encrypt(counter)
            var i = 15
            while i >= 0 { counter[i] &+= 1; if counter[i] != 0 { break }; i -= 1 }
        }
        return Array(out.prefix(count))
    }
}

/// SHA-1 (FIPS 180-4 §6.1) and HMAC-SHA1 (RFC 2104).
enum ReferenceSHA1 {
    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var padded = message + [0x80]
        while padded.count % 64 != 56 { padded.append(0) }
        let bits = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
        for chunk in stride(from: 0, to: padded.count, by: 64) {
            var w = (0..<16).map { i -> UInt32 in
                (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(padded[chunk + 4 * i + $1]) }
            }
            for i in 16..<80 { w.append(rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)) }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
            }
            h = [h[0] &+ a, h[1] &+ b, h[2] &+ c, h[3] &+ d, h[4] &+ e]
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
    }

    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k = key.count > 64 ? hash(key) : key
        k += [UInt8](repeating: 0, count: 64 - k.count)
        let inner = hash(k.map { $0 ^ 0x36 } + message)
        return hash(k.map { $0 ^ 0x5C } + inner)
    }
}

/// AES-128-GCM with a 96-bit IV and a 128-bit tag (NIST SP 800-38D).
enum ReferenceGCM {
    private static func multiply(_ x: [UInt8], _ y: [UInt8]) -> [UInt8] {
        var z = [UInt8](repeating: 0, count: 16)
        var v = y
        for i in 0..<128 {
            if x[i / 8] & (0x80 >> UInt8(i % 8)) != 0 { for j in 0..<16 { z[j] ^= v[j] } }
            let lsb = v[15] & 1
            for j in stride(from: 15, to: 0, by: -1) { v[j] = (v[j] >> 1) | (v[j - 1] << 7) }
            v[0] >>= 1
            if lsb != 0 { v[0] ^= 0xE1 }
        }
        return z
    }

    private static func ghash(h: [UInt8], aad: [UInt8], ciphertext: [UInt8]) -> [UInt8] {
        func blocks(_ data: [UInt8]) -> [[UInt8]] {
            stride(from: 0, to: data.count, by: 16).map { start in
                let b = Array(data[start..<min(start + 16, data.count)])
                return b + [UInt8](repeating: 0, count: 16 - b.count)
            }
        }
        var lengths: [UInt8] = []
        for bits in [UInt64(aad.count) * 8, UInt64(ciphertext.count) * 8] {
            for shift in stride(from: 56, through: 0, by: -8) { lengths.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        }
        var x = [UInt8](repeating: 0, count: 16)
        for block in blocks(aad) + blocks(ciphertext) + [lengths] {
            x = multiply(zip(x, block).map { $0 ^ $1 }, h)
        }
        return x
    }

    /// Returns ciphertext || tag.
    static func seal(key: [UInt8], iv: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        let aes = ReferenceAES128(key: key)
        let h = aes.encrypt([UInt8](repeating: 0, count: 16))
        let j0 = iv + [0, 0, 0, 1]
        var firstCounter = j0
        firstCounter[15] = 2
        let ciphertext = zip(plaintext, aes.keystream(iv: firstCounter, count: plaintext.count)).map { $0 ^ $1 }
        let tag = zip(aes.encrypt(j0), ghash(h: h, aad: aad, ciphertext: ciphertext)).map { $0 ^ $1 }
        return ciphertext + tag
    }
}

/// The SRTP key derivation function with key_derivation_rate 0 (RFC 3711 §4.3.1, §4.3.3):
/// x = (label || 0^48) XOR master_salt, output = AES-CM(master_key, x · 2^16).
/// A 96-bit (GCM) master salt is zero-padded on the right to 112 bits, as libsrtp does.
func referenceSRTPKDF(masterKey: [UInt8], masterSalt: [UInt8], label: UInt8, count: Int) -> [UInt8] {
    var x = masterSalt + [UInt8](repeating: 0, count: 14 - masterSalt.count)
    x[7] ^= label
    return ReferenceAES128(key: masterKey).keystream(iv: x + [0, 0], count: count)
}

func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { $0.isHexDigit }.map { UInt8(String($0), radix: 16) ?? 0 }
    return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}
