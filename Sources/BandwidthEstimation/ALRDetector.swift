public import SansIO

/// Detects the application-limited region: the sender uses less than 65 % of the estimate,
/// so acknowledged throughput says little about capacity. As libwebrtc's `AlrDetector`
/// (modules/congestion_controller/goog_cc/alr_detector.cc) over an interval budget.
///
/// A budget fills at 65 % of the estimate and empties by the bytes sent, bounded to ± the
/// budget of a 500 ms window. ALR starts when more than 80 % of the window's budget is unused
/// and ends when less than 50 % is.
public struct ALRDetector: Sendable {
    public static let bandwidthUsageRatio = 0.65
    static let startBudgetRatio = 0.80
    static let stopBudgetRatio = 0.50
    static let windowMicroseconds: Int64 = 500_000

    private var targetRateBps: Double = 0
    private var bytesRemaining: Double = 0
    private var lastSend: Int64?
    /// When the current ALR period began, nil outside ALR.
    public private(set) var alrStartTime: Instant?

    public init(estimate: Int) { setEstimate(estimate) }

    public var inALR: Bool { alrStartTime != nil }

    private var maxBytes: Double { targetRateBps * Double(Self.windowMicroseconds) / 8_000_000 }

    public mutating func setEstimate(_ bitrate: Int) {
        targetRateBps = Double(max(0, bitrate)) * Self.bandwidthUsageRatio
        bytesRemaining = min(max(-maxBytes, bytesRemaining), maxBytes)
    }

    /// Records a sent packet.
    public mutating func onBytesSent(_ size: Int, at time: Instant) {
        let now = time.microseconds
        guard let last = lastSend else {
            lastSend = now
            return
        }
        let elapsed = max(0, now &- last)
        lastSend = max(last, now)
        bytesRemaining = max(bytesRemaining - Double(max(0, size)), -maxBytes)
        bytesRemaining = min(bytesRemaining + targetRateBps * Double(elapsed) / 8_000_000, maxBytes)
        guard maxBytes > 0 else { return }
        let ratio = bytesRemaining / maxBytes
        if ratio > Self.startBudgetRatio, alrStartTime == nil {
            alrStartTime = time
        } else if ratio < Self.stopBudgetRatio, alrStartTime != nil {
            alrStartTime = nil
        }
    }
}
