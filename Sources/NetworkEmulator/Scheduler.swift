public import SansIO

/// The emulator's clock: virtual time that only moves when the network
/// advances it from one event to the next. Nothing in the emulator reads the
/// wall clock or sleeps, so a ten-minute scenario runs as fast as the CPU allows
/// and gives the same result every time.
public struct VirtualClock: Sendable {
    /// The current virtual time.
    public private(set) var now: Instant

    public init(start: Instant = .zero) { now = start }

    /// Moves the clock forward to `instant`; moving backwards is ignored, so
    /// time never runs backwards for an endpoint.
    public mutating func advance(to instant: Instant) {
        if instant > now { now = instant }
    }
}

/// A discrete-event queue ordered by time, with ties broken by insertion order.
///
/// The tie-break is what makes simulations bit-identical: two events scheduled
/// for the same microsecond always come out in the order they went in, never
/// in an order that depends on the heap's layout.
public struct Scheduler<Event> {
    private struct Entry {
        var time: Instant
        var sequence: UInt64
        var event: Event

        func precedes(_ other: Entry) -> Bool {
            time != other.time ? time < other.time : sequence < other.sequence
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    /// The number of pending events.
    public var count: Int { heap.count }
    /// `true` when no event is pending.
    public var isEmpty: Bool { heap.isEmpty }
    /// The time of the earliest pending event.
    public var nextTime: Instant? { heap.first?.time }

    /// Adds `event` to fire at `time`. Events at equal times fire in the order
    /// they were scheduled.
    public mutating func schedule(_ event: Event, at time: Instant) {
        heap.append(Entry(time: time, sequence: nextSequence, event: event))
        nextSequence &+= 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest event, if its time is not after `limit`.
    public mutating func popNext(notAfter limit: Instant) -> (time: Instant, event: Event)? {
        guard let first = heap.first, first.time <= limit else { return nil }
        return popNext()
    }

    /// Removes and returns the earliest event.
    public mutating func popNext() -> (time: Instant, event: Event)? {
        guard let first = heap.first else { return nil }
        if let last = heap.popLast(), !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (first.time, first.event)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < heap.count, heap[left].precedes(heap[best]) { best = left }
            if right < heap.count, heap[right].precedes(heap[best]) { best = right }
            if best == parent { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
