/// A signaling request the node refuses, with the HTTP status and one-line reason the server
/// returns (RFC 9725 §4.2 and the WHEP draft say which statuses a client should expect).
public struct SignalingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public static func badRequest(_ reason: String) -> SignalingError { .init(status: 400, reason: reason) }
    public static func notFound(_ reason: String) -> SignalingError { .init(status: 404, reason: reason) }
    public static func unprocessable(_ reason: String) -> SignalingError { .init(status: 422, reason: reason) }
    public static func unavailable(_ reason: String) -> SignalingError { .init(status: 503, reason: reason) }

    public var description: String { "\(status) \(reason)" }
}

/// What a WHIP or WHEP session does in its room.
public enum SessionRole: String, Sendable, Codable {
    /// Sends media into the room (WHIP).
    case publisher
    /// Receives the room's media (WHEP).
    case subscriber
}

/// Which rendition of a room's video a subscriber receives.
public enum Variant: String, Sendable, Codable {
    /// The publisher's stream as sent, forwarded.
    case original
    /// The node's processed rendition (restoration; see the video-path issue).
    case restored
}

/// A session the node just created, for the 201 response.
public struct CreatedSession: Sendable {
    public var id: String
    public var answer: String
    /// An entity tag for the session's ICE state (RFC 9725 §4.3.1, trickle and restarts).
    public var etag: String
}

/// The node's view of one room, for `GET /api/rooms`.
public struct RoomSnapshot: Codable, Sendable, Equatable {
    public struct Track: Codable, Sendable, Equatable {
        public var mid: String
        public var kind: String
        public var codec: String
        public var ssrc: UInt32?
        /// Bits per second over the last second.
        public var bitrate: Int
        public var packets: Int
    }
    public struct Session: Codable, Sendable, Equatable {
        public var id: String
        public var role: SessionRole
        public var state: String
        public var remoteAddress: String?
        public var tracks: [Track]
        /// Publishers: the node's estimate of the uplink (bps), as sent in REMB before the cap.
        public var uplinkEstimate: Int?
        /// Subscribers that negotiated transport-cc: the node's send-side estimate of their
        /// downlink (bps). The node forwards what publishers send and does not probe, so while
        /// the downlink is not the bottleneck this reads up to 1.5× the forwarded rate.
        public var downlinkEstimate: Int?
    }
    public var name: String
    public var publishers: [Session]
    public var subscribers: [Session]
}
