public import SansIO

/// Groups packets into send-time groups and produces the deltas between consecutive groups,
/// as libwebrtc's `InterArrivalDelta` (modules/congestion_controller/goog_cc/
/// inter_arrival_delta.cc) and draft-ietf-rmcat-gcc-02 §5.2 describe.
///
/// A group is the packets sent within 5 ms of the group's first packet; packets that arrive
/// back to back (a burst: less than 5 ms apart, earlier than their send spacing predicts,
/// and within 100 ms of the group's first arrival) join the current group too, since the
/// network clumped them. When a new group starts, the previous complete group and the one
/// before it give a send-time delta (last send times), an arrival-time delta (last arrival
/// times) and a size delta.
///
/// Bad input: a packet sent before the current group's first packet (reordered) is ignored;
/// three consecutive negative arrival deltas, or an arrival delta that outruns the local
/// (system) clock by 3 s or more (a receiver clock jump), reset the state. Times may go
/// backwards or jump; nothing traps.
public struct InterArrival: Sendable {
    /// The deltas between two consecutive groups.
    public struct Deltas: Sendable, Hashable {
        /// Last send time of the newer group minus that of the older one, in microseconds.
        public var sendDelta: Int64
        /// Last arrival time of the newer group minus that of the older one, in microseconds.
        public var arrivalDelta: Int64
        /// Bytes in the newer group minus bytes in the older one.
        public var sizeDelta: Int
        /// The newer group's last arrival time.
        public var arrivalTime: Instant

        public init(sendDelta: Int64, arrivalDelta: Int64, sizeDelta: Int, arrivalTime: Instant) {
            self.sendDelta = sendDelta
            self.arrivalDelta = arrivalDelta
            self.sizeDelta = sizeDelta
            self.arrivalTime = arrivalTime
        }
    }

    /// Packets sent within this span of a group's first packet belong to it (5 ms).
    public static let groupLengthMicroseconds: Int64 = 5_000
    static let burstDeltaThreshold: Int64 = 5_000
    static let maxBurstDuration: Int64 = 100_000
    static let arrivalTimeOffsetThreshold: Int64 = 3_000_000
    static let reorderedResetThreshold = 3

    struct Group: Sendable {
        var size: Int
        var firstSend: Int64
        var lastSend: Int64
        var firstArrival: Int64
        var lastArrival: Int64
        var lastSystem: Int64
    }

    private var current: Group?
    private var previous: Group?
    private var consecutiveReordered = 0

    public init() {}

    /// Forgets all groups (after a stream timeout or a clock jump).
    public mutating func reset() {
        current = nil
        previous = nil
        consecutiveReordered = 0
    }

    /// Adds one packet; returns the deltas when it starts a new group and two complete groups
    /// exist. `systemTime` is the local time the packet (or its feedback) was processed; it
    /// detects receiver clock jumps and defaults to `arrivalTime`.
    public mutating func add(sendTime: Instant, arrivalTime: Instant, size: Int,
                             systemTime: Instant? = nil) -> Deltas? {
        let send = sendTime.microseconds
        let arrival = arrivalTime.microseconds
        let system = (systemTime ?? arrivalTime).microseconds
        let size = max(0, size)
        guard var group = current else {
            current = Group(size: size, firstSend: send, lastSend: send, firstArrival: arrival,
                            lastArrival: arrival, lastSystem: system)
            return nil
        }
        // Sent before the current group started: reordered, ignore.
        if send < group.firstSend { return nil }

        var deltas: Deltas?
        if startsNewGroup(group, send: send, arrival: arrival) {
            if let previous {
                let sendDelta = group.lastSend &- previous.lastSend
                let arrivalDelta = group.lastArrival &- previous.lastArrival
                let systemDelta = group.lastSystem &- previous.lastSystem
                if arrivalDelta &- systemDelta >= Self.arrivalTimeOffsetThreshold {
                    // The arrival clock jumped ahead of the local one: start over from this packet.
                    reset()
                    current = Group(size: size, firstSend: send, lastSend: send, firstArrival: arrival,
                                    lastArrival: arrival, lastSystem: system)
                    return nil
                }
                if arrivalDelta < 0 {
                    consecutiveReordered += 1
                    if consecutiveReordered >= Self.reorderedResetThreshold {
                        reset()
                        current = Group(size: size, firstSend: send, lastSend: send, firstArrival: arrival,
                                        lastArrival: arrival, lastSystem: system)
                        return nil
                    }
                } else {
                    consecutiveReordered = 0
                    deltas = Deltas(sendDelta: sendDelta, arrivalDelta: arrivalDelta,
                                    sizeDelta: group.size &- previous.size,
                                    arrivalTime: Instant(microseconds: group.lastArrival))
                }
            }
            previous = group
            group = Group(size: 0, firstSend: send, lastSend: send, firstArrival: arrival,
                          lastArrival: arrival, lastSystem: system)
        } else {
            group.lastSend = max(group.lastSend, send)
        }
        group.size = group.size &+ size
        group.lastArrival = arrival
        group.lastSystem = system
        current = group
        return deltas
    }

    private func startsNewGroup(_ group: Group, send: Int64, arrival: Int64) -> Bool {
        if belongsToBurst(group, send: send, arrival: arrival) { return false }
        return send &- group.firstSend > Self.groupLengthMicroseconds
    }

    private func belongsToBurst(_ group: Group, send: Int64, arrival: Int64) -> Bool {
        let arrivalDelta = arrival &- group.lastArrival
        let sendDelta = send &- group.lastSend
        if sendDelta == 0 { return true }
        let propagationDelta = arrivalDelta &- sendDelta
        return propagationDelta < 0 && arrivalDelta <= Self.burstDeltaThreshold
            && arrival &- group.firstArrival < Self.maxBurstDuration
    }
}
