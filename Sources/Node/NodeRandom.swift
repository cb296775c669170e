import SansIO

/// The node's source of randomness: ICE credentials, SSRCs, initial sequence numbers, session IDs.
///
/// The server uses the system's cryptographic generator (ICE passwords must be unguessable,
/// RFC 8445 §5.3); the emulator passes a seed so a run can be repeated bit for bit.
public struct NodeRandom: RandomNumberGenerator, Sendable {
    private var seeded: SplitMix64?

    /// The system's cryptographically secure generator.
    public static var system: NodeRandom { NodeRandom(seeded: nil) }

    /// A deterministic generator (SplitMix64) for simulations and tests. Not for production.
    public static func seeded(_ seed: UInt64) -> NodeRandom { NodeRandom(seeded: seed) }

    private init(seeded: UInt64?) { self.seeded = seeded.map(SplitMix64.init(state:)) }

    public mutating func next() -> UInt64 {
        guard var generator = seeded else {
            var system = SystemRandomNumberGenerator()
            return system.next()
        }
        defer { seeded = generator }
        return generator.next()
    }

    /// `count` characters from the ICE alphabet (RFC 8839 §5.4: ALPHA / DIGIT / "+" / "/").
    public mutating func iceString(count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return String((0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
    }

    /// A lowercase hex token of `bytes` random bytes (session IDs, ETags).
    public mutating func hexToken(bytes: Int) -> String {
        (0..<bytes).map { _ in
            let b = UInt8(truncatingIfNeeded: next())
            return String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16)
        }.joined()
    }

    /// A non-zero 32-bit SSRC.
    public mutating func ssrc() -> UInt32 {
        var value: UInt32 = 0
        while value == 0 { value = UInt32(truncatingIfNeeded: next()) }
        return value
    }
}
