import Testing
@testable import ICE

@Suite struct STUNBadInputTests {
    @Test func everyPrefixThrowsAndNeverTraps() {
        for vector in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response] {
            for n in 0..<vector.count {
                #expect(throws: STUNParseError.self) { try STUNMessage.parse(Array(vector.prefix(n))) }
            }
        }
    }

    @Test func truncatedHeader() {
        #expect(throws: STUNParseError.truncated(needed: 20, available: 3)) { try STUNMessage.parse([0, 1, 0]) }
    }

    @Test func badMagicCookie() {
        var b = RFC5769.request
        b[4] = 0x00
        #expect(throws: STUNParseError.badMagicCookie(0x0012_A442)) { try STUNMessage.parse(b) }
    }

    @Test func topBitsSetIsNotSTUN() {
        var b = RFC5769.request
        b[0] = 0x80
        #expect(throws: STUNParseError.notSTUN) { try STUNMessage.parse(b) }
    }

    @Test func lengthNotMultipleOfFour() {
        var b = RFC5769.request
        b[3] = 0x57
        #expect(throws: STUNParseError.lengthNotMultipleOfFour(0x57)) { try STUNMessage.parse(b) }
    }

    @Test func trailingBytesBeyondTheLength() {
        #expect(throws: STUNParseError.trailingBytes(4)) { try STUNMessage.parse(RFC5769.request + [0, 0, 0, 0]) }
    }

    @Test func attributeOverrunningTheMessage() {
        var b = RFC5769.ipv4Response
        b[20 + 3] = 0xF0  // SOFTWARE claims 240 bytes
        #expect(throws: STUNParseError.attributeOverrun(type: STUNAttribute.software, length: 0xF0)) {
            try STUNMessage.parse(b)
        }
    }

    @Test func attributeAfterFingerprint() {
        let b = RFC5769.request + [0x80, 0x22, 0x00, 0x00]
        var c = b
        c[3] = UInt8(b.count - 20)
        #expect(throws: STUNParseError.fingerprintNotLast) { try STUNMessage.parse(c) }
    }

    @Test(arguments: Array(20..<RFC5769.request.count))
    func anyFlippedByteBreaksIntegrityOrFingerprint(_ index: Int) throws {
        var b = RFC5769.request
        b[index] ^= 0x01
        guard let m = try? STUNMessage.parse(b) else { return }  // structure broke: also rejected
        #expect(!(m.verifyIntegrity(key: RFC5769.password) && m.verifyFingerprint()))
    }

    @Test func malformedXORAddressIsNil() throws {
        let m = STUNMessage(messageClass: .successResponse, transactionID: RFC5769.transactionID,
                            attributes: [STUNAttribute(type: STUNAttribute.xorMappedAddress, value: [0, 1, 0])])
        #expect(try STUNMessage.parse(m.serialize()).xorMappedAddress == nil)
    }

    @Test func randomBytesNeverTrap() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var b = RFC5769.request
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if let m = try? STUNMessage.parse(Array(b.prefix(Int.random(in: 0...b.count, using: &rng)))) {
                _ = m.verifyIntegrity(key: RFC5769.password)
                _ = m.verifyFingerprint()
                _ = (m.xorMappedAddress, m.errorCode, m.username, m.priority)
            }
        }
    }
}
