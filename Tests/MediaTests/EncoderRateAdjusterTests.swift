import Media
import Testing

@Test func overshootLowersTheEncoderTarget() {
    var adjuster = EncoderRateAdjuster()
    #expect(adjuster.encoderTarget(for: 300_000) == 300_000)  // nothing measured yet
    // 30 frames/s of 2500 bytes = 600 kbps produced while 300 kbps was asked: ask for half.
    for i in 0..<30 { adjuster.record(bytes: 2500, target: 300_000, at: Int64(i) * 33_333) }
    let asked = adjuster.encoderTarget(for: 300_000)
    #expect(asked >= 150_000 && asked <= 155_000)
}

@Test func undershootIsLeftAlone() {
    var adjuster = EncoderRateAdjuster()
    for i in 0..<30 { adjuster.record(bytes: 500, target: 300_000, at: Int64(i) * 33_333) }
    #expect(adjuster.encoderTarget(for: 300_000) == 300_000)
}

@Test func sceneNoiseIsDeterministicAndBounded() {
    let clean = SyntheticScene(width: 64, height: 36)
    let noisy = SyntheticScene(width: 64, height: 36, noise: 3)
    #expect(noisy.frame(5) == noisy.frame(5))
    #expect(noisy.frame(5) != noisy.frame(6))
    let a = clean.frame(5), b = noisy.frame(5)
    #expect(a.y != b.y)
    #expect(zip(a.y, b.y).allSatisfy { abs(Int($0) - Int($1)) <= 3 })
    #expect(a.u == b.u && a.v == b.v)
}
