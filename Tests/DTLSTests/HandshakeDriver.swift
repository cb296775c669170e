import DTLS
import SansIO

/// What one endpoint reported while datagrams were passed back and forth.
struct EndpointLog {
    var events: [DTLSOutput] = []
    var sentDatagrams: [[UInt8]] = []

    var connected: SRTPKeyingMaterial? {
        for case .connected(let material) in events { return material }
        return nil
    }
    var failures: [DTLSError] {
        events.compactMap { if case .failed(let error) = $0 { return error } else { return nil } }
    }
    var closed: Bool { events.contains(.closed) }
    var applicationData: [[UInt8]] {
        events.compactMap { if case .applicationData(let data) = $0 { return data } else { return nil } }
    }
}

/// Splits outputs into datagrams and events.
func record(_ outputs: [DTLSOutput], into log: inout EndpointLog) -> [[UInt8]] {
    var datagrams: [[UInt8]] = []
    for output in outputs {
        if case .send(let datagram) = output { datagrams.append(datagram) } else { log.events.append(output) }
    }
    log.sentDatagrams += datagrams
    return datagrams
}

/// Delivers datagrams between two endpoints in memory, 1 ms per hop, until both are quiet.
@discardableResult
func exchange(
    client: DTLSEndpoint, server: DTLSEndpoint,
    toServer initialToServer: [[UInt8]] = [], toClient initialToClient: [[UInt8]] = [],
    clientLog: inout EndpointLog, serverLog: inout EndpointLog, start: Instant = .zero
) -> Instant {
    var now = start
    var toServer = initialToServer, toClient = initialToClient
    var rounds = 0
    while !(toServer.isEmpty && toClient.isEmpty), rounds < 100 {
        rounds += 1
        now = now + .milliseconds(1)
        var next: [[UInt8]] = []
        for datagram in toServer { next += record(server.handle(datagram: datagram, now: now), into: &serverLog) }
        toServer = []
        toClient += next
        now = now + .milliseconds(1)
        for datagram in toClient { toServer += record(client.handle(datagram: datagram, now: now), into: &clientLog) }
        toClient = []
    }
    return now
}

/// Runs a whole handshake from the client's first flight.
func runHandshake(client: DTLSEndpoint, server: DTLSEndpoint, start: Instant = .zero) -> (client: EndpointLog, server: EndpointLog) {
    var clientLog = EndpointLog(), serverLog = EndpointLog()
    _ = record(server.start(now: start), into: &serverLog)
    let hello = record(client.start(now: start), into: &clientLog)
    exchange(client: client, server: server, toServer: hello, clientLog: &clientLog, serverLog: &serverLog, start: start)
    return (clientLog, serverLog)
}

/// Two fresh certificates and endpoints that expect each other's fingerprints.
struct EndpointPair {
    let clientCertificate: DTLSCertificate
    let serverCertificate: DTLSCertificate
    let client: DTLSEndpoint
    let server: DTLSEndpoint

    init(
        clientProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80],
        serverProfiles: [SRTPProtectionProfile] = [.aeadAES128GCM, .aes128CMHMACSHA1_80],
        clientExpects: DTLSFingerprint?? = nil, serverExpects: DTLSFingerprint?? = nil, mtu: Int = 1200
    ) throws {
        clientCertificate = try DTLSCertificate.generate(unixTime: certificateTime)
        serverCertificate = try DTLSCertificate.generate(unixTime: certificateTime)
        client = try DTLSEndpoint(
            role: .client, certificate: clientCertificate,
            remoteFingerprint: clientExpects ?? serverCertificate.fingerprint, srtpProfiles: clientProfiles, mtu: mtu)
        server = try DTLSEndpoint(
            role: .server, certificate: serverCertificate,
            remoteFingerprint: serverExpects ?? clientCertificate.fingerprint, srtpProfiles: serverProfiles, mtu: mtu)
    }
}
