/// Transport-cc packet status chunks (draft-holmer-rmcat-transport-wide-cc-extensions-01
/// §3.1.3, §3.1.4): run-length chunks (T=0: 2-bit symbol, 13-bit run length) and status vector
/// chunks (T=1: S=0 fourteen 1-bit symbols, S=1 seven 2-bit symbols).
enum TransportFeedbackChunk {
    static let maxRunLength = 0x1FFF

    /// Appends the statuses `chunk` describes, up to `limit` in total. Returns false when a
    /// counted symbol is the reserved value 3.
    static func decode(_ chunk: UInt16, into statuses: inout [TransportFeedback.Status], limit: Int) -> Bool {
        if chunk & 0x8000 == 0 {
            guard let status = TransportFeedback.Status(rawValue: UInt8((chunk >> 13) & 0x3)) else { return false }
            let run = min(Int(chunk & 0x1FFF), limit - statuses.count)
            if run > 0 { statuses.append(contentsOf: repeatElement(status, count: run)) }
            return true
        }
        if chunk & 0x4000 == 0 {
            for bit in stride(from: 13, through: 0, by: -1) where statuses.count < limit {
                statuses.append(chunk & (1 << bit) != 0 ? .smallDelta : .notReceived)
            }
            return true
        }
        for shift in stride(from: 12, through: 0, by: -2) where statuses.count < limit {
            guard let status = TransportFeedback.Status(rawValue: UInt8((chunk >> shift) & 0x3)) else {
                return false
            }
            statuses.append(status)
        }
        return true
    }

    /// Encodes statuses greedily: a run-length chunk for a run of 14 or more (or of 7 or more
    /// when a large delta is within the next 14, or for the whole remainder), a 1-bit vector
    /// when the next 14 have no large delta, otherwise a 2-bit vector of 7.
    static func encode(_ statuses: [TransportFeedback.Status]) -> [UInt16] {
        var chunks: [UInt16] = []
        var index = 0
        while index < statuses.count {
            let status = statuses[index]
            let remaining = statuses.count - index
            var run = 1
            while run < min(remaining, maxRunLength), statuses[index + run] == status { run += 1 }
            let window = statuses[index..<(index + min(14, remaining))]
            let windowHasLarge = window.contains(.largeDelta)
            if run >= 14 || run == remaining || (windowHasLarge && run >= 7) {
                chunks.append(UInt16(status.rawValue) << 13 | UInt16(run))
                index += run
            } else if !windowHasLarge {
                var chunk: UInt16 = 0x8000
                for (offset, symbol) in window.enumerated() where symbol != .notReceived {
                    chunk |= 1 << (13 - offset)
                }
                chunks.append(chunk)
                index += window.count
            } else {
                var chunk: UInt16 = 0xC000
                let vector = statuses[index..<(index + min(7, remaining))]
                for (offset, symbol) in vector.enumerated() {
                    chunk |= UInt16(symbol.rawValue) << (12 - 2 * offset)
                }
                chunks.append(chunk)
                index += vector.count
            }
        }
        return chunks
    }
}
