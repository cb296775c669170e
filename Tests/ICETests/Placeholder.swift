import Testing
@testable import ICE

@Test func moduleNamed() { #expect(ICEModule.name == "ICE") }
