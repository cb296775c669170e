/// A ratio of two positive integers as Y4M writes them (`30000:1001`).
public struct Y4MRatio: Sendable, Hashable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int, _ denominator: Int) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// numerator ÷ denominator (0 when the denominator is 0, which Y4M uses for "unknown").
    public var value: Double { denominator == 0 ? 0 : Double(numerator) / Double(denominator) }

    public var description: String { "\(numerator):\(denominator)" }
}

/// The chroma formats Loupe reads: all four are 8-bit 4:2:0 and differ only in where the chroma
/// samples sit (the `C` parameter). Their samples are read and written as they are.
public enum Y4MColorspace: String, Sendable, Hashable, CaseIterable {
    /// `C420`: chroma between luma rows and columns (H.261/MPEG-1 siting).
    case c420 = "420"
    /// `C420jpeg`: the same siting as `C420`; the format's default when `C` is absent.
    case c420jpeg = "420jpeg"
    /// `C420paldv`: PAL DV siting.
    case c420paldv = "420paldv"
    /// `C420mpeg2`: MPEG-2 siting (chroma co-sited with luma columns).
    case c420mpeg2 = "420mpeg2"
}

/// The stream header of a YUV4MPEG2 file: `YUV4MPEG2 W<w> H<h> F<n>:<d> [I<i>] [A<n>:<d>]
/// [C<c>] [X<ext>]…` and a line feed. The format is mjpegtools' `yuv4mpeg(5)`; there is no RFC.
public struct Y4MHeader: Sendable, Hashable {
    /// Luma width and height in pixels (1…16384).
    public var width: Int
    public var height: Int
    /// Frames per second as a ratio (`F`; both parts positive).
    public var frameRate: Y4MRatio
    /// Pixel aspect ratio (`A`); `0:0` means unknown. Nil when absent.
    public var pixelAspect: Y4MRatio?
    public var colorspace: Y4MColorspace
    /// `X` parameters, without the leading `X`, in stream order (e.g. `YSCSS=420JPEG`).
    public var extensions: [String]

    /// The longest header line accepted, line feed included.
    public static let maximumHeaderLength = 4096
    /// The longest `FRAME` line accepted, line feed included.
    public static let maximumFrameHeaderLength = 1024
    /// The largest width or height accepted.
    public static let maximumDimension = 16384
    static let signature = Array("YUV4MPEG2 ".utf8)

    public init(width: Int, height: Int, frameRate: Y4MRatio, pixelAspect: Y4MRatio? = Y4MRatio(1, 1),
                colorspace: Y4MColorspace = .c420jpeg, extensions: [String] = []) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.pixelAspect = pixelAspect
        self.colorspace = colorspace
        self.extensions = extensions
    }

    /// Bytes of sample data in each frame: the luma plane and two chroma planes of
    /// `(width + 1) / 2 × (height + 1) / 2`.
    public var frameByteCount: Int {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        return width * height + 2 * cw * ch
    }

    /// Parses the header at the start of `bytes`. Returns it with the number of bytes it took,
    /// line feed included.
    public static func parse(_ bytes: [UInt8]) throws(Y4MError) -> (header: Y4MHeader, length: Int) {
        let prefix = bytes.prefix(signature.count)
        guard prefix.elementsEqual(signature.prefix(prefix.count)) else {
            throw .notY4M(found: printable(bytes.prefix(16)))
        }
        let limit = min(bytes.count, maximumHeaderLength)
        guard let end = bytes[0..<limit].firstIndex(of: 0x0A) else {
            throw bytes.count >= maximumHeaderLength ? .headerTooLong : .truncatedHeader
        }
        guard end >= signature.count else { throw .truncatedHeader }
        return (try parseParameters(bytes[signature.count..<end]), end + 1)
    }

    /// Parses the parameters after `YUV4MPEG2 ` (line feed excluded).
    static func parseParameters(_ line: ArraySlice<UInt8>) throws(Y4MError) -> Y4MHeader {
        var width: Int?, height: Int?, rate: Y4MRatio?, aspect: Y4MRatio?, colorspace: Y4MColorspace?
        var sawInterlacing = false
        var extensions: [String] = []
        for token in line.split(separator: 0x20, omittingEmptySubsequences: true) {
            let text = printable(token)
            guard let first = token.first, token.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw .unknownParameter(text)
            }
            let letter = Character(Unicode.Scalar(first))
            let value = token.dropFirst()
            switch letter {
            case "W":
                guard width == nil else { throw .duplicateParameter("W") }
                guard let n = decimal(value), (1...maximumDimension).contains(n) else {
                    throw .invalidParameter("W", text)
                }
                width = n
            case "H":
                guard height == nil else { throw .duplicateParameter("H") }
                guard let n = decimal(value), (1...maximumDimension).contains(n) else {
                    throw .invalidParameter("H", text)
                }
                height = n
            case "F":
                guard rate == nil else { throw .duplicateParameter("F") }
                guard let r = ratio(value), r.numerator > 0, r.denominator > 0 else {
                    throw .invalidParameter("F", text)
                }
                rate = r
            case "A":
                guard aspect == nil else { throw .duplicateParameter("A") }
                guard let r = ratio(value) else { throw .invalidParameter("A", text) }
                aspect = r
            case "I":
                guard !sawInterlacing else { throw .duplicateParameter("I") }
                sawInterlacing = true
                switch String(decoding: value, as: UTF8.self) {
                case "p", "?": break
                case "t", "b", "m": throw .unsupportedInterlacing(String(decoding: value, as: UTF8.self))
                default: throw .invalidParameter("I", text)
                }
            case "C":
                guard colorspace == nil else { throw .duplicateParameter("C") }
                let tag = String(decoding: value, as: UTF8.self)
                guard let c = Y4MColorspace(rawValue: tag) else { throw .unsupportedColorspace(tag) }
                colorspace = c
            case "X":
                extensions.append(String(decoding: value, as: UTF8.self))
            default:
                throw .unknownParameter(text)
            }
        }
        guard let width else { throw .missingParameter("W") }
        guard let height else { throw .missingParameter("H") }
        guard let rate else { throw .missingParameter("F") }
        return Y4MHeader(width: width, height: height, frameRate: rate, pixelAspect: aspect,
                         colorspace: colorspace ?? .c420jpeg, extensions: extensions)
    }

    /// The header line, line feed included. Always writes `Ip` (progressive).
    public var serialized: [UInt8] {
        var line = "YUV4MPEG2 W\(width) H\(height) F\(frameRate) Ip"
        if let pixelAspect { line += " A\(pixelAspect)" }
        line += " C\(colorspace.rawValue)"
        for x in extensions { line += " X\(x)" }
        return Array((line + "\n").utf8)
    }

    /// A non-negative decimal of at most 9 digits (no sign, no spaces).
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        var n = 0
        for d in digits {
            guard (0x30...0x39).contains(d) else { return nil }
            n = n * 10 + Int(d - 0x30)
        }
        return n
    }

    /// `<n>:<d>` with two decimals.
    static func ratio(_ text: ArraySlice<UInt8>) -> Y4MRatio? {
        guard let colon = text.firstIndex(of: 0x3A),
              let n = decimal(text[text.startIndex..<colon]),
              let d = decimal(text[text.index(after: colon)...]) else { return nil }
        return Y4MRatio(n, d)
    }

    /// Bytes as text for an error message: printable ASCII kept, anything else as `.`.
    static func printable(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes.prefix(64).map { (0x20...0x7E).contains($0) ? $0 : 0x2E }, as: UTF8.self)
    }
}
