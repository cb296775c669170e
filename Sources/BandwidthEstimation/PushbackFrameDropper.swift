/// Turns a congestion window pushback into dropped frames, as libwebrtc's `VideoStreamEncoder`
/// does in goog_cc's default mode (`WebRTC-CongestionWindow/…,DropFrame:true`): instead of
/// lowering the encoder's target by the pushback, it skips one captured frame in every N and
/// lowers the target by 1/N, so the frames it does encode keep their size (and quality).
///
/// With `reduction` = (target − pushed-back rate) / target, above 1 %, and a target above the
/// codec's minimum: the rate to take away is `min(target × reduction, target − codecMin)`,
/// N = max(2, target / that) (integer division: at most every other frame), and the encoder
/// gets `target − target / N`. Otherwise no frame is dropped and the target passes unchanged.
/// `shouldDrop()` is asked once per captured frame and drops the first of every N.
public struct PushbackFrameDropper: Sendable {
    /// The codec's minimum bitrate, bps (libwebrtc's default for video: 30 kbps).
    public let codecMinBitrate: Int
    /// Drop one frame in this many; nil while no frame is dropped.
    public private(set) var dropInterval: Int?
    /// Frames dropped so far.
    public private(set) var dropped = 0
    private var counter = 0

    public init(codecMinBitrate: Int = 30_000) {
        self.codecMinBitrate = max(0, codecMinBitrate)
    }

    /// The congestion controller's target (bps) and its pushback: returns the encoder's target.
    public mutating func update(target: Int, pushedBack: Int) -> Int {
        guard target > 0, target > codecMinBitrate else {
            dropInterval = nil
            return target
        }
        let reduction = Double(target - min(max(0, pushedBack), target)) / Double(target)
        guard reduction > 0.01 else {
            dropInterval = nil
            return target
        }
        let reduce = min(Int(Double(target) * reduction), target - codecMinBitrate)
        guard reduce > 0 else {
            dropInterval = nil
            return target
        }
        let interval = max(2, target / reduce)
        dropInterval = interval
        return target - target / interval
    }

    /// Whether to skip the frame just captured.
    public mutating func shouldDrop() -> Bool {
        guard let dropInterval else { return false }
        defer { counter &+= 1 }
        guard counter % dropInterval == 0 else { return false }
        dropped += 1
        return true
    }
}
