/// The `BandwidthEstimation` module. See docs/architecture.md.
public enum BandwidthEstimationModule {
    public static let name = "BandwidthEstimation"
}
