import Testing
@testable import Media

@Test func moduleNamed() { #expect(MediaModule.name == "Media") }
