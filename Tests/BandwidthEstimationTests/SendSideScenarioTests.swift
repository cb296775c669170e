import Testing
import SansIO
@testable import BandwidthEstimation

private func link(_ capacity: @escaping (Int64) -> Double, delayMs: Int64 = 50, loss: Double = 0) -> BottleneckLink {
    BottleneckLink(capacity: capacity, propagationDelay: delayMs * 1000, lossRate: loss)
}

@Test func rampsUpTo1000kbpsLink() {
    var scenario = SendSideScenario(start: 300_000, link: link({ _ in 1_000_000 }))
    scenario.run(until: 30_000_000)
    let reached = scenario.firstTime(atLeast: 850_000)
    print("1000 kbps: reached 850 kbps at \(reached.map { Double($0) / 1e6 } ?? -1) s, max after \(scenario.maxTarget(from: reached ?? 0))")
    #expect(reached.map { $0 <= 10_000_000 } == true)
    #expect(scenario.maxTarget(from: reached ?? 0) <= 1_100_000)
    // Steady state (10–30 s): the mean target uses the link without exceeding it.
    let steady = scenario.trace.filter { $0.time >= 10_000_000 }.map { Double($0.target) }
    let mean = steady.reduce(0, +) / Double(steady.count)
    print("1000 kbps: mean target 10–30 s \(Int(mean)), min \(Int(steady.min() ?? 0))")
    #expect(mean >= 800_000 && mean <= 1_000_000)
    #expect((steady.min() ?? 0) >= 700_000)
}

@Test func dropsBelowNewCapacityWithinTwoSeconds() {
    var scenario = SendSideScenario(start: 300_000, link: link({ $0 < 15_000_000 ? 1_000_000 : 600_000 }))
    scenario.run(until: 20_000_000)
    let below = scenario.firstTime(below: 600_000, from: 15_000_000)
    print("1000 → 600 kbps at 15 s: below 600 kbps at \(below.map { Double($0) / 1e6 } ?? -1) s")
    #expect(below.map { $0 <= 17_000_000 } == true)
    // And it does not collapse: it recovers toward the new capacity.
    #expect(scenario.maxTarget(from: 18_000_000) >= 450_000)
    #expect(scenario.maxTarget(from: 18_000_000) <= 700_000)
}

@Test func rampsUpAfterCapacityStepTo2500kbps() {
    var scenario = SendSideScenario(start: 300_000, link: link({ $0 < 15_000_000 ? 1_000_000 : 2_500_000 }))
    scenario.run(until: 25_000_000)
    let reached = scenario.firstTime(atLeast: 2_250_000, from: 15_000_000)
    print("1000 → 2500 kbps at 15 s: reached 2250 kbps at \(reached.map { Double($0) / 1e6 } ?? -1) s, "
        + "max after \(scenario.maxTarget(from: 15_000_000))")
    #expect(reached.map { $0 <= 20_000_000 } == true)
    #expect(scenario.maxTarget(from: 15_000_000) <= 2_750_000)
}

@Test func rampsUpFromStartOn2500kbpsLink() {
    var scenario = SendSideScenario(start: 300_000, link: link({ _ in 2_500_000 }))
    scenario.run(until: 10_000_000)
    let reached = scenario.firstTime(atLeast: 2_250_000)
    print("2500 kbps from start: reached 2250 kbps at \(reached.map { Double($0) / 1e6 } ?? -1) s")
    #expect(reached.map { $0 <= 5_000_000 } == true)
    #expect(scenario.maxTarget(from: 0) <= 2_750_000)
}

@Test func heavyRandomLossPullsTheEstimateDown() {
    // A 10 Mbps link (no delay signal) with 15 % random loss; the cap is 2 Mbps.
    var scenario = SendSideScenario(start: 1_000_000, max: 2_000_000, link: link({ _ in 10_000_000 }, loss: 0.15))
    scenario.run(until: 10_000_000)
    print("15 % loss: target at 10 s \(scenario.estimator.target), loss \(scenario.estimator.lossBased.lastLossFraction)")
    #expect(scenario.estimator.target < 500_000)
    #expect(scenario.estimator.lossBased.lastLossFraction > 0.10)
}

@Test func lightRandomLossDoesNot() {
    var scenario = SendSideScenario(start: 1_000_000, max: 2_000_000, link: link({ _ in 10_000_000 }, loss: 0.01))
    scenario.run(until: 10_000_000)
    print("1 % loss: target at 10 s \(scenario.estimator.target)")
    #expect(scenario.estimator.target >= 1_800_000)
}
