import Testing
@testable import RTP

@Test func moduleNamed() { #expect(RTPModule.name == "RTP") }
