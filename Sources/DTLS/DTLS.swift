/// The `DTLS` module. See docs/architecture.md.
public enum DTLSModule {
    public static let name = "DTLS"
}
