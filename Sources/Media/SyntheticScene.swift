/// A deterministic moving test picture for tests and simulations: a diagonal luma gradient with
/// tinted chroma, vertical bars sliding right, a disc on a circular-ish path and the frame index
/// drawn as a row of 16 on/off blocks (bit 0 leftmost), all a pure function of the frame index.
public struct SyntheticScene: Sendable, Hashable {
    public let width: Int
    public let height: Int
    /// Frames per second, used only to derive the 90 kHz timestamp of frame `index`.
    public let fps: Int
    /// Amplitude of per-frame luma noise (± this many levels, a hash of position and frame),
    /// like a camera sensor's: it makes the encoder spend bits as on real footage, where the
    /// clean scene alone is encoded far below a 2.5 Mbps target. 0: none.
    public let noise: Int

    public init(width: Int, height: Int, fps: Int = 30, noise: Int = 0) {
        self.width = max(2, width)
        self.height = max(2, height)
        self.fps = max(1, fps)
        self.noise = min(max(0, noise), 64)
    }

    /// The 90 kHz RTP timestamp of frame `index` (wraps modulo 2^32).
    public func timestamp(ofFrame index: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: index.multipliedReportingOverflow(by: 90_000 / fps).partialValue)
    }

    /// Frame `index` of the scene.
    public func frame(_ index: Int) -> I420Frame {
        var f = I420Frame(width: width, height: height, timestamp: timestamp(ofFrame: index))
        let w = width, h = height, cw = f.chromaWidth, ch = f.chromaHeight
        let t = index & 0xFFFF
        // Gradient background.
        for row in 0..<h {
            let base = row * w
            for col in 0..<w {
                f.y[base + col] = UInt8(truncatingIfNeeded: 32 + ((col + row) * 160) / (w + h))
            }
        }
        for row in 0..<ch {
            for col in 0..<cw {
                f.u[row * cw + col] = UInt8(truncatingIfNeeded: 96 + (col * 64) / cw)
                f.v[row * cw + col] = UInt8(truncatingIfNeeded: 96 + (row * 64) / ch)
            }
        }
        // Moving vertical bars: 4 bars of width w/16, spaced w/4, shifting 3 px per frame.
        let barWidth = max(1, w / 16)
        let spacing = max(2, w / 4)
        let shift = (t * 3) % spacing
        for row in (h / 8)..<(h - h / 8) {
            for col in 0..<w where (col + spacing - shift) % spacing < barWidth {
                let bar = ((col + spacing - shift) / spacing) & 3
                f.y[row * w + col] = UInt8(truncatingIfNeeded: 200 - bar * 30)
            }
        }
        // Moving disc on a Lissajous-like path (integer arithmetic only).
        let radius = max(2, min(w, h) / 8)
        let cx = radius + triangle(t * 5, period: max(1, w - 2 * radius))
        let cy = radius + triangle(t * 3, period: max(1, h - 2 * radius))
        let r2 = radius * radius
        for row in max(0, cy - radius)..<min(h, cy + radius + 1) {
            for col in max(0, cx - radius)..<min(w, cx + radius + 1) {
                let dx = col - cx, dy = row - cy
                if dx * dx + dy * dy <= r2 {
                    f.y[row * w + col] = 235
                    if row % 2 == 0 && col % 2 == 0 {
                        f.u[(row / 2) * cw + col / 2] = 60
                        f.v[(row / 2) * cw + col / 2] = 200
                    }
                }
            }
        }
        if noise > 0 {
            let span = UInt32(2 * noise + 1)
            for row in 0..<h {
                var state = UInt32(truncatingIfNeeded: row &* 0x9E37_79B1) ^ UInt32(truncatingIfNeeded: t &* 0x85EB_CA77)
                for col in 0..<w {
                    // xorshift32 step per pixel: cheap, deterministic.
                    state ^= state << 13
                    state ^= state >> 17
                    state ^= state << 5
                    let value = Int(f.y[row * w + col]) + Int(state % span) - noise
                    f.y[row * w + col] = UInt8(truncatingIfNeeded: min(max(value, 0), 255))
                }
            }
        }
        // Frame counter: 16 blocks along the bottom edge.
        let block = max(1, min(w / 20, h / 12))
        let top = h - block - max(1, block / 4)
        for bit in 0..<16 {
            let on = (t >> bit) & 1 == 1
            let left = block / 2 + bit * block
            guard left + block <= w, top >= 0 else { break }
            for row in top..<(top + block) {
                for col in left..<(left + block - 1) {
                    f.y[row * w + col] = on ? 230 : 24
                }
            }
        }
        return f
    }

    /// 0 … period … 0: a triangle wave of the integer `x`.
    private func triangle(_ x: Int, period: Int) -> Int {
        let p = x % (2 * period)
        return p <= period ? p : 2 * period - p
    }
}
