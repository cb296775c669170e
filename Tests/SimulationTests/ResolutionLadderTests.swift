import Peer
import SansIO
import Testing

@Test func ladderStartsFromTheStartBitrateAndKeepsTheAspectRatio() {
    let ladder = ResolutionLadder(width: 1280, height: 720, startBitrate: 300_000)
    #expect(ladder.rungs.map(\.width) == [320, 480, 640, 960, 1280])
    #expect(ladder.rungs.map(\.height) == [180, 270, 360, 540, 720])
    #expect(ladder.size.width == 640)
    #expect(ResolutionLadder(width: 1280, height: 720, startBitrate: 2_000_000).size.width == 1280)
    // A source smaller than every rung is its own only rung.
    #expect(ResolutionLadder(width: 160, height: 90, startBitrate: 10_000).rungs.map(\.width) == [160])
}

@Test func ladderStepsDownAtOnceAndUpAfterThreeSeconds() {
    var ladder = ResolutionLadder(width: 1280, height: 720, startBitrate: 1_000_000)
    #expect(ladder.size.width == 1280)
    // Below 85 % of 900 kbps: down to the largest rung the target allows.
    #expect(ladder.update(target: 400_000, now: .seconds(1)).width == 640)
    // Slightly below a rung's start but above 85 %: stays.
    #expect(ladder.update(target: 290_000, now: .seconds(2)).width == 640)
    // A higher target must hold for 3 s before each step up.
    #expect(ladder.update(target: 2_000_000, now: .seconds(3)).width == 640)
    #expect(ladder.update(target: 2_000_000, now: .seconds(5.9)).width == 640)
    #expect(ladder.update(target: 2_000_000, now: .seconds(6)).width == 960)
    // The next step waits its own 3 s from the first update that allowed it.
    #expect(ladder.update(target: 2_000_000, now: .seconds(9)).width == 960)
    #expect(ladder.update(target: 2_000_000, now: .seconds(12)).width == 1280)
}
