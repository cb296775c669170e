#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// NOT sans-IO: the video pipeline is the one part of Media that runs its own threads (decode,
// process and encode each on a POSIX thread, DESIGN §3 "Threads"), so that a slow frame never
// stalls the node's event loop. It still reads no clock: time comes from the injected
// `VideoPipeline.Clock`, and nothing here sleeps; threads only block on condition variables.

/// A mutex, a condition variable and the state they guard. Every `update` wakes all waiters.
///
/// `@unchecked Sendable`: `state` is only read or written between `pthread_mutex_lock` and
/// `pthread_mutex_unlock` of `mutex` (every accessor below), so threads never race on it.
final class ConditionLock<State: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var state: State

    init(_ initial: State) {
        state = initial
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deinitialize(count: 1)
        condition.deallocate()
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the state, without waking anyone.
    func read<R>(_ body: (State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(state)
    }

    /// Changes the state and wakes every waiter.
    func update<R>(_ body: (inout State) -> R) -> R {
        pthread_mutex_lock(mutex)
        defer {
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        return body(&state)
    }

    /// Blocks until `ready` returns a value (it may change the state; waiters are woken when it
    /// does return one).
    func wait<R>(until ready: (inout State) -> R?) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let result = ready(&state) {
                pthread_cond_broadcast(condition)
                return result
            }
            pthread_cond_wait(condition, mutex)
        }
    }
}

/// A joinable POSIX thread running one closure.
final class StageThread {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    #if canImport(Glibc)
    private var handle = pthread_t()
    #else
    private var handle: pthread_t?
    #endif
    private var joined = false

    /// Starts the thread; returns nil when the system refuses (out of threads).
    init?(_ run: @escaping @Sendable () -> Void) {
        let body = Unmanaged.passRetained(Body(run)).toOpaque()
        let status = pthread_create(&handle, nil, { argument in
            guard let argument else { return nil }
            let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
            body.run()
            return nil
        }, body)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(body).release()
            return nil
        }
    }

    /// Waits for the closure to return (once; later calls return at once).
    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Glibc)
        pthread_join(handle, nil)
        #else
        if let handle { pthread_join(handle, nil) }
        #endif
    }
}
