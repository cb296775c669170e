/// A 24-bit color.
public struct RGBColor: Hashable, Sendable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// `base` drawn with `alpha` over white, as a plotting library draws a translucent line on a
    /// white background.
    public init(_ base: RGBColor, alphaOverWhite alpha: Double) {
        func mix(_ c: UInt8) -> UInt8 {
            UInt8(max(0, min(255, (Double(c) * alpha + 255 * (1 - alpha)).rounded())))
        }
        self.init(mix(base.red), mix(base.green), mix(base.blue))
    }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)
}

/// Writes PNG files (ISO/IEC 15948, W3C PNG 2nd edition): 8-bit indexed color, no interlacing,
/// filter type 0 on every row, and a zlib stream (RFC 1950) of DEFLATE *stored* blocks (RFC 1951
/// §3.2.4) — no compression library, and a plot of a few hundred kilobytes.
public enum PNGEncoder {
    public enum EncodeError: Error, Equatable, Sendable {
        /// Width or height is 0 or over 2^31 − 1 (PNG §11.2.2).
        case invalidSize(width: Int, height: Int)
        /// The palette holds 0 or more than 256 colors (PNG §11.2.3).
        case invalidPalette(count: Int)
        /// `indices` does not hold width × height entries.
        case pixelCountMismatch(expected: Int, got: Int)
        /// A pixel names a palette entry that does not exist.
        case indexOutOfPalette(index: UInt8)
    }

    /// The 8-byte PNG signature (PNG §5.2).
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes an image whose pixels are indices into `palette`, row by row from the top left.
    public static func encodeIndexed(width: Int, height: Int, palette: [RGBColor],
                                     indices: [UInt8]) throws(EncodeError) -> [UInt8] {
        guard width > 0, height > 0, width <= Int(Int32.max), height <= Int(Int32.max),
              width.multipliedReportingOverflow(by: height).overflow == false
        else { throw .invalidSize(width: width, height: height) }
        guard (1...256).contains(palette.count) else { throw .invalidPalette(count: palette.count) }
        guard indices.count == width * height else {
            throw .pixelCountMismatch(expected: width * height, got: indices.count)
        }
        if let bad = indices.first(where: { Int($0) >= palette.count }) { throw .indexOutOfPalette(index: bad) }

        var png = signature
        // IHDR (PNG §11.2.2): width, height, bit depth 8, color type 3 (indexed), deflate,
        // adaptive filtering (method 0), no interlace.
        var ihdr: [UInt8] = []
        ihdr.appendBigEndian(UInt32(width))
        ihdr.appendBigEndian(UInt32(height))
        ihdr += [8, 3, 0, 0, 0]
        appendChunk("IHDR", ihdr, to: &png)
        appendChunk("PLTE", palette.flatMap { [$0.red, $0.green, $0.blue] }, to: &png)

        // Scanlines: a filter-type byte (0, None: PNG §9.2) before each row.
        var raw: [UInt8] = []
        raw.reserveCapacity((width + 1) * height)
        for row in 0..<height {
            raw.append(0)
            raw += indices[(row * width)..<((row + 1) * width)]
        }
        appendChunk("IDAT", zlibStored(raw), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// A zlib stream (RFC 1950) holding `data` in DEFLATE stored blocks of at most 65 535 bytes
    /// (RFC 1951 §3.2.4), followed by the Adler-32 of `data`.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        // CMF 0x78: deflate, 32 KiB window; FLG 0x01 makes (CMF·256 + FLG) a multiple of 31
        // (FLEVEL 0, no dictionary).
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(data.count + data.count / 65_535 * 5 + 16)
        var start = 0
        repeat {
            let end = min(start + 65_535, data.count)
            let length = UInt16(end - start)
            // BFINAL in bit 0, BTYPE 00 in bits 1–2; the rest of the byte pads to a boundary.
            out.append(end == data.count ? 1 : 0)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
            out += data[start..<end]
            start = end
        } while start < data.count
        out.appendBigEndian(adler32(data))
        return out
    }

    /// Appends one chunk (PNG §5.3): length, type, data, CRC-32 of type and data.
    static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png.appendBigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        png.appendBigEndian(crc32(typeBytes + data))
    }

    /// CRC-32 (ISO 3309 / ITU-T V.42, PNG Annex D): reflected polynomial 0xEDB88320,
    /// initial value and final XOR 0xFFFFFFFF.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Adler-32 (RFC 1950 §9): two sums modulo 65 521, s2 in the high half.
    public static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        // 5552 bytes is the longest run whose sums cannot overflow 32 bits before the reduction.
        var index = 0
        while index < bytes.count {
            let end = min(index + 5552, bytes.count)
            for i in index..<end {
                a += UInt32(bytes[i])
                b += a
            }
            a %= 65_521
            b %= 65_521
            index = end
        }
        return b << 16 | a
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8((value >> 16) & 0xFF))
        append(UInt8((value >> 8) & 0xFF))
        append(UInt8(value & 0xFF))
    }
}
