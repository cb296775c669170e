/// An 8-bit palette raster: every pixel is an index into `palette`. Drawing is clipped to the
/// image and, while `clip` is set, to that rectangle. Coordinates: x to the right, y down,
/// (0, 0) the top-left pixel.
public struct RasterCanvas: Sendable {
    public let width: Int
    public let height: Int
    /// Up to 256 colors; index 0 is the background.
    public private(set) var palette: [RGBColor]
    /// `width × height` palette indices, row by row from the top.
    public private(set) var pixels: [UInt8]
    /// When set, drawing outside this rectangle is discarded.
    public var clip: PixelRect?

    /// A rectangle of pixels: x in `minX...maxX`, y in `minY...maxY`.
    public struct PixelRect: Equatable, Sendable {
        public var minX: Int, minY: Int, maxX: Int, maxY: Int
        public init(minX: Int, minY: Int, maxX: Int, maxY: Int) {
            self.minX = minX
            self.minY = minY
            self.maxX = maxX
            self.maxY = maxY
        }
        public func contains(x: Int, y: Int) -> Bool { x >= minX && x <= maxX && y >= minY && y <= maxY }
    }

    public init(width: Int, height: Int, background: RGBColor = .white) {
        self.width = max(1, width)
        self.height = max(1, height)
        palette = [background]
        pixels = [UInt8](repeating: 0, count: self.width * self.height)
    }

    /// The palette index of `color`, added to the palette when new. Once 256 colors are in use,
    /// the nearest existing one.
    public mutating func index(of color: RGBColor) -> UInt8 {
        if let i = palette.firstIndex(of: color) { return UInt8(i) }
        if palette.count < 256 {
            palette.append(color)
            return UInt8(palette.count - 1)
        }
        func distance(_ c: RGBColor) -> Int {
            let dr = Int(c.red) - Int(color.red), dg = Int(c.green) - Int(color.green)
            let db = Int(c.blue) - Int(color.blue)
            return dr * dr + dg * dg + db * db
        }
        let nearest = palette.indices.min { distance(palette[$0]) < distance(palette[$1]) } ?? 0
        return UInt8(nearest)
    }

    /// The color at (x, y); nil outside the image.
    public func color(x: Int, y: Int) -> RGBColor? {
        guard x >= 0, x < width, y >= 0, y < height else { return nil }
        return palette[Int(pixels[y * width + x])]
    }

    /// Sets one pixel, unless it is outside the image or the clip rectangle.
    public mutating func plot(x: Int, y: Int, _ color: RGBColor) {
        let i = index(of: color)
        plot(x: x, y: y, index: i)
    }

    private mutating func plot(x: Int, y: Int, index: UInt8) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        if let clip, !clip.contains(x: x, y: y) { return }
        pixels[y * width + x] = index
    }

    /// Fills the rectangle with corners (x0, y0) and (x1, y1), both included.
    public mutating func fill(x0: Int, y0: Int, x1: Int, y1: Int, _ color: RGBColor) {
        let i = index(of: color)
        let left = max(min(x0, x1), clip?.minX ?? 0, 0), right = min(max(x0, x1), clip?.maxX ?? Int.max, width - 1)
        let top = max(min(y0, y1), clip?.minY ?? 0, 0), bottom = min(max(y0, y1), clip?.maxY ?? Int.max, height - 1)
        guard left <= right, top <= bottom else { return }
        for y in top...bottom {
            for x in left...right { pixels[y * width + x] = i }
        }
    }

    /// Draws the outline of a rectangle, 1 pixel wide.
    public mutating func stroke(_ r: PixelRect, _ color: RGBColor) {
        fill(x0: r.minX, y0: r.minY, x1: r.maxX, y1: r.minY, color)
        fill(x0: r.minX, y0: r.maxY, x1: r.maxX, y1: r.maxY, color)
        fill(x0: r.minX, y0: r.minY, x1: r.minX, y1: r.maxY, color)
        fill(x0: r.maxX, y0: r.minY, x1: r.maxX, y1: r.maxY, color)
    }

    /// A straight line of `thickness` pixels from (x0, y0) to (x1, y1) (Bresenham, with a square
    /// pen). The segment is first clipped (Liang–Barsky) to the image, so far-away or huge
    /// coordinates cost nothing; segments with a non-finite coordinate are skipped.
    public mutating func line(x0: Double, y0: Double, x1: Double, y1: Double, _ color: RGBColor, thickness: Int = 1) {
        guard x0.isFinite, y0.isFinite, x1.isFinite, y1.isFinite else { return }
        let pen = max(1, thickness)
        let box = clip ?? PixelRect(minX: 0, minY: 0, maxX: width - 1, maxY: height - 1)
        guard let (ax, ay, bx, by) = Self.clipSegment(x0, y0, x1, y1, to: box, margin: Double(pen)) else { return }
        let i = index(of: color)
        var x = Int(ax.rounded()), y = Int(ay.rounded())
        let endX = Int(bx.rounded()), endY = Int(by.rounded())
        let dx = abs(endX - x), dy = -abs(endY - y)
        let sx = x < endX ? 1 : -1, sy = y < endY ? 1 : -1
        var error = dx + dy
        let low = -(pen - 1) / 2, high = pen / 2
        while true {
            for oy in low...high {
                for ox in low...high { plot(x: x + ox, y: y + oy, index: i) }
            }
            if x == endX && y == endY { break }
            let e2 = 2 * error
            if e2 >= dy { error += dy; x += sx }
            if e2 <= dx { error += dx; y += sy }
        }
    }

    /// Liang–Barsky: the part of the segment inside `box` grown by `margin`, or nil if none.
    static func clipSegment(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, to box: PixelRect,
                            margin: Double) -> (Double, Double, Double, Double)? {
        let dx = x1 - x0, dy = y1 - y0
        var t0 = 0.0, t1 = 1.0
        let edges: [(p: Double, q: Double)] = [
            (-dx, x0 - (Double(box.minX) - margin)), (dx, Double(box.maxX) + margin - x0),
            (-dy, y0 - (Double(box.minY) - margin)), (dy, Double(box.maxY) + margin - y0),
        ]
        for (p, q) in edges {
            if p == 0 {
                if q < 0 { return nil }
            } else {
                let t = q / p
                if p < 0 { t0 = max(t0, t) } else { t1 = min(t1, t) }
                if t0 > t1 { return nil }
            }
        }
        return (x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy)
    }

    /// Writes `text` with its top-left corner at (x, y), each font pixel a `scale` × `scale`
    /// square. `rotated` turns it 90° counter-clockwise (for a y-axis label): it then reads from
    /// (x, y) upwards, with the glyphs' tops facing left.
    public mutating func text(_ text: String, x: Int, y: Int, scale: Int = 1, _ color: RGBColor,
                              rotated: Bool = false) {
        let s = max(1, scale)
        let i = index(of: color)
        var pen = 0
        for character in text {
            for (row, bits) in BitmapFont.rows(for: character).enumerated() {
                for column in 0..<BitmapFont.glyphWidth where bits & (0x10 >> UInt8(column)) != 0 {
                    let gx = (pen + column) * s, gy = row * s
                    for oy in 0..<s {
                        for ox in 0..<s {
                            if rotated {
                                plot(x: x + gy + oy, y: y - gx - ox, index: i)
                            } else {
                                plot(x: x + gx + ox, y: y + gy + oy, index: i)
                            }
                        }
                    }
                }
            }
            pen += BitmapFont.advance
        }
    }

    /// The canvas as a PNG file (8-bit indexed color).
    public func png() throws(PNGEncoder.EncodeError) -> [UInt8] {
        try PNGEncoder.encodeIndexed(width: width, height: height, palette: palette, indices: pixels)
    }
}
