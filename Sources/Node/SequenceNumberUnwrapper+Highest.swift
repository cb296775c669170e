import RTP

extension SequenceNumberUnwrapper {
    /// Unwraps `sequence` against the highest sequence number seen so far: reordered or
    /// retransmitted packets are placed relative to it but never move it back.
    mutating func unwrapAgainstHighest(_ sequence: UInt16) -> Int64 {
        let value = unwrap(sequence, updating: false)
        if value > (last ?? .min) { _ = unwrap(sequence) }
        return value
    }
}
