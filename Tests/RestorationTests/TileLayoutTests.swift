import Restoration
import Testing

@Suite("TileLayout")
struct TileLayoutTests {
    struct Case: Sendable, CustomStringConvertible {
        var width, height, tileWidth, tileHeight, halo, alignment: Int
        var description: String { "\(width)x\(height) tiles \(tileWidth)x\(tileHeight) halo \(halo) align \(alignment)" }
    }

    static let cases = [
        Case(width: 640, height: 360, tileWidth: 128, tileHeight: 64, halo: 6, alignment: 1),
        Case(width: 100, height: 60, tileWidth: 24, tileHeight: 16, halo: 4, alignment: 1),
        Case(width: 37, height: 23, tileWidth: 10, tileHeight: 7, halo: 3, alignment: 1),
        Case(width: 64, height: 48, tileWidth: 15, tileHeight: 9, halo: 5, alignment: 2),
        Case(width: 20, height: 12, tileWidth: 64, tileHeight: 64, halo: 6, alignment: 1),
        Case(width: 30, height: 30, tileWidth: 8, tileHeight: 8, halo: 20, alignment: 1),
    ]

    @Test(arguments: cases)
    func coresCoverThePictureOnceAndWindowsSeeTheirHalo(_ c: Case) {
        let layout = TileLayout(width: c.width, height: c.height, tileWidth: c.tileWidth, tileHeight: c.tileHeight,
                                halo: c.halo, alignment: c.alignment)
        var covered = [Int](repeating: 0, count: c.width * c.height)
        #expect(layout.halo >= c.halo && layout.halo % c.alignment == 0)
        for tile in layout.tiles {
            let core = tile.core, window = tile.window
            #expect(window.width == layout.windowWidth && window.height == layout.windowHeight)
            #expect(window.x >= 0 && window.y >= 0 && window.x + window.width <= c.width && window.y + window.height <= c.height)
            #expect(window.x % c.alignment == 0 && window.y % c.alignment == 0 && core.x % c.alignment == 0)
            // Each window edge is the picture's edge or at least `halo` from the core.
            #expect(window.x == 0 || core.x - window.x >= layout.halo, "\(tile)")
            #expect(window.y == 0 || core.y - window.y >= layout.halo, "\(tile)")
            #expect(window.x + window.width == c.width || window.x + window.width - (core.x + core.width) >= layout.halo, "\(tile)")
            #expect(window.y + window.height == c.height || window.y + window.height - (core.y + core.height) >= layout.halo, "\(tile)")
            for row in core.y..<(core.y + core.height) {
                for col in core.x..<(core.x + core.width) { covered[row * c.width + col] += 1 }
            }
        }
        #expect(covered.allSatisfy { $0 == 1 })
    }

    @Test func sizesOfTheBenchmarkLayout() {
        let layout = TileLayout(width: 640, height: 360, tileWidth: 128, tileHeight: 64, halo: 6)
        #expect(layout.tiles.count == 5 * 6)
        #expect(layout.windowWidth == 140 && layout.windowHeight == 76)
        #expect(layout.tiles[0].window == PixelRect(x: 0, y: 0, width: 140, height: 76))
        #expect(layout.tiles[4].window == PixelRect(x: 500, y: 0, width: 140, height: 76))
        #expect(layout.tiles[5].core == PixelRect(x: 0, y: 64, width: 128, height: 64))
        #expect(layout.tiles[5].window == PixelRect(x: 0, y: 58, width: 140, height: 76))
        #expect(layout.tiles[29].core == PixelRect(x: 512, y: 320, width: 128, height: 40))
        #expect(layout.tiles[29].window == PixelRect(x: 500, y: 284, width: 140, height: 76))
        #expect(!layout.isFullFrame)
        #expect(TileLayout(width: 20, height: 12, tileWidth: 64, tileHeight: 64, halo: 6).isFullFrame)
    }
}
