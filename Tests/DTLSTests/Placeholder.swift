import Testing
@testable import DTLS

@Test func moduleNamed() { #expect(DTLSModule.name == "DTLS") }
