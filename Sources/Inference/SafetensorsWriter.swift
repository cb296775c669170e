/// One F32 tensor to write into a safetensors file.
public struct SafetensorsTensor: Sendable, Hashable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

extension SafetensorsFile {
    /// A safetensors file holding `tensors` (F32, in the given order, packed without gaps) and
    /// `metadata`; the header is padded with spaces to a multiple of 8 bytes, as the reference
    /// writer does. Keys are written sorted, so equal inputs give equal bytes.
    ///
    /// The writer does not check that each tensor's value count matches its shape: tests use it
    /// to build inconsistent files on purpose.
    public static func serialize(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:]) -> [UInt8] {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { key in "\(jsonString(key)):\(jsonString(metadata[key] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in tensors {
            let size = tensor.values.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        json += fields.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        let length = UInt64(header.count)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(i)))) }
        bytes += header
        for tensor in tensors {
            for value in tensor.values {
                let bits = value.bitPattern
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
                bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
            }
        }
        return bytes
    }

    /// `text` as a JSON string literal (RFC 8259 section 7).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
