/// A bounds-checked big-endian reader over bytes a peer controls.
///
/// Every read is total: when fewer bytes remain than requested it returns zero (or an empty
/// slice), moves to the end and sets `overrun`. Parsers check `remaining` before reading a
/// fixed-size block, or check `overrun` once after a run of reads, and throw their typed error.
/// Nothing here can trap on any input.
struct ByteReader {
    let bytes: ArraySlice<UInt8>
    private(set) var index: Int
    private(set) var overrun = false

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    /// Bytes not yet read.
    var remaining: Int { bytes.endIndex - index }

    /// Bytes read so far.
    var offset: Int { index - bytes.startIndex }

    private mutating func fail() {
        overrun = true
        index = bytes.endIndex
    }

    mutating func u8() -> UInt8 {
        guard remaining >= 1 else { fail(); return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func u16() -> UInt16 {
        guard remaining >= 2 else { fail(); return 0 }
        defer { index += 2 }
        return UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
    }

    mutating func u24() -> UInt32 {
        guard remaining >= 3 else { fail(); return 0 }
        defer { index += 3 }
        return UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
    }

    mutating func u32() -> UInt32 {
        guard remaining >= 4 else { fail(); return 0 }
        defer { index += 4 }
        return UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16
            | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    mutating func u64() -> UInt64 {
        let high = u32()
        let low = u32()
        return UInt64(high) << 32 | UInt64(low)
    }

    /// The next `count` bytes, or an empty slice (and `overrun`) when fewer remain.
    mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { fail(); return [] }
        defer { index += count }
        return bytes[index..<(index + count)]
    }

    /// Everything not yet read.
    mutating func rest() -> ArraySlice<UInt8> {
        defer { index = bytes.endIndex }
        return bytes[index...]
    }

    mutating func skip(_ count: Int) {
        guard count >= 0, remaining >= count else { fail(); return }
        index += count
    }
}

extension Array where Element == UInt8 {
    mutating func appendU16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendU24(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendU32(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendU64(_ value: UInt64) {
        appendU32(UInt32(truncatingIfNeeded: value >> 32))
        appendU32(UInt32(truncatingIfNeeded: value))
    }

    /// Appends zero bytes until the count is a multiple of four.
    mutating func padToWord() {
        while count % 4 != 0 { append(0) }
    }
}
