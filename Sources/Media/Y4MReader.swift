#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a YUV4MPEG2 stream frame by frame, from a file (streamed: one frame in memory at a
/// time) or from bytes already in memory.
///
/// Each frame is a `FRAME` line (its optional parameters are read and ignored) followed by the
/// Y, U and V planes. Frame `n` gets the 90 kHz timestamp `n × 90000 / frameRate` (wrapping).
/// Owns its `FILE` when reading a file; use from one thread at a time.
public final class Y4MReader {
    public let header: Y4MHeader
    /// Frames returned so far.
    public private(set) var framesRead = 0
    private var source: Source
    /// Set after the end of the stream or an error: no more frames.
    private var finished = false

    private enum Source {
        case memory([UInt8], offset: Int)
        case file(UnsafeMutablePointer<FILE>)
    }

    /// Opens `path` and reads its header.
    public init(path: String) throws(Y4MError) {
        guard let file = fopen(path, "rb") else {
            throw .cannotOpen(path: path, reason: Y4MReader.systemError())
        }
        var line: [UInt8] = []
        var complete = false
        while line.count < Y4MHeader.maximumHeaderLength {
            let c = getc(file)
            if c == EOF { break }
            line.append(UInt8(truncatingIfNeeded: c))
            if c == 0x0A { complete = true; break }
        }
        if !complete && ferror(file) != 0 {
            fclose(file)
            throw .ioFailed("reading \(path): \(Y4MReader.systemError())")
        }
        do {
            header = try Y4MHeader.parse(line).header
        } catch {
            fclose(file)
            throw error
        }
        source = .file(file)
    }

    /// Reads the header at the start of `bytes`; frames are then read from the rest.
    public init(bytes: [UInt8]) throws(Y4MError) {
        let (header, length) = try Y4MHeader.parse(bytes)
        self.header = header
        source = .memory(bytes, offset: length)
    }

    deinit {
        if case .file(let file) = source { fclose(file) }
    }

    /// Reads a whole stream held in memory.
    public static func read(_ bytes: [UInt8]) throws(Y4MError) -> (header: Y4MHeader, frames: [I420Frame]) {
        let reader = try Y4MReader(bytes: bytes)
        return (reader.header, try reader.readAll())
    }

    /// The next frame, or nil at the end of the stream (exactly after the last frame's data).
    public func nextFrame() throws(Y4MError) -> I420Frame? {
        guard !finished else { return nil }
        finished = true  // until this frame is complete
        let index = framesRead
        guard let line = try readFrameLine(index: index) else { return nil }
        try Y4MReader.checkFrameLine(line, index: index, complete: true)
        var frame = I420Frame(width: header.width, height: header.height,
                              timestamp: Y4MReader.timestamp(ofFrame: index, rate: header.frameRate))
        var found = 0
        found += try fill(&frame.y)
        found += try fill(&frame.u)
        found += try fill(&frame.v)
        guard found == header.frameByteCount else {
            throw .truncatedFrame(frame: index, expected: header.frameByteCount, found: found)
        }
        framesRead += 1
        finished = false
        return frame
    }

    /// Every remaining frame.
    public func readAll() throws(Y4MError) -> [I420Frame] {
        var frames: [I420Frame] = []
        while let frame = try nextFrame() { frames.append(frame) }
        return frames
    }

    /// The 90 kHz RTP timestamp of frame `index` at `rate` frames per second.
    public static func timestamp(ofFrame index: Int, rate: Y4MRatio) -> UInt32 {
        guard rate.numerator > 0, rate.denominator > 0 else { return 0 }
        let ticks = (Double(index) * 90_000 * Double(rate.denominator) / Double(rate.numerator)).rounded(.down)
        return UInt32(ticks.truncatingRemainder(dividingBy: 4_294_967_296))
    }

    /// The `FRAME` line without its line feed; nil when the stream ends before its first byte.
    private func readFrameLine(index: Int) throws(Y4MError) -> [UInt8]? {
        let limit = Y4MHeader.maximumFrameHeaderLength
        switch source {
        case .memory(let bytes, let offset):
            guard offset < bytes.count else { return nil }
            let end = min(bytes.count, offset + limit)
            guard let newline = bytes[offset..<end].firstIndex(of: 0x0A) else {
                let rest = Array(bytes[offset..<end])
                try Y4MReader.checkFrameLine(rest, index: index)
                throw end - offset >= limit ? .frameHeaderTooLong(frame: index) : .truncatedFrameHeader(frame: index)
            }
            source = .memory(bytes, offset: newline + 1)
            return Array(bytes[offset..<newline])
        case .file(let file):
            var line: [UInt8] = []
            while line.count < limit {
                let c = getc(file)
                if c == EOF {
                    if ferror(file) != 0 { throw .ioFailed(Y4MReader.systemError()) }
                    if line.isEmpty { return nil }
                    try Y4MReader.checkFrameLine(line, index: index)
                    throw .truncatedFrameHeader(frame: index)
                }
                if c == 0x0A { return line }
                line.append(UInt8(truncatingIfNeeded: c))
            }
            try Y4MReader.checkFrameLine(line, index: index)
            throw .frameHeaderTooLong(frame: index)
        }
    }

    /// Throws unless `line` is `FRAME` alone or followed by a space and parameters. When the line
    /// is not `complete` (the stream ended inside it), a prefix of `FRAME` passes too: the caller
    /// reports the truncation.
    private static func checkFrameLine(_ line: [UInt8], index: Int, complete: Bool = false) throws(Y4MError) {
        let marker = Array("FRAME".utf8)
        if line.count < marker.count {
            guard !complete else { throw .badFrameMarker(frame: index) }
            guard line.elementsEqual(marker.prefix(line.count)) else { throw .badFrameMarker(frame: index) }
            return
        }
        guard line.prefix(marker.count).elementsEqual(marker) else { throw .badFrameMarker(frame: index) }
        guard line.count == marker.count || line[marker.count] == 0x20 else { throw .badFrameMarker(frame: index) }
    }

    /// Fills `plane` from the stream; returns how many bytes were available (less at the end).
    private func fill(_ plane: inout [UInt8]) throws(Y4MError) -> Int {
        switch source {
        case .memory(let bytes, let offset):
            let n = min(plane.count, bytes.count - offset)
            plane.withUnsafeMutableBufferPointer { destination in
                bytes.withUnsafeBufferPointer { source in
                    guard n > 0, let d = destination.baseAddress, let s = source.baseAddress else { return }
                    d.update(from: s + offset, count: n)
                }
            }
            source = .memory(bytes, offset: offset + n)
            return n
        case .file(let file):
            let n = plane.withUnsafeMutableBufferPointer { destination in
                fread(destination.baseAddress, 1, destination.count, file)
            }
            if n < plane.count && ferror(file) != 0 { throw .ioFailed(Y4MReader.systemError()) }
            return n
        }
    }

    static func systemError() -> String { String(cString: strerror(errno)) }
}
