/// Keeps a realtime encoder's output at its target, as libwebrtc's `EncoderBitrateAdjuster`
/// (video/adaptation/encoder_bitrate_adjuster.cc) does: libvpx's CBR rate control spends its
/// buffer after a target drop and overshoots on hard content, so the sender measures what the
/// encoder actually produced over the last `window` and, when that exceeds the target, asks the
/// encoder for proportionally less (never below half the target). Undershoot is not corrected
/// (asking for more than the network allows is worse than a slightly lower rate).
///
/// Times are microseconds on any monotonic clock (sans-IO: the caller passes them).
public struct EncoderRateAdjuster: Sendable {
    /// The measurement window, µs.
    public static let window: Int64 = 1_000_000
    static let minFactor = 0.5

    private var frames: [(time: Int64, bytes: Int)] = []
    private var targets: [(time: Int64, bps: Int)] = []

    public init() {}

    /// Records an encoded frame (or a dropped one, 0 bytes) and the target it was encoded for.
    public mutating func record(bytes: Int, target: Int, at time: Int64) {
        frames.append((time, max(0, bytes)))
        targets.append((time, max(0, target)))
        while let first = frames.first, time &- first.time > Self.window { frames.removeFirst() }
        while let first = targets.first, time &- first.time > Self.window { targets.removeFirst() }
    }

    /// The bitrate to configure the encoder with for `target` (bps).
    public func encoderTarget(for target: Int) -> Int {
        guard frames.count >= 10, let first = frames.first, let last = frames.last, last.time > first.time else {
            return target
        }
        let span = Double(last.time &- first.time) * Double(frames.count) / Double(frames.count - 1)
        let produced = Double(frames.reduce(0) { $0 + $1.bytes }) * 8_000_000 / span
        let asked = Double(targets.reduce(0) { $0 + $1.bps }) / Double(targets.count)
        guard asked > 0, produced > asked else { return target }
        return Int(Double(target) * max(Self.minFactor, asked / produced))
    }
}
