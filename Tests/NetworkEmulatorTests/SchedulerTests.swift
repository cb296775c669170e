import SansIO
import Testing
@testable import NetworkEmulator

@Suite struct SchedulerTests {
    @Test func ordersByTimeThenInsertion() {
        var scheduler = Scheduler<String>()
        scheduler.schedule("c", at: .milliseconds(5))
        scheduler.schedule("a", at: .milliseconds(1))
        scheduler.schedule("d", at: .milliseconds(5))
        scheduler.schedule("b", at: .milliseconds(1))
        #expect(scheduler.nextTime == .milliseconds(1))
        #expect(scheduler.count == 4)
        var order: [String] = []
        while let (_, event) = scheduler.popNext() { order.append(event) }
        #expect(order == ["a", "b", "c", "d"])
        #expect(scheduler.isEmpty)
    }

    @Test func matchesAStableSortOnManyTies() {
        var random = SeededRandom(seed: 5)
        var scheduler = Scheduler<Int>()
        var expected: [(Int64, Int)] = []
        for i in 0..<5000 {
            let time = Int64(random.next() % 50)
            scheduler.schedule(i, at: Instant(microseconds: time))
            expected.append((time, i))
        }
        expected.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var popped: [Int] = []
        while let (_, event) = scheduler.popNext() { popped.append(event) }
        #expect(popped == expected.map(\.1))
    }

    @Test func popNextRespectsTheLimit() {
        var scheduler = Scheduler<Int>()
        scheduler.schedule(1, at: .milliseconds(10))
        #expect(scheduler.popNext(notAfter: .milliseconds(9)) == nil)
        #expect(scheduler.popNext(notAfter: .milliseconds(10))?.event == 1)
    }

    @Test func virtualClockNeverRunsBackwards() {
        var clock = VirtualClock()
        clock.advance(to: .milliseconds(5))
        clock.advance(to: .milliseconds(2))
        #expect(clock.now == .milliseconds(5))
    }
}

/// Records when its timer fired and what arrived, in one shared log.
final class LoggingEndpoint: EmulatedEndpoint {
    let name: String
    var deadline: Instant?
    let log: EventLog
    init(_ name: String, deadline: Instant?, log: EventLog) {
        self.name = name
        self.deadline = deadline
        self.log = log
    }
    var nextDeadline: Instant? { deadline }
    func handleTimeout(now: Instant) -> [Datagram] {
        log.entries.append("\(name) timer \(now.microseconds)")
        deadline = nil
        return []
    }
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] {
        log.entries.append("\(name) got \(datagram.bytes) \(now.microseconds)")
        return []
    }
}

final class EventLog {
    var entries: [String] = []
}

/// An endpoint that never moves its deadline: the network must still progress.
final class StuckTimer: EmulatedEndpoint {
    private(set) var fired = 0
    var nextDeadline: Instant? { .zero }
    func handleTimeout(now: Instant) -> [Datagram] {
        fired += 1
        return []
    }
    func receive(_ datagram: Datagram, now: Instant) -> [Datagram] { [] }
}

@Suite struct NetworkOrderingTests {
    @Test func arrivalsComeBeforeTimersAndTimersInAttachOrder() {
        let log = EventLog()
        let network = Network()
        let second = LoggingEndpoint("b", deadline: .milliseconds(10), log: log)
        let first = LoggingEndpoint("a", deadline: .milliseconds(10), log: log)
        network.attach(second, at: Hosts.b)
        network.attach(first, at: Hosts.a)
        network.connect(from: Hosts.a.ip, to: Hosts.b.ip, LinkConfiguration(propagationDelay: .milliseconds(10)))
        network.send([Datagram(bytes: [1], from: Hosts.a, to: Hosts.b),
                      Datagram(bytes: [2], from: Hosts.a, to: Hosts.b)])
        var arrivals: [Instant] = []
        network.onArrival = { _, _, now in arrivals.append(now) }
        network.run(until: .milliseconds(20))
        #expect(log.entries == ["b got [1] 10000", "b got [2] 10000", "b timer 10000", "a timer 10000"])
        #expect(arrivals == [.milliseconds(10), .milliseconds(10)])
    }

    @Test func anEndpointThatNeverMovesItsDeadlineCannotStallTheClock() {
        let network = Network()
        let stuck = StuckTimer()
        network.attach(stuck, at: Hosts.a)
        network.run(until: Instant(microseconds: 99))
        // Fires at 0, then once per microsecond.
        #expect(stuck.fired == 100)
        #expect(network.clock.now == Instant(microseconds: 99))
    }

    @Test func timeseriesCSV() {
        let rows = [
            LinkSample(start: .zero, end: .milliseconds(200), capacityKbps: 1000, deliveredKbps: 960.5,
                       queueDelayMs: 12.25, lossCount: 2),
            LinkSample(start: .milliseconds(200), end: .milliseconds(400), capacityKbps: nil, deliveredKbps: 0,
                       queueDelayMs: nil, lossCount: 0),
        ]
        #expect(LinkSample.csv(rows) == """
            time_ms,capacity_kbps,delivered_kbps,queue_delay_ms,loss_count
            0,1000,960.5,12.25,2
            200,,0,,0

            """)
    }
}
