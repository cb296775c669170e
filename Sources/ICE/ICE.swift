/// The `ICE` module. See docs/architecture.md.
public enum ICEModule {
    public static let name = "ICE"
}
