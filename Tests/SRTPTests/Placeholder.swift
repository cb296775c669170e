import Testing
@testable import SRTP

@Test func moduleNamed() { #expect(SRTPModule.name == "SRTP") }
