/// A rectangle of pixels.
public struct PixelRect: Sendable, Hashable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var area: Int { width * height }
    public var description: String { "\(width)x\(height)+\(x)+\(y)" }
}

/// How a `width × height` input is cut into tiles for a network whose output pixels depend on
/// `halo` input pixels each side.
///
/// Each tile has a *core* (the pixels it produces) and a *window* (what the network sees). All
/// windows have one size, `windowWidth × windowHeight` (one compiled network serves every
/// tile): the core grown by `halo` each side, shifted inward at the picture's edges so that it
/// never leaves the picture. A window edge is therefore either the picture's own edge — where
/// the network's zero padding is exactly what a full-frame run sees — or at least `halo` pixels
/// from the core, beyond the core's receptive field; so every core pixel equals the full-frame
/// result. Cores, windows and halo are multiples of `alignment` (the model's `pixel_unshuffle`
/// factors), so windows cut the picture on the same grid a full-frame run does.
public struct TileLayout: Sendable, Hashable {
    public struct Tile: Sendable, Hashable {
        /// The pixels this tile produces (input coordinates).
        public let core: PixelRect
        /// The input the network sees for it.
        public let window: PixelRect
    }

    public let width: Int
    public let height: Int
    public let halo: Int
    public let windowWidth: Int
    public let windowHeight: Int
    /// Row by row, left to right.
    public let tiles: [Tile]

    /// - Parameters:
    ///   - tileWidth, tileHeight: core size (rounded up to `alignment`); at least the picture
    ///     size means one tile, the whole frame.
    ///   - halo: the model's receptive field in input pixels (rounded up to `alignment`).
    ///   - alignment: `width` and `height` must be multiples of it (the caller checks).
    public init(width: Int, height: Int, tileWidth: Int, tileHeight: Int, halo: Int, alignment: Int = 1) {
        let step = max(1, alignment)
        func aligned(_ value: Int) -> Int { max(step, (value + step - 1) / step * step) }
        self.width = max(1, width)
        self.height = max(1, height)
        let coreWidth = min(aligned(tileWidth), self.width)
        let coreHeight = min(aligned(tileHeight), self.height)
        self.halo = halo <= 0 ? 0 : aligned(halo)
        windowWidth = min(self.width, coreWidth + 2 * self.halo)
        windowHeight = min(self.height, coreHeight + 2 * self.halo)
        var tiles: [Tile] = []
        var y = 0
        while y < self.height {
            let h = min(coreHeight, self.height - y)
            let wy = min(max(y - self.halo, 0), self.height - windowHeight)
            var x = 0
            while x < self.width {
                let w = min(coreWidth, self.width - x)
                let wx = min(max(x - self.halo, 0), self.width - windowWidth)
                tiles.append(Tile(core: PixelRect(x: x, y: y, width: w, height: h),
                                  window: PixelRect(x: wx, y: wy, width: windowWidth, height: windowHeight)))
                x += coreWidth
            }
            y += coreHeight
        }
        self.tiles = tiles
    }

    /// Whether the layout is a single tile covering the picture.
    public var isFullFrame: Bool { tiles.count == 1 }

    /// Input pixels the network processes when `count` tiles are computed.
    public func processedArea(tiles count: Int) -> Int { count * windowWidth * windowHeight }
}
