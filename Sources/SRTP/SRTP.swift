/// The `SRTP` module. See docs/architecture.md.
public enum SRTPModule {
    public static let name = "SRTP"
}
