import Foundation
import SansIO

/// A small, fast, seedable pseudo-random generator: xoshiro256** (Blackman and
/// Vigna, 2018), seeded through SplitMix64 as its authors recommend.
///
/// The emulator never uses the system generator: the same seed gives the same
/// sequence on every machine and every run, so a simulation is reproducible bit
/// for bit. Not for cryptography.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose whole sequence is determined by `seed`.
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next()
        s1 = sm.next()
        s2 = sm.next()
        s3 = sm.next()
        // xoshiro's state must not be all zero; SplitMix64 makes that
        // practically impossible, but keep the invariant explicit.
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// An independent generator for a numbered sub-stream (loss, jitter, cross
    /// traffic), so that turning one feature on does not shift another's draws.
    public init(seed: UInt64, stream: UInt64) {
        var sm = SplitMix64(state: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        self.init(seed: sm.next())
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A uniformly distributed `Double` in `[0, 1)` with 53 random bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// `true` with probability `p` (clamped to `[0, 1]`); always consumes one draw.
    public mutating func chance(_ p: Double) -> Bool {
        let u = nextUnit()
        if p <= 0 { return false }
        if p >= 1 { return true }
        return u < p
    }

    /// A standard normal sample (Box–Muller; the second value of the pair is
    /// discarded so each call consumes exactly two draws).
    public mutating func nextGaussian() -> Double {
        let u1 = 1 - nextUnit()  // in (0, 1]: the logarithm is finite
        let u2 = nextUnit()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
