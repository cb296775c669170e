import Inference
import Testing

/// A file from a header text and data bytes, laid out by hand (8-byte LE length, JSON, data).
private func file(_ header: String, _ data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    let length = declaredLength ?? UInt64(json.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
}

private func bytes(hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
        index = next
    }
    return out
}

private func parseError(_ bytes: [UInt8]) -> SafetensorsParseError? {
    do {
        _ = try SafetensorsFile(bytes: bytes)
        return nil
    } catch {
        return error
    }
}

@Suite("SafetensorsFile")
struct SafetensorsFileTests {
    /// `{"__metadata__":{"format":"x"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
    /// (84 bytes) then 1.5 and -2.0 as little-endian f32, as Python's struct module writes them.
    static let minimal = bytes(hex: "5400000000000000"
        + "7b225f5f6d657461646174615f5f223a7b22666f726d6174223a2278227d2c2277223a7b226474797065223a22"
        + "463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d7d"
        + "0000c03f000000c0")

    @Test func parsesAHandWrittenFile() throws {
        let parsed = try SafetensorsFile(bytes: Self.minimal)
        #expect(parsed.metadata == ["format": "x"])
        #expect(parsed.tensorNames == ["w"])
        #expect(parsed.tensors["w"]?.shape == [2])
        #expect(parsed.tensors["w"]?.dtype == .f32)
        #expect(try parsed.floats("w") == [1.5, -2.0])
    }

    @Test func writerOutputMatchesTheLayout() throws {
        let written = SafetensorsFile.serialize(
            [SafetensorsTensor(name: "a", shape: [1, 2], values: [0.25, 4]),
             SafetensorsTensor(name: "b", shape: [], values: [7])],
            metadata: ["k": "line\n\"quoted\""])
        let length = written.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(length % 8 == 0)
        #expect(written.count == 8 + length + 12)
        let parsed = try SafetensorsFile(bytes: written)
        #expect(parsed.metadata["k"] == "line\n\"quoted\"")
        #expect(parsed.tensorNames == ["a", "b"])
        #expect(try parsed.floats("a") == [0.25, 4])
        #expect(try parsed.floats("b") == [7])
        #expect(Array(written.suffix(4)) == [0x00, 0x00, 0xE0, 0x40])  // 7.0f little endian
    }

    @Test func emptyFileWithNoTensors() throws {
        let parsed = try SafetensorsFile(bytes: file("{}"))
        #expect(parsed.tensors.isEmpty)
        #expect(parsed.metadata.isEmpty)
    }

    @Test(arguments: [0, 1, 7])
    func truncatedLength(count: Int) {
        #expect(parseError(Array(Self.minimal.prefix(count))) == .shortFile(byteCount: count))
    }

    @Test func truncatedData() {
        // Header intact, last 3 data bytes missing: the tensor's range now runs past the data.
        let cut = Array(Self.minimal.dropLast(3))
        #expect(parseError(cut) == .offsetsOutOfRange(tensor: "w", begin: 0, end: 8, dataSize: 5))
    }

    @Test func truncatedHeader() {
        let cut = Array(Self.minimal.prefix(50))
        #expect(parseError(cut) == .headerLengthExceedsFile(declared: 84, available: 42))
    }

    @Test func hugeHeaderLength() {
        #expect(parseError(file("{}", declaredLength: UInt64.max)) == .headerLengthExceedsFile(declared: UInt64.max, available: 2))
        var padded = [UInt8](repeating: UInt8(ascii: " "), count: 8 + 100_000_001)
        for i in 0..<8 { padded[i] = UInt8(truncatingIfNeeded: 100_000_001 >> (8 * i)) }
        padded[8] = UInt8(ascii: "{")
        #expect(parseError(padded) == .headerTooLarge(declared: 100_000_001))
    }

    @Test func headerNotJSON() {
        guard case .headerNotJSON = parseError(file("{\"w\": ")) else {
            Issue.record("expected headerNotJSON")
            return
        }
        #expect(parseError(file("[1, 2]")) == .headerNotJSONObject)
        #expect(parseError(file("")) == .headerNotJSONObject)
    }

    @Test func invalidUTF8InHeader() {
        var bytes = file("{\"w\":{}}")
        bytes[10] = 0xC3  // the key's only character becomes a lone UTF-8 lead byte
        guard case .headerNotJSON = parseError(bytes) else {
            Issue.record("invalid UTF-8 accepted: \(String(describing: parseError(bytes)))")
            return
        }
    }

    @Test func unknownAndUnsupportedDTypes() throws {
        #expect(parseError(file(#"{"w":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]))
                == .unknownDType(tensor: "w", dtype: "F31"))
        let f16 = try SafetensorsFile(bytes: file(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]))
        #expect(throws: SafetensorsParseError.unsupportedDType(tensor: "w", dtype: .f16)) { try f16.floats("w") }
        #expect(throws: SafetensorsParseError.missingTensor("v")) { try f16.floats("v") }
    }

    @Test func invalidEntries() {
        let cases = [
            #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1]}}"#,
            #"{"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#,
            #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.5]}}"#,
            #"{"w":3}"#,
        ]
        for header in cases {
            guard case .invalidEntry(tensor: "w", _) = parseError(file(header, [0, 0, 0, 0])) else {
                Issue.record("\(header) should be an invalid entry, got \(String(describing: parseError(file(header, [0, 0, 0, 0]))))")
                continue
            }
        }
        guard case .invalidEntry(tensor: "w", _) = parseError(file(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
                                                                   [0, 0, 0, 0])) else {
            Issue.record("negative dimension accepted")
            return
        }
        guard case .invalidEntry(tensor: "w", _) = parseError(
            file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, [0, 0, 0, 0])) else {
            Issue.record("overflowing shape accepted")
            return
        }
        guard case .invalidEntry(tensor: "w", _) = parseError(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#)) else {
            Issue.record("one offset accepted")
            return
        }
    }

    @Test func invalidMetadata() {
        guard case .invalidMetadata = parseError(file(#"{"__metadata__":{"a":1}}"#)) else {
            Issue.record("numeric metadata accepted")
            return
        }
        guard case .invalidMetadata = parseError(file(#"{"__metadata__":"x"}"#)) else {
            Issue.record("string metadata accepted")
            return
        }
    }

    @Test func offsetsOutOfRangeAndReversed() {
        #expect(parseError(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, [0, 0, 0, 0]))
                == .offsetsOutOfRange(tensor: "w", begin: 4, end: 8, dataSize: 4))
        #expect(parseError(file(#"{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}"#, [0, 0, 0, 0]))
                == .offsetsOutOfRange(tensor: "w", begin: 4, end: 0, dataSize: 4))
        #expect(parseError(file(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#, [0, 0, 0, 0]))
                == .offsetsOutOfRange(tensor: "w", begin: -4, end: 0, dataSize: 4))
    }

    @Test func sizeMismatch() {
        #expect(parseError(file(#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, [0, 0, 0, 0]))
                == .sizeMismatch(tensor: "w", expectedBytes: 8, actualBytes: 4))
    }

    @Test func overlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let error = parseError(file(header, [UInt8](repeating: 0, count: 8)))
        #expect(error == .overlappingTensors("b", "a") || error == .overlappingTensors("a", "b"))
    }

    @Test func gapAndTrailingBytes() {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        #expect(parseError(file(gap, [UInt8](repeating: 0, count: 12))) == .uncoveredBytes(offset: 4, count: 4))
        #expect(parseError(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, [UInt8](repeating: 0, count: 6)))
                == .trailingBytes(count: 2))
        #expect(parseError(file("{}", [1])) == .trailingBytes(count: 1))
    }

    @Test func everyPrefixOfAValidFileFailsWithoutTrapping() {
        for count in 0..<Self.minimal.count {
            #expect(parseError(Array(Self.minimal.prefix(count))) != nil)
        }
    }

    @Test func everySingleByteCorruptionIsHandled() {
        // Flip each header byte: the parser must return (a value or a typed error), never trap.
        for index in 8..<(8 + 84) {
            var corrupted = Self.minimal
            corrupted[index] ^= 0x5A
            _ = parseError(corrupted)
        }
    }
}
