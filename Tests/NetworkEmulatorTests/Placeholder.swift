import Testing
@testable import NetworkEmulator

@Test func moduleNamed() { #expect(NetworkEmulatorModule.name == "NetworkEmulator") }
