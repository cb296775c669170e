public import SansIO

/// How a WebRTC sender picks its encoding resolution from its bitrate target, in the spirit of
/// libwebrtc's default VP8 bitrate limits (`EncoderInfoSettings::GetDefaultSinglecastBitrateLimits`)
/// and its balanced degradation: a 720p camera encoded at 200 kbps drops most frames and sends
/// huge keyframes, so browsers scale down long before that.
///
/// Rungs keep the source's aspect ratio (16:9 → 1280×720, 960×540, 640×360, 480×270, 320×180),
/// never above the configured size. A rung is allowed once the target reaches its start
/// bitrate; the sender steps down at once when the target falls below 85 % of the current
/// rung's start bitrate, and steps up only after the target has allowed a larger rung for 3 s
/// (each switch costs a VP8 keyframe).
public struct ResolutionLadder: Sendable {
    public struct Rung: Sendable, Hashable {
        public var width: Int
        public var height: Int
        /// The target (bps) from which this size is used.
        public var startBitrate: Int
    }

    /// Start bitrates by pixel count, bps (after libwebrtc's VP8 defaults).
    static let limits: [(pixels: Int, start: Int)] = [
        (320 * 180, 0), (480 * 270, 200_000), (640 * 360, 300_000), (960 * 540, 500_000), (1280 * 720, 900_000),
    ]
    static let stepUpDelay: Int64 = 3_000_000
    static let stepDownFraction = 0.85

    public let rungs: [Rung]
    public private(set) var current: Int
    private var upSince: Int64?

    /// - Parameters: width, height: the source size (the largest rung).
    public init(width: Int, height: Int, startBitrate: Int) {
        var rungs: [Rung] = []
        for (pixels, start) in Self.limits {
            // Scale the source to about `pixels`, keeping its aspect ratio, even dimensions.
            let scale = (Double(pixels) / Double(max(1, width * height))).squareRoot()
            guard scale < 1 else { break }
            let w = max(16, Int(Double(width) * scale) & ~1)
            let h = max(16, Int(Double(height) * scale) & ~1)
            rungs.append(Rung(width: w, height: h, startBitrate: start))
        }
        let top = Self.limits.first { $0.pixels >= width * height }?.start ?? Self.limits[Self.limits.count - 1].start
        rungs.append(Rung(width: width, height: height, startBitrate: rungs.isEmpty ? 0 : top))
        self.rungs = rungs
        current = rungs.lastIndex { $0.startBitrate <= startBitrate } ?? 0
    }

    public var size: Rung { rungs[current] }

    /// Updates with the current target; returns the rung to encode at.
    @discardableResult
    public mutating func update(target: Int, now: Instant) -> Rung {
        let at = now.microseconds
        let allowed = rungs.lastIndex { $0.startBitrate <= target } ?? 0
        if allowed < current, Double(target) < Self.stepDownFraction * Double(rungs[current].startBitrate) {
            current = max(allowed, 0)
            upSince = nil
        } else if allowed > current {
            let since = upSince ?? at
            upSince = since
            if at &- since >= Self.stepUpDelay {
                current += 1
                upSince = nil
            }
        } else {
            upSince = nil
        }
        return rungs[current]
    }
}
