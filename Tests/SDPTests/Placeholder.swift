import Testing
@testable import SDP

@Test func moduleNamed() { #expect(SDPModule.name == "SDP") }
