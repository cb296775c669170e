/// The `NetworkEmulator` module. See docs/architecture.md.
public enum NetworkEmulatorModule {
    public static let name = "NetworkEmulator"
}
