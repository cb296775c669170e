/// The `RTP` module. See docs/architecture.md.
public enum RTPModule {
    public static let name = "RTP"
}
