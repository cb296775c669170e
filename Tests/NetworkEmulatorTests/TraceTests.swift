import Foundation
import SansIO
import Testing
@testable import NetworkEmulator

/// `../shared/traces` beside the repository root (this file is
/// Tests/NetworkEmulatorTests/TraceTests.swift).
let sharedTraces = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("../shared/traces").standardizedFileURL
let wired200 = sharedTraces.appendingPathComponent("opennetlab/WIRED_200kbps.json").path
let haveSharedTraces = FileManager.default.fileExists(atPath: wired200)

@Suite struct MahimahiTraceTests {
    @Test func parsesOpportunitiesAndPeriod() throws {
        let trace = try MahimahiTrace.parse(text: "5\n5\n10\n\n20\n")
        #expect(trace.opportunitiesMs == [5, 5, 10, 20])
        #expect(trace.periodMs == 20)
        #expect(trace.averageKbps == 2400)  // 4 × 1500 B per 20 ms
    }

    @Test func overloadedLinkDeliversExactlyTheOpportunities() throws {
        let trace = try MahimahiTrace.parse(text: "5\n5\n10\n20\n")
        // 1500-byte packets every 1 ms (12 Mbps) keep the queue full.
        let (network, id, _, sink) = oneWay(LinkConfiguration(capacity: .mahimahi(trace)), kbps: 12_000, size: 1500)
        network.run(until: .seconds(1))
        // (0, 1000] ms holds 50 periods of 4 opportunities.
        #expect(sink.bytes == 200 * 1500)
        #expect(sink.arrivals.first?.time == .milliseconds(5))
        #expect(sink.arrivals.dropFirst().first?.time == .milliseconds(5))
        #expect(sink.arrivals.last?.time == .seconds(1))
        let row = network.samples(id)[1]
        #expect(row.capacityKbps == 2400)
        #expect(row.deliveredKbps == 2400)
    }

    @Test func smallPacketsShareAnOpportunityButLeftoversExpire() throws {
        let trace = try MahimahiTrace.parse(text: "10\n20\n30\n")
        var link = Link(LinkConfiguration(capacity: .mahimahi(trace)))
        // Both wait for the 10 ms opportunity and fit into its 1500 bytes.
        #expect(link.send(size: 700, now: .zero) == .deliver(at: .milliseconds(10), queueDelay: .zero))
        #expect(link.send(size: 700, now: .zero)
            == .deliver(at: .milliseconds(10), queueDelay: .milliseconds(10)))
        // Arriving after 10 ms, the 100 bytes left then are gone: it takes the 20 ms one.
        #expect(link.send(size: 100, now: .milliseconds(11)) == .deliver(at: .milliseconds(20), queueDelay: .zero))
        // 3000 bytes need two opportunities: 30 ms, then 40 ms (10 ms of the next period).
        #expect(link.send(size: 3000, now: .milliseconds(21))
            == .deliver(at: .milliseconds(40), queueDelay: .zero))
    }

    @Test(arguments: [
        ("10\n20\nabc\n", TraceError.line(file: "bad.trace", line: 3,
                                          message: "'abc' is not a whole number of milliseconds")),
        ("10\n5\n", TraceError.line(file: "bad.trace", line: 2,
                                    message: "timestamp 5 is earlier than the previous one (10)")),
        ("1\n-4\n", TraceError.line(file: "bad.trace", line: 2, message: "timestamp -4 is negative")),
        ("5\n99999999999999\n", TraceError.line(file: "bad.trace", line: 2,
                                                 message: "timestamp 99999999999999 is too large")),
        ("12.5\n", TraceError.line(file: "bad.trace", line: 1,
                                   message: "'12.5' is not a whole number of milliseconds")),
        ("\n\n", TraceError.structure(file: "bad.trace", message: "no delivery opportunities")),
        ("0\n0\n", TraceError.structure(file: "bad.trace",
                                        message: "the last timestamp must be above 0 ms (it is the repetition period)")),
    ])
    func badTracesNameTheFileAndLine(text: String, expected: TraceError) {
        #expect(throws: expected) { try MahimahiTrace.parse(text: text, name: "bad.trace") }
    }

    @Test func loadNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("loupe-emu-\(UInt32.random(in: 0...UInt32.max)).up")
        try Data("1\n2\nx2\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try MahimahiTrace.load(path: url.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "\(url.lastPathComponent): line 3: 'x2' is not a whole number of milliseconds")
        }
        #expect(throws: TraceError.self) { try MahimahiTrace.load(path: url.path + ".missing") }
    }
}

@Suite struct SegmentTraceTests {
    @Test(.enabled(if: haveSharedTraces, "shared traces not found at ../shared/traces beside the repository"))
    func wired200kbpsLoads() throws {
        let trace = try SegmentTrace.load(path: wired200)
        #expect(trace.segments.count == 412)
        #expect(trace.segments[0] == .init(durationMs: 529, capacityKbps: 236, loss: 0, jitterMs: 0))
        #expect(trace.segments[1].capacityKbps == 246)
        let (segment, remaining) = trace.segment(atOffsetUs: 529_000 + 10_000)
        #expect(segment.capacityKbps == 246)
        #expect(remaining == 520_000)
    }

    @Test(.enabled(if: haveSharedTraces, "shared traces not found at ../shared/traces beside the repository"))
    func everySharedTraceLoads() throws {
        let root = sharedTraces.appendingPathComponent("opennetlab")
        let files = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 19)
        for file in files {
            let trace = try SegmentTrace.load(path: root.appendingPathComponent(file).path)
            #expect(trace.periodUs > 0, "\(file)")
        }
    }

    @Test(.enabled(if: haveSharedTraces, "shared traces not found at ../shared/traces beside the repository"))
    func saturatedWired200kbpsDeliversTheTraceCapacity() throws {
        let trace = try SegmentTrace.load(path: wired200)
        let config = LinkConfiguration(capacity: .segments(trace), queueLimit: .milliseconds(500))
        let (network, id, _, _) = oneWay(config, kbps: 600, size: 500)
        network.run(until: .seconds(30))
        let samples = network.samples(id)
        let capacity = samples.dropFirst(5).compactMap(\.capacityKbps).reduce(0, +)
        let delivered = samples.dropFirst(5).map(\.deliveredKbps).reduce(0, +)
        #expect(capacity > 0)
        #expect(abs(delivered / capacity - 1) < 0.03, "utilization \(delivered / capacity)")
        #expect(network.link(id).statistics.dropped(.queueFull) > 0)
    }

    @Test func segmentTraceDrivesCapacityLossAndDelay() throws {
        let text = """
        {"uplink": {"trace_pattern": [
          {"duration": 1000, "capacity": 500, "loss": 0, "rtt": 100},
          {"duration": 1000, "capacity": 200000, "loss": 0.5, "rtt": 0}
        ]}}
        """
        let trace = try SegmentTrace.parse(text: text)
        #expect(trace.segments[1].capacityKbps == nil, "above 100000 kbps means unlimited")
        var link = Link(LinkConfiguration(capacity: .segments(trace), traceStart: .zero,
                                          propagationDelay: .milliseconds(7)))
        // Segment 0: 1000 bytes at 500 kbps = 16 ms, then rtt / 2 = 50 ms.
        #expect(link.send(size: 1000, now: .zero) == .deliver(at: .milliseconds(66), queueDelay: .zero))
        #expect(link.capacityKbps(at: .milliseconds(999)) == 500)
        #expect(link.capacityKbps(at: .milliseconds(1000)) == nil)
        #expect(link.capacityKbps(at: .milliseconds(2500)) == 500, "the pattern repeats")
        // Segment 1: unlimited, the configured 7 ms delay, half the packets lost.
        var lost = 0
        for i in 0..<1000 {
            switch link.send(size: 100, now: .milliseconds(1000) + .microseconds(Int64(i))) {
            case .drop(.randomLoss): lost += 1
            case let .deliver(at, _): #expect(at == .milliseconds(1007) + .microseconds(Int64(i)))
            case .drop: Issue.record("unexpected drop")
            }
        }
        #expect(abs(lost - 500) < 60)
    }

    @Test(arguments: [
        (#"{"uplink": {"trace_pattern": [{"duration": 5, "capacity": 1}, {"duration": 5, "capacity": "abc"}]}}"#,
         "t.json: segment 1: 'capacity' is not a number"),
        (#"{"uplink": {"trace_pattern": [{"capacity": 100}]}}"#, "t.json: segment 0: 'duration' is missing"),
        (#"{"uplink": {"trace_pattern": [{"duration": 5, "capacity": 1, "loss": 2}]}}"#,
         "t.json: segment 0: 'loss' is above 1 (2.0)"),
        (#"{"uplink": {"trace_pattern": [{"duration": -5, "capacity": 1}]}}"#,
         "t.json: segment 0: 'duration' is negative (-5.0)"),
        (#"{"uplink": {"trace_pattern": [{"duration": 5, "capacity": 1, "rtt": true}]}}"#,
         "t.json: segment 0: 'rtt' is not a number"),
        (#"{"uplink": {"trace_pattern": [{"duration": 1e300, "capacity": 1}]}}"#,
         "t.json: segment 0: 'duration' is too long (1e+300 ms)"),
        (#"{"uplink": {"trace_pattern": [7]}}"#, "t.json: segment 0: is not an object"),
        (#"{"uplink": {"trace_pattern": []}}"#, "t.json: 'uplink.trace_pattern' has no segments"),
        (#"{"uplink": {"trace_pattern": [{"duration": 0, "capacity": 1}]}}"#,
         "t.json: the segments' total duration is 0 ms"),
        (#"{"downlink": {}}"#, "t.json: no 'uplink' object"),
        (#"{"uplink": {}}"#, "t.json: 'uplink.trace_pattern' is missing or not a list"),
        (#"{"uplink": "#, "t.json: not valid JSON"),
        ("[1, 2]", "t.json: the top level is not an object"),
    ])
    func badSegmentTracesNameFileSegmentAndField(text: String, message: String) {
        do {
            _ = try SegmentTrace.parse(text: text, name: "t.json")
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func zeroCapacitySegmentsHoldPacketsAndAllZeroDropsThem() throws {
        let gap = try SegmentTrace.parse(text: """
            {"uplink": {"trace_pattern": [{"duration": 100, "capacity": 0}, {"duration": 100, "capacity": 800}]}}
            """)
        var link = Link(LinkConfiguration(capacity: .segments(gap)))
        // Nothing moves until 100 ms; 1000 bytes at 800 kbps then take 10 ms.
        #expect(link.send(size: 1000, now: .milliseconds(20))
            == .deliver(at: .milliseconds(110), queueDelay: .zero))
        let dead = try SegmentTrace.parse(text: """
            {"uplink": {"trace_pattern": [{"duration": 100, "capacity": 0}, {"duration": 50, "capacity": 0}]}}
            """)
        var deadLink = Link(LinkConfiguration(capacity: .segments(dead)))
        #expect(deadLink.send(size: 10, now: .zero) == .drop(.noCapacity))
        #expect(deadLink.statistics.dropped(.noCapacity) == 1)
    }

    @Test func traceStartShiftsThePattern() throws {
        let trace = try SegmentTrace.parse(text: """
            {"uplink": {"trace_pattern": [{"duration": 1000, "capacity": 100}, {"duration": 1000, "capacity": 300}]}}
            """)
        let link = Link(LinkConfiguration(capacity: .segments(trace), traceStart: .milliseconds(500)))
        #expect(link.capacityKbps(at: .milliseconds(1499)) == 100)
        #expect(link.capacityKbps(at: .milliseconds(1500)) == 300)
        #expect(link.capacityKbps(at: .milliseconds(499)) == 300, "before the start: the previous period's end")
        #expect(link.averageCapacityKbps(from: .milliseconds(1000), to: .milliseconds(2000)) == 200)
    }
}
