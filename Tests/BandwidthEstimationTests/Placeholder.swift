import Testing
@testable import BandwidthEstimation

@Test func moduleNamed() { #expect(BandwidthEstimationModule.name == "BandwidthEstimation") }
