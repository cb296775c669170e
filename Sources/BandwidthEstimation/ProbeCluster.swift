/// A burst of packets to send at `bitrate` so that its feedback measures the path: what the
/// pacer must send when the estimator asks (libwebrtc's `ProbeClusterConfig`,
/// api/transport/network_types.h).
public struct ProbeCluster: Sendable, Hashable {
    /// Identifies the cluster; pass it with each of its packets to `onPacketSent`.
    public var id: Int
    /// The rate to send the cluster at, bps.
    public var bitrate: Int
    /// Send at least this many packets…
    public var minPackets: Int
    /// …and at least this many bytes.
    public var minBytes: Int

    public init(id: Int, bitrate: Int, minPackets: Int, minBytes: Int) {
        self.id = id
        self.bitrate = bitrate
        self.minPackets = minPackets
        self.minBytes = minBytes
    }

    /// A cluster lasting `durationMicroseconds` at `bitrate`, at least 5 packets.
    public init(id: Int, bitrate: Int, durationMicroseconds: Int64 = 15_000, minPackets: Int = 5) {
        self.id = id
        self.bitrate = bitrate
        self.minPackets = minPackets
        self.minBytes = Int(Double(bitrate) * Double(durationMicroseconds) / 8_000_000)
    }
}
