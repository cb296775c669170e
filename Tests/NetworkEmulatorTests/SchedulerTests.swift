import SansIO
import Testing
@testable import NetworkEmulator

@Test func schedulerOrdersByTimeThenInsertion() {
    var scheduler = Scheduler<String>()
    scheduler.schedule("c", at: .milliseconds(5))
    scheduler.schedule("a", at: .milliseconds(1))
    scheduler.schedule("d", at: .milliseconds(5))
    scheduler.schedule("b", at: .milliseconds(1))
    #expect(scheduler.nextTime == .milliseconds(1))
    var order: [String] = []
    while let (_, event) = scheduler.popNext() { order.append(event) }
    #expect(order == ["a", "b", "c", "d"])
}
