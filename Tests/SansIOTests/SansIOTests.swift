import Testing
import SansIO

@Suite struct InstantTests {
    @Test func arithmeticWithDurations() {
        let t = Instant.milliseconds(1500)
        #expect((t + .milliseconds(250)).microseconds == 1_750_000)
        #expect((t - .seconds(1)).microseconds == 500_000)
        #expect(Instant.milliseconds(40) - Instant.milliseconds(100) == .milliseconds(-60))
        #expect(Instant.zero < t)
        #expect(Duration.milliseconds(2500).seconds == 2.5)
    }
}

@Suite struct TransportAddressTests {
    @Test func parsesDottedQuad() {
        let a = TransportAddress(ipv4: "192.0.2.7", port: 5000)
        #expect(a?.ipBytes == [192, 0, 2, 7])
        #expect(a?.description == "192.0.2.7:5000")
    }

    @Test(arguments: ["1.2.3", "1.2.3.256", "a.b.c.d", "1..2.3", "", "1.2.3.4.5", "0001.2.3.4"])
    func rejectsMalformed(_ text: String) {
        #expect(TransportAddress(ipv4: text, port: 1) == nil)
    }

    @Test func formatsIPv6() {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0x20; bytes[1] = 0x01; bytes[2] = 0x0d; bytes[3] = 0xb8; bytes[15] = 1
        let a = TransportAddress(ip: .v6(bytes), port: 443)
        #expect(a.description == "[2001:db8:0:0:0:0:0:1]:443")
    }
}
