/// A bounded first-in first-out queue between two pipeline threads. When full, a push evicts
/// the oldest element (real time: the newest picture is the one worth showing) and counts it.
/// `pop` blocks until an element arrives or the queue is closed.
final class StageQueue<Element: Sendable>: Sendable {
    private struct State: Sendable {
        var items: [Element] = []
        var head = 0
        var closed = false
        var dropped = 0
        var pushed = 0

        var count: Int { items.count - head }

        mutating func removeFirst() -> Element? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head >= 64 && head * 2 >= items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    let capacity: Int
    private let lock = ConditionLock(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Appends `element`; returns true when the oldest element was evicted to make room. A closed
    /// queue ignores the element (returns false: shutting down is not a drop).
    @discardableResult
    func push(_ element: Element) -> Bool {
        lock.update { state in
            guard !state.closed else { return false }
            var evicted = false
            if state.count >= capacity {
                evicted = state.removeFirst() != nil
                state.dropped += 1
            }
            state.items.append(element)
            state.pushed += 1
            return evicted
        }
    }

    /// The oldest elements, up to `maxCount` (at least one), waiting for one if empty. Nil once
    /// the queue is closed and empty, or at once when it was closed with `discardingPending`.
    func pop(maxCount: Int = 1) -> [Element]? {
        lock.wait { state -> [Element]?? in
            if state.count > 0 {
                var batch: [Element] = []
                while batch.count < max(1, maxCount), let item = state.removeFirst() { batch.append(item) }
                return .some(batch)
            }
            return state.closed ? .some(nil) : nil
        }
    }

    /// Stops accepting elements. Pending ones are still handed out, unless `discardingPending`.
    /// Returns how many were discarded.
    @discardableResult
    func close(discardingPending: Bool = false) -> Int {
        lock.update { state in
            state.closed = true
            guard discardingPending else { return 0 }
            let discarded = state.count
            state.items.removeAll()
            state.head = 0
            return discarded
        }
    }

    /// Elements evicted by a full queue so far.
    var dropped: Int { lock.read { $0.dropped } }
    /// Elements waiting now.
    var count: Int { lock.read { $0.count } }
}
