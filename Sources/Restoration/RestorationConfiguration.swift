/// How a `RestorationProcessor` runs its network.
public struct RestorationConfiguration: Sendable, Hashable {
    /// oneDNN (OpenMP) threads for the network, 1…256.
    public var threads: Int
    /// Cut frames into tiles (see `TileLayout`). Off: one full-frame run per frame.
    public var tiling: Bool
    /// Tile core size in input pixels (the window adds the model's receptive field each side).
    public var tileWidth: Int
    public var tileHeight: Int
    /// Temporal tile reuse: recompute only tiles whose window changed since it was last
    /// computed; elsewhere keep the network's previous output (the skip, e.g. bicubic, is
    /// always the current frame's). Needs `tiling`.
    public var tileReuse: Bool
    /// A tile's window counts as changed when any pixel differs by more than this many
    /// 8-bit levels from the input it was last computed on … (The defaults, 4 and 0.25, keep
    /// the cost of reuse at or below 0.04 dB on the studio talking-head clip through VP8 and
    /// VP9 at 150–800 kbps while about half the tiles are reused; 12 and 1.0 cost up to 0.17 dB.
    /// `Training/reuse_cost.py`, docs/benchmarks.md.)
    public var maximumChange: Int
    /// … or when the mean absolute difference over the window exceeds this.
    public var meanChange: Double
    /// When the tiles to compute would process more pixels (windows overlap) than one
    /// full-frame run, run the full frame instead (same result, less work).
    public var fullFrameWhenCheaper: Bool
    /// Time allowed per frame for the network, measured with the processor's clock. Tiles
    /// that would not finish in time are left to the skip (bicubic); the frame is never late
    /// by more than one tile's work. nil: no limit. With `frameBudgetShare`, the most a frame
    /// may get.
    public var frameBudget: Duration?
    /// When set (0…1], each frame's budget is this share of its stream's frame interval, at most
    /// `frameBudget`: a 15 fps stream gets twice the time of a 30 fps one. The interval is the
    /// smallest step between the RTP timestamps of the stream's last `intervalWindow` frames
    /// (steps of 0 or over one second are ignored), so frames dropped before the processor do
    /// not lengthen it; until one is known, `frameBudget` applies.
    public var frameBudgetShare: Double?
    public static let intervalWindow = 16
    /// Output cap; larger outputs are shrunk to the largest even size of the same aspect
    /// ratio that fits (libyuv box filter), as `BicubicProcessor` does.
    public var maxWidth: Int
    public var maxHeight: Int

    public init(threads: Int = 1, tiling: Bool = true, tileWidth: Int = 128, tileHeight: Int = 64,
                tileReuse: Bool = true, maximumChange: Int = 4, meanChange: Double = 0.25,
                fullFrameWhenCheaper: Bool = true, frameBudget: Duration? = nil, frameBudgetShare: Double? = nil,
                maxWidth: Int = 1280, maxHeight: Int = 720) {
        self.threads = threads
        self.tiling = tiling
        self.tileWidth = tileWidth
        self.tileHeight = tileHeight
        self.tileReuse = tileReuse
        self.maximumChange = maximumChange
        self.meanChange = meanChange
        self.fullFrameWhenCheaper = fullFrameWhenCheaper
        self.frameBudget = frameBudget
        self.frameBudgetShare = frameBudgetShare
        self.maxWidth = maxWidth
        self.maxHeight = maxHeight
    }
}

/// What a processor did, per stream (since `configure`) or in total.
public struct RestorationCounters: Sendable, Hashable {
    public var frames = 0
    /// Tiles whose network output was computed this frame (per tile or by a full-frame run).
    public var tilesComputed = 0
    /// Tiles whose previous network output was kept (window unchanged).
    public var tilesReused = 0
    /// Tiles left to the skip (bicubic) because the frame budget ran out.
    public var tilesFallenBack = 0
    /// Frames in which the network ran once over the whole frame.
    public var fullFrameRuns = 0
    /// Frames with at least one tile fallen back.
    public var framesOverBudget = 0
    /// Frames produced by bicubic alone because the network could not run (an error, or a
    /// size the model cannot take).
    public var framesBicubicOnly = 0
    /// Multiply-accumulates spent by the network.
    public var multiplyAccumulates = 0
    /// Frames a quantizer-conditioned network restored without knowing their codec quantizer
    /// (not decoded by the node, or a codec the model has no mapping for): it used the model's
    /// default.
    public var framesWithoutQuantizer = 0

    public init() {}

    public static func + (a: RestorationCounters, b: RestorationCounters) -> RestorationCounters {
        var sum = a
        sum.frames += b.frames
        sum.tilesComputed += b.tilesComputed
        sum.tilesReused += b.tilesReused
        sum.tilesFallenBack += b.tilesFallenBack
        sum.fullFrameRuns += b.fullFrameRuns
        sum.framesOverBudget += b.framesOverBudget
        sum.framesBicubicOnly += b.framesBicubicOnly
        sum.multiplyAccumulates += b.multiplyAccumulates
        sum.framesWithoutQuantizer += b.framesWithoutQuantizer
        return sum
    }
}
