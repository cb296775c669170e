import DTLS
import NetworkEmulator
import Node
import Peer
import SansIO
import Simulation
import Testing

/// The production node core under the virtual clock, behind an emulated weak uplink.
@Suite struct EmulatedNodeTests {
    @Test func nodeEstimatesAThrottledUplinkAndForwardsToASubscriber() throws {
        let nodeAddress = TransportAddress(ipv4: "10.0.0.100", port: 50000)!
        let certificate = try DTLSCertificate.generate(commonName: "node", unixTime: 1_800_000_000)
        var config = NodeConfiguration(candidates: [nodeAddress])
        config.maxPublishBitrate = 5_000_000
        let node = Node(configuration: config, certificate: certificate, random: .seeded(7))

        let pub = SimulatedPeer(role: .publisher, address: TransportAddress(ipv4: "10.0.0.1", port: 4000)!,
                                name: "pub1", sendBitrate: 1_500_000, transportCC: false,
                                certificate: try DTLSCertificate.generate(commonName: "pub", unixTime: 1_800_000_000))
        let sub = SimulatedPeer(role: .subscriber, address: TransportAddress(ipv4: "10.0.0.2", port: 4000)!,
                                name: "sub1", certificate: try DTLSCertificate.generate(commonName: "sub", unixTime: 1_800_000_000))
        try pub.apply(answer: node.createSession(role: .publisher, room: "sim", variant: .original,
                                                 offer: pub.offer(), now: .zero).answer, now: .zero)
        try sub.apply(answer: node.createSession(role: .subscriber, room: "sim", variant: .original,
                                                 offer: sub.offer(), now: .zero).answer, now: .zero)

        let network = Network()
        network.attach(NodeAdapter(node: node, address: nodeAddress), at: nodeAddress)
        network.attach(PeerAdapter(pub), at: pub.address)
        network.attach(PeerAdapter(sub), at: sub.address)
        // The publisher's uplink: 1000 kbps, 50 ms, 300 ms tail-drop queue (RFC 8867 §5.1 style).
        var uplink = LinkConfiguration()
        uplink.capacity = .constant(kbps: 1000)
        uplink.propagationDelay = .milliseconds(50)
        uplink.queueLimit = .milliseconds(300)
        var fast = LinkConfiguration()
        fast.propagationDelay = .milliseconds(20)
        network.connect(pub.address.ip, nodeAddress.ip, uplink: uplink, downlink: fast)
        network.connect(sub.address.ip, nodeAddress.ip, uplink: fast, downlink: fast)

        network.run(until: .seconds(15))

        #expect(pub.connected && sub.connected)
        // Sending 1.5 Mbps into 1 Mbps: the node's receive-side estimate comes down to the link
        // (median REMB over the last 10 s; AIMD oscillates around the capacity).
        let late = pub.rembHistory.filter { $0.at >= .seconds(5) }.map(\.bitrate).sorted()
        let median = try #require(late.isEmpty ? nil : late[late.count / 2])
        print("REMB over 5-15 s: min \(late.first ?? 0), median \(median), max \(late.last ?? 0) bps")
        #expect(median < 1_100_000, "median REMB \(median) bps on a 1000 kbps uplink")
        #expect(median > 500_000, "median REMB \(median) bps collapsed")
        #expect(sub.packetsReceived > 500)
    }

    @Test func sameSeedSameResult() throws {
        func run() throws -> (Int, Int, Int?) {
            let nodeAddress = TransportAddress(ipv4: "10.0.0.100", port: 50000)!
            let certificate = try DTLSCertificate.generate(commonName: "node", unixTime: 1_800_000_000)
            let node = Node(configuration: NodeConfiguration(candidates: [nodeAddress]), certificate: certificate, random: .seeded(3))
            let pub = SimulatedPeer(role: .publisher, address: TransportAddress(ipv4: "10.0.0.1", port: 4000)!,
                                    name: "pub1", sendBitrate: 800_000,
                                    certificate: try DTLSCertificate.generate(commonName: "pub", unixTime: 1_800_000_000))
            try pub.apply(answer: node.createSession(role: .publisher, room: "sim", variant: .original,
                                                     offer: pub.offer(), now: .zero).answer, now: .zero)
            let network = Network()
            network.attach(NodeAdapter(node: node, address: nodeAddress), at: nodeAddress)
            network.attach(PeerAdapter(pub), at: pub.address)
            var link = LinkConfiguration()
            link.capacity = .constant(kbps: 600)
            link.propagationDelay = .milliseconds(30)
            link.loss = .random(probability: 0.02)
            link.seed = 11
            network.connect(pub.address.ip, nodeAddress.ip, uplink: link, downlink: LinkConfiguration())
            network.run(until: .seconds(5))
            return (pub.packetsSent, node.counters.rtpPacketsIn, pub.lastREMB)
        }
        let a = try run()
        let b = try run()
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2)
    }
}
