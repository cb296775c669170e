import Foundation
import Media
import Simulation
import Testing

@Suite struct ScenarioTests {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func write(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "scenario-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func sameSeedGivesIdenticalSummaries() throws {
        let path = try write("""
            duration_s: 8
            seed: 5
            source: {synthetic: paced}
            uplink: {capacity_kbps: 800, delay_ms: 40, loss: 0.01, queue_ms: 200}
            downlink: {capacity_kbps: 5000, delay_ms: 10}
            """)
        let s = try Scenario.load(path: path)
        let a = try ScenarioRunner.run(s, name: "d")
        let b = try ScenarioRunner.run(s, name: "d")
        #expect(a.summary == b.summary)
        #expect(a.csv == b.csv)
        #expect(a.summary.framesSent > 200 && a.summary.framesReceived > 0)
        #expect(a.rows.count == 40)
    }

    @Test func rfc8867Case51MeetsItsDelayBoundAndRampsUp() throws {
        var s = try Scenario.load(path: repo.appendingPathComponent("Simulations/rfc8867-5.1.yaml").path)
        s.source = .paced  // libvpx at 720p for 100 s is for release builds (Simulations/run-all)
        let r = try ScenarioRunner.run(s, name: "rfc8867-5.1")
        // Recorded in docs/benchmarks.md; the issue's full targets (utilization ≥ 0.85, ramp-up ≤ 4 s)
        // are checked by the benchmark script, not here.
        #expect(r.summary.delayP95Ms <= 150)
        #expect(r.summary.utilization > 0.7)
        #expect(r.summary.rampupS.first.flatMap { $0 }.map { $0 < 10 } ?? false)
    }

    @Test(arguments: ["opennetlab-4G_500kbps", "opennetlab-WIRED_200kbps"])
    func openNetLabTracesMeetTheIssuesTargetsWithThePacedPublisher(_ name: String) throws {
        var s = try Scenario.load(path: repo.appendingPathComponent("Simulations/\(name).yaml").path)
        s.source = .paced  // the encoded publisher's figures come from Simulations/run-all (release)
        let r = try ScenarioRunner.run(s, name: name)
        #expect(r.summary.utilization >= 0.75)
        #expect(r.summary.delayP95Ms <= 300)
    }

    @Test func congestionWindowPushesTheSenderBackAfterACapacityDrop() throws {
        let path = try write("""
            duration_s: 12
            source: {synthetic: paced}
            publisher: {start_kbps: 300}
            uplink: {capacity_kbps: 1000, steps: [{at_s: 6, kbps: 200}], delay_ms: 50, queue_ms: 300}
            """)
        let r = try ScenarioRunner.run(try Scenario.load(path: path), name: "cwnd")
        // The queue behind the ×0.2 drop fills the congestion window: the publisher sends well
        // under its own estimate (frames skipped) until the queue has drained.
        let after = r.rows.filter { $0.timeS > 6 && $0.timeS <= 8 }
        #expect(after.contains { $0.sentKbps < $0.estimateKbps / 2 })
        #expect(after.contains { $0.timeS <= 7.2 && ($0.queueDelayMs ?? 0) < 50 })
        #expect(r.summary.framesSent < 12 * 30 - 6)
    }

    @Test func encodedPublisherIsDeterministicAndAnswersKeyframeRequests() throws {
        let path = try write("""
            duration_s: 4
            seed: 3
            source: {synthetic: scene}
            publisher: {codec: vp8, width: 320, height: 180, fps: 15, start_kbps: 200}
            uplink: {capacity_kbps: 600, delay_ms: 30, queue_ms: 200}
            """)
        let s = try Scenario.load(path: path)
        let a = try ScenarioRunner.run(s, name: "e")
        let b = try ScenarioRunner.run(s, name: "e")
        #expect(a.summary == b.summary)
        #expect(a.csv == b.csv)
        #expect(a.summary.framesSent >= 50 && a.summary.framesReceived >= 40)
    }

    @Test(arguments: [
        ("uplink: {capacity_kbps: 1000}\n", "duration_s"),
        ("duration_s: 10\n", "uplink"),
        ("duration_s: 10\nuplink: {delay_ms: 5}\n", "capacity_kbps"),
        ("duration_s: ten\nuplink: {capacity_kbps: 1}\n", "duration_s"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, loss: 3}\n", "uplink.loss"),
        ("duration_s: 10\nsource: {synthetic: cats}\nuplink: {capacity_kbps: 1}\n", "source"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, delay_msec: 50}\n", "uplink.delay_msec: unknown key"),
        ("duration_s: 10\nduration: 5\nuplink: {capacity_kbps: 1}\n", "duration: unknown key"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, steps: [{at: 1, kbps: 2}]}\n", "uplink.steps[0].at: unknown key"),
        ("duration_s: 10\npublisher: {codec: h264}\nuplink: {capacity_kbps: 1}\n", "publisher"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, gilbert_elliott: {p: 2, r: 0.1}}\n", "uplink.gilbert_elliott.p"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, gilbert_elliott: {p: 0.1}}\n", "uplink.gilbert_elliott.r"),
        ("duration_s: 10\nuplink: {capacity_kbps: 1, cross_traffic: {kbps: 10, packet_size: 9}}\n", "uplink.cross_traffic.packet_size"),
        ("duration_s: 10\npublishers: 2\npauses: [{publisher: 3, at_s: 1, resume_s: 2}]\nuplink: {capacity_kbps: 1}\n", "pauses"),
    ])
    func badScenarioNamesTheField(_ yaml: String, _ field: String) throws {
        let path = try write(yaml)
        #expect {
            try Scenario.load(path: path)
        } throws: { error in
            "\(error)".contains(field)
        }
    }

    @Test func burstyLossAndCrossTrafficShareTheUplink() throws {
        let path = try write("""
            duration_s: 12
            source: {synthetic: paced}
            uplink: {capacity_kbps: 2000, delay_ms: 30, queue_ms: 200, gilbert_elliott: {p: 0.01, r: 0.3},
                     cross_traffic: {kbps: 1500, start_s: 6}}
            """)
        let r = try ScenarioRunner.run(try Scenario.load(path: path), name: "x")
        // Bursty loss shows up as loss; 1.5 of 2 Mbps taken by cross traffic from 6 s pulls the
        // publisher's estimate under the 500 kbps left within a few seconds.
        #expect(r.summary.lossRate > 0.01)
        #expect(r.rows.last.map { $0.estimateKbps < 700 } == true)
    }

    @Test func pausedPublisherLeavesItsShareToTheOthers() throws {
        let path = try write("""
            duration_s: 30
            source: {synthetic: paced}
            publisher: {start_kbps: 150, max_kbps: 1500}
            publishers: 2
            pauses: [{publisher: 2, at_s: 5, resume_s: 30}]
            uplink: {capacity_kbps: 2000, delay_ms: 20, queue_ms: 300}
            """)
        let r = try ScenarioRunner.run(try Scenario.load(path: path), name: "p")
        #expect(r.summary.flows.count == 2)
        let (one, two) = (r.summary.flows[0], r.summary.flows[1])
        #expect(one.framesSent > 3 * two.framesSent)
        #expect(one.meanKbps > 2 * two.meanKbps)
        #expect(r.rows.last?.flowEstimatesKbps.count == 2)
        #expect(r.csv.hasPrefix("time_s,capacity_kbps,estimate_kbps,sent_kbps,delivered_kbps,queue_delay_ms,losses,remb_kbps,estimate1_kbps,estimate2_kbps\n"))
    }

    @Test func y4mClipIsEncodedAndLooped() throws {
        let clip = NSTemporaryDirectory() + "clip-\(UUID().uuidString).y4m"
        let scene = SyntheticScene(width: 160, height: 90, fps: 15)
        let bytes = try Y4MWriter.serialize(header: Y4MHeader(width: 160, height: 90, frameRate: Y4MRatio(15, 1)),
                                            frames: (0..<8).map { scene.frame($0) })
        try Data(bytes).write(to: URL(fileURLWithPath: clip))
        let path = try write("""
            duration_s: 3
            source: {file: \(clip)}
            publisher: {codec: vp8, width: 160, height: 90, fps: 15, start_kbps: 150}
            uplink: {capacity_kbps: 1000, delay_ms: 20, queue_ms: 200}
            """)
        let r = try ScenarioRunner.run(try Scenario.load(path: path), name: "clip")
        // 45 frames from an 8-frame clip: it loops.
        #expect(r.summary.framesSent >= 40 && r.summary.framesReceived >= 30)
    }

    @Test func missingClipNamesTheFile() throws {
        let path = try write("duration_s: 1\nsource: {file: no-such-clip.y4m}\nuplink: {capacity_kbps: 100}\n")
        let s = try Scenario.load(path: path)
        #expect {
            try ScenarioRunner.run(s, name: "t")
        } throws: { error in
            "\(error)".contains("no-such-clip.y4m")
        }
    }

    @Test func unreadableTraceNamesTheFile() throws {
        let path = try write("duration_s: 1\nuplink: {trace: does-not-exist.json}\n")
        let s = try Scenario.load(path: path)
        #expect {
            try ScenarioRunner.run(s, name: "t")
        } throws: { error in
            "\(error)".contains("does-not-exist.json")
        }
    }
}
