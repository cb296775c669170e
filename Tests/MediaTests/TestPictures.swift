@testable import Media

/// Deterministic noise-like samples (an LCG), so the test pictures have detail and overshoot.
func pseudoRandomPlane(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
}

func pseudoRandomFrame(width: Int, height: Int, seed: UInt64) -> I420Frame {
    var frame = I420Frame(width: width, height: height, timestamp: 1234)
    frame.y = pseudoRandomPlane(frame.y.count, seed: seed)
    frame.u = pseudoRandomPlane(frame.u.count, seed: seed &+ 1)
    frame.v = pseudoRandomPlane(frame.v.count, seed: seed &+ 2)
    return frame
}
