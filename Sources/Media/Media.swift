/// The `Media` module. See docs/architecture.md.
public enum MediaModule {
    public static let name = "Media"
}
