#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a YUV4MPEG2 stream: the header line, then for each frame `FRAME`, a line feed and the
/// Y, U and V planes (rows without padding, whatever the frame's strides).
///
/// Writes to a file (created or truncated; `close()` flushes it) or collects the bytes in
/// memory (`bytes`). Owns its `FILE` when writing a file; use from one thread at a time.
public final class Y4MWriter {
    public let header: Y4MHeader
    public private(set) var framesWritten = 0
    /// Everything written so far, for a writer made with `init(header:)`; empty for a file.
    public private(set) var bytes: [UInt8] = []
    private var file: UnsafeMutablePointer<FILE>?
    private let path: String?

    /// Creates (or truncates) `path` and writes the header.
    public init(path: String, header: Y4MHeader) throws(Y4MError) {
        guard let file = fopen(path, "wb") else {
            throw .cannotOpen(path: path, reason: Y4MReader.systemError())
        }
        self.header = header
        self.file = file
        self.path = path
        try put(header.serialized)
    }

    /// A writer that keeps the stream in `bytes`, starting with the header.
    public init(header: Y4MHeader) {
        self.header = header
        self.path = nil
        self.bytes = header.serialized
    }

    deinit {
        if let file { fclose(file) }
    }

    /// Appends one frame; its size must be the header's.
    public func write(_ frame: I420Frame) throws(Y4MError) {
        guard frame.width == header.width, frame.height == header.height else {
            throw .frameSizeMismatch(expectedWidth: header.width, expectedHeight: header.height,
                                     width: frame.width, height: frame.height)
        }
        try put(Array("FRAME\n".utf8))
        try putPlane(frame.y, stride: frame.strideY, width: frame.width, rows: frame.height)
        try putPlane(frame.u, stride: frame.strideU, width: frame.chromaWidth, rows: frame.chromaHeight)
        try putPlane(frame.v, stride: frame.strideV, width: frame.chromaWidth, rows: frame.chromaHeight)
        framesWritten += 1
    }

    /// Flushes and closes the file (nothing for an in-memory writer). Later writes throw.
    public func close() throws(Y4MError) {
        guard let file else { return }
        self.file = nil
        let flushed = fflush(file) == 0
        let reason = flushed ? "" : Y4MReader.systemError()
        let closed = fclose(file) == 0
        guard flushed, closed else {
            throw .ioFailed("writing \(path ?? "file"): \(flushed ? Y4MReader.systemError() : reason)")
        }
    }

    /// A whole stream in memory: the header and every frame.
    public static func serialize(header: Y4MHeader, frames: [I420Frame]) throws(Y4MError) -> [UInt8] {
        let writer = Y4MWriter(header: header)
        for frame in frames { try writer.write(frame) }
        return writer.bytes
    }

    private func putPlane(_ plane: [UInt8], stride: Int, width: Int, rows: Int) throws(Y4MError) {
        if stride == width {
            try put(plane[0..<(width * rows)])
        } else {
            for row in 0..<rows { try put(plane[(row * stride)..<(row * stride + width)]) }
        }
    }

    private func put(_ chunk: some Collection<UInt8>) throws(Y4MError) {
        if path == nil {
            bytes.append(contentsOf: chunk)
            return
        }
        guard let file else { throw .ioFailed("writing \(path ?? "file"): already closed") }
        let count = chunk.count
        let written = chunk.withContiguousStorageIfAvailable { buffer in
            fwrite(buffer.baseAddress, 1, count, file)
        } ?? Array(chunk).withUnsafeBufferPointer { fwrite($0.baseAddress, 1, count, file) }
        guard written == count else {
            throw .ioFailed("writing \(path ?? "file"): \(Y4MReader.systemError())")
        }
    }
}
