/// The `SDP` module. See docs/architecture.md.
public enum SDPModule {
    public static let name = "SDP"
}
