public import SansIO

/// What the ICE-lite agent asks of its driver or tells it.
public enum ICELiteOutput: Hashable, Sendable {
    /// A STUN response to send back to where the request came from.
    case send([UInt8], to: TransportAddress)
    /// Media (DTLS, SRTP) for this peer now goes to and comes from this address.
    case selectedAddressChanged(TransportAddress)
    /// The peer nominated a pair for the first time (RFC 8445 §8.2).
    case connected
    /// The datagram was refused; the reason is counted.
    case rejected(ICERejection)
}

/// Why the agent refused a STUN message.
public enum ICERejection: Hashable, Sendable {
    case malformed(STUNParseError)
    /// FINGERPRINT missing or wrong: not an ICE packet, silently discarded (RFC 8445 §7.3).
    case badFingerprint
    /// Not a Binding request (responses and other methods: a lite agent sends no requests).
    case notABindingRequest
    /// USERNAME or MESSAGE-INTEGRITY missing: answered 400.
    case missingCredentials
    /// USERNAME not ours: answered 401.
    case unknownUsername
    /// MESSAGE-INTEGRITY does not verify with our password: answered 401.
    case badIntegrity
    /// The peer claims the controlled role too: answered 487 (RFC 8445 §7.3.1.1).
    case roleConflict
    /// Comprehension-required attributes we do not know: answered 420.
    case unknownAttributes
}

/// An ICE-lite agent (RFC 8445 §2.5): always controlled, never sends checks, answers the full
/// agent's Binding requests, learns the peer's address from them (peer-reflexive), follows its
/// nomination, and tracks consent freshness (RFC 7675) from checks and authenticated media.
public struct ICELiteAgent: Sendable {
    public struct Counters: Hashable, Sendable {
        public var requestsAnswered = 0
        public var rejected: [ICERejection: Int] = [:]
    }

    public let localUfrag: String
    public let localPassword: String
    public private(set) var remoteUfrag: String?
    public private(set) var remotePassword: String?
    public let consentTimeout: Duration
    public private(set) var selectedAddress: TransportAddress?
    public private(set) var nominated = false
    public private(set) var counters = Counters()

    private var selectedPriority: UInt32 = 0
    private var lastCheckFromSelected: Instant?
    private var lastConsent: Instant

    public init(localUfrag: String, localPassword: String, remoteUfrag: String?, remotePassword: String?,
                consentTimeout: Duration = .seconds(30), now: Instant) {
        self.localUfrag = localUfrag
        self.localPassword = localPassword
        self.remoteUfrag = remoteUfrag
        self.remotePassword = remotePassword
        self.consentTimeout = consentTimeout
        self.lastConsent = now
    }

    /// The remote credentials, when they arrive after the agent was made (e.g. trickle).
    public mutating func setRemoteCredentials(ufrag: String, password: String) {
        remoteUfrag = ufrag
        remotePassword = password
    }

    /// The local ufrag a Binding request is addressed to (USERNAME is `local:remote` from our side),
    /// for demultiplexing many agents on one port. `nil` when the bytes are not such a request.
    public static func localUfrag(ofRequest bytes: [UInt8]) -> String? {
        guard let message = try? STUNMessage.parse(bytes), let username = message.username,
              let colon = username.firstIndex(of: ":") else { return nil }
        return String(username[..<colon])
    }

    /// A STUN datagram from `from`.
    public mutating func handle(datagram: [UInt8], from: TransportAddress, now: Instant) -> [ICELiteOutput] {
        let message: STUNMessage
        do {
            message = try STUNMessage.parse(datagram)
        } catch {
            return reject(.malformed(error))
        }
        guard message.verifyFingerprint() else { return reject(.badFingerprint) }
        guard message.messageClass == .request, message.method == STUNMessage.bindingMethod else {
            return reject(.notABindingRequest)
        }
        guard let username = message.username, message.attribute(STUNAttribute.messageIntegrity) != nil else {
            return reject(.missingCredentials, answer: error(400, "Bad Request", to: message, from: from))
        }
        let parts = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == localUfrag, remoteUfrag.map({ parts[1] == $0 }) ?? true else {
            return reject(.unknownUsername, answer: error(401, "Unauthorized", to: message, from: from))
        }
        guard message.verifyIntegrity(key: Array(localPassword.utf8)) else {
            return reject(.badIntegrity, answer: error(401, "Unauthorized", to: message, from: from))
        }
        let unknown = message.unknownComprehensionRequired
        if !unknown.isEmpty {
            var answer = STUNMessage(messageClass: .errorResponse, transactionID: message.transactionID,
                                     attributes: [STUNMessage.errorCodeAttribute(420, reason: "Unknown Attribute"),
                                                  STUNAttribute(type: STUNAttribute.unknownAttributes,
                                                                value: unknown.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })])
            answer.method = STUNMessage.bindingMethod
            return reject(.unknownAttributes, answer: .send(answer.serialize(integrityKey: Array(localPassword.utf8)), to: from))
        }
        if message.iceControlled != nil {
            // Both sides controlled: the full agent must take the controlling role (a lite agent cannot).
            return reject(.roleConflict, answer: error(487, "Role Conflict", to: message, from: from))
        }

        var out: [ICELiteOutput] = []
        let success = STUNMessage(messageClass: .successResponse, transactionID: message.transactionID,
                                  attributes: [STUNMessage.xorMappedAddressAttribute(from, transactionID: message.transactionID)])
        out.append(.send(success.serialize(integrityKey: Array(localPassword.utf8)), to: from))
        counters.requestsAnswered += 1
        lastConsent = now

        let priority = message.priority ?? 0
        if from == selectedAddress {
            lastCheckFromSelected = now
            if message.useCandidate { selectedPriority = max(selectedPriority, priority) }
        } else if selectedAddress == nil || (message.useCandidate && shouldSwitch(priority: priority, now: now)) {
            // The first valid check picks an address at once (a browser may start DTLS before it
            // nominates); a nomination from elsewhere moves media there.
            selectedAddress = from
            selectedPriority = message.useCandidate ? priority : 0
            lastCheckFromSelected = now
            out.append(.selectedAddressChanged(from))
        }
        if message.useCandidate && !nominated && from == selectedAddress {
            nominated = true
            out.append(.connected)
        }
        return out
    }

    /// A nominated pair replaces the selected one if it has a higher priority, if the selected
    /// one was never nominated, or if the selected address has gone quiet (NAT rebinding, network change).
    private func shouldSwitch(priority: UInt32, now: Instant) -> Bool {
        if !nominated || priority > selectedPriority { return true }
        guard let last = lastCheckFromSelected else { return true }
        return now - last > .seconds(3)
    }

    /// Authenticated media (SRTP that decrypted, DTLS) from the selected address: consent holds.
    public mutating func noteTraffic(now: Instant) {
        lastConsent = now
    }

    /// True once the peer has been silent for `consentTimeout` (checked at `nextDeadline`).
    public func consentExpired(now: Instant) -> Bool {
        now - lastConsent >= consentTimeout
    }

    /// When consent runs out if nothing more arrives.
    public var nextDeadline: Instant? { lastConsent + consentTimeout }

    private mutating func reject(_ reason: ICERejection, answer: ICELiteOutput? = nil) -> [ICELiteOutput] {
        counters.rejected[reason, default: 0] += 1
        return (answer.map { [$0] } ?? []) + [.rejected(reason)]
    }

    /// An error response. 401 and 400 carry no MESSAGE-INTEGRITY (RFC 8489 §9.1.3: the peer's
    /// credentials are not trusted); 487 does, keyed with our password (RFC 8445 §7.3.1.1).
    private func error(_ code: Int, _ reason: String, to request: STUNMessage, from: TransportAddress) -> ICELiteOutput {
        var answer = STUNMessage(messageClass: .errorResponse, transactionID: request.transactionID,
                                 attributes: [STUNMessage.errorCodeAttribute(code, reason: reason)])
        answer.method = request.method
        let key: [UInt8]? = code == 487 ? Array(localPassword.utf8) : nil
        return .send(answer.serialize(integrityKey: key), to: from)
    }
}
