import COpenSSL

/// The datagrams between an `SSL` object and the endpoint that drives it.
///
/// OpenSSL writes each DTLS datagram (one or more records, at most the MTU) with one
/// `BIO_write` after its buffering BIO flushes, so keeping writes apart keeps datagram
/// boundaries, which a plain memory BIO would merge. Reads hand over one whole datagram.
final class DatagramPipe {
    /// The datagram OpenSSL reads next; consumed by one read.
    var incoming: [UInt8]?
    /// Datagrams OpenSSL wrote, oldest first.
    var outgoing: [[UInt8]] = []

    func drainOutgoing() -> [[UInt8]] {
        defer { outgoing.removeAll() }
        return outgoing
    }
}

/// A source/sink `BIO_METHOD` whose `BIO`s carry a `DatagramPipe` (unretained; the endpoint
/// owns the pipe and outlives its `SSL`). Created once per process.
enum DatagramBIO {
    nonisolated(unsafe) private static let method: OpaquePointer? = makeMethod()

    /// A new `BIO` reading and writing `pipe`, or nil if OpenSSL could not allocate one.
    static func make(pipe: DatagramPipe) -> OpaquePointer? {
        guard let method, let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(pipe).toOpaque())
        BIO_set_init(bio, 1)
        return bio
    }

    private static func pipe(of bio: OpaquePointer?) -> DatagramPipe? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<DatagramPipe>.fromOpaque(data).takeUnretainedValue()
    }

    private static func makeMethod() -> OpaquePointer? {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "loupe datagram") else {
            return nil
        }
        _ = BIO_meth_set_write(method) { bio, data, length -> Int32 in
            loupe_BIO_clear_retry_flags(bio)
            guard let pipe = DatagramBIO.pipe(of: bio), let data, length >= 0 else { return -1 }
            pipe.outgoing.append(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
            return length
        }
        _ = BIO_meth_set_read(method) { bio, buffer, capacity -> Int32 in
            loupe_BIO_clear_retry_flags(bio)
            guard let pipe = DatagramBIO.pipe(of: bio), let buffer, capacity >= 0 else { return -1 }
            guard let datagram = pipe.incoming else {
                loupe_BIO_set_retry_read(bio)
                return -1
            }
            pipe.incoming = nil
            // Datagram semantics: what does not fit is lost.
            let count = min(datagram.count, Int(capacity))
            datagram.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: count) }
            }
            return Int32(count)
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, _ -> Int in
            switch command {
            case BIO_CTRL_FLUSH:
                return 1
            case BIO_CTRL_PENDING:
                return DatagramBIO.pipe(of: bio)?.incoming?.count ?? 0
            case BIO_CTRL_WPENDING, BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
                // Writes leave at once; the MTU given to OpenSSL is already the UDP payload size.
                return 0
            default:
                return 0
            }
        }
        return method
    }
}
