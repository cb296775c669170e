/// A `[1, channels, height, width]` tensor of f32 values, row-major (NCHW with N = 1).
public struct FeatureMap: Sendable, Hashable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var values: [Float]

    /// A map filled with `value`.
    public init(channels: Int, height: Int, width: Int, repeating value: Float = 0) {
        self.channels = max(0, channels)
        self.height = max(0, height)
        self.width = max(0, width)
        values = [Float](repeating: value, count: self.channels * self.height * self.width)
    }

    /// A map over existing values; nil when the count is not channels × height × width.
    public init?(channels: Int, height: Int, width: Int, values: [Float]) {
        guard channels >= 0, height >= 0, width >= 0, values.count == channels * height * width else { return nil }
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    @inline(__always)
    public subscript(channel: Int, y: Int, x: Int) -> Float {
        get { values[(channel * height + y) * width + x] }
        set { values[(channel * height + y) * width + x] = newValue }
    }

    /// The largest absolute difference to `other` (infinity when the shapes differ).
    public func maximumDifference(to other: FeatureMap) -> Float {
        guard channels == other.channels, height == other.height, width == other.width else { return .infinity }
        var largest: Float = 0
        for i in values.indices { largest = max(largest, abs(values[i] - other.values[i])) }
        return largest
    }
}
