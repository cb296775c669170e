import Testing
import SansIO
@testable import ICE

/// RFC 5769 test vectors, byte for byte.
enum RFC5769 {
    static let password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)
    static let transactionID: [UInt8] = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae]

    /// §2.1 Sample Request.
    static let request = hex("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)

    /// §2.2 Sample IPv4 Response.
    static let ipv4Response = hex("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)

    /// §2.3 Sample IPv6 Response.
    static let ipv6Response = hex("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)

    static func hex(_ text: String) -> [UInt8] {
        text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt8($0, radix: 16) }
    }
}

@Suite struct RFC5769Tests {
    @Test func sampleRequestVerifiesAndParses() throws {
        let m = try STUNMessage.parse(RFC5769.request)
        #expect(m.messageClass == .request && m.method == STUNMessage.bindingMethod)
        #expect(m.transactionID == RFC5769.transactionID)
        #expect(m.verifyIntegrity(key: RFC5769.password))
        #expect(m.verifyFingerprint())
        #expect(m.username == "evtj:h6vY")
        #expect(m.software == "STUN test client")
        #expect(m.priority == 0x6E00_01FF)
        #expect(m.iceControlled == 0x932F_F9B1_5126_3B36)
        #expect(!m.verifyIntegrity(key: Array("wrong password".utf8)))
    }

    @Test func ipv4ResponseVerifiesAndDecodesAddress() throws {
        let m = try STUNMessage.parse(RFC5769.ipv4Response)
        #expect(m.messageClass == .successResponse)
        #expect(m.verifyIntegrity(key: RFC5769.password) && m.verifyFingerprint())
        #expect(m.xorMappedAddress == TransportAddress(ipv4: "192.0.2.1", port: 32853))
        #expect(m.software == "test vector")
    }

    @Test func ipv6ResponseVerifiesAndDecodesAddress() throws {
        let m = try STUNMessage.parse(RFC5769.ipv6Response)
        #expect(m.verifyIntegrity(key: RFC5769.password) && m.verifyFingerprint())
        let expected: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]
        #expect(m.xorMappedAddress == TransportAddress(ip: .v6(expected), port: 32853))
    }

    /// Our serializer reproduces the vectors exactly. The RFC pads SOFTWARE and USERNAME with
    /// spaces; RFC 8489 §14 lets padding be any value, hence `paddingByte`.
    @Test func serializerReproducesSampleRequest() {
        let m = STUNMessage(messageClass: .request, transactionID: RFC5769.transactionID, attributes: [
            STUNAttribute(type: STUNAttribute.software, value: Array("STUN test client".utf8)),
            STUNMessage.priorityAttribute(0x6E00_01FF),
            STUNMessage.iceControlledAttribute(0x932F_F9B1_5126_3B36),
            STUNMessage.usernameAttribute("evtj:h6vY"),
        ])
        #expect(m.serialize(integrityKey: RFC5769.password, paddingByte: 0x20) == RFC5769.request)
    }

    @Test func serializerReproducesIPv4AndIPv6Responses() {
        for (ip, vector) in [(TransportAddress(ipv4: "192.0.2.1", port: 32853)!, RFC5769.ipv4Response),
                             (TransportAddress(ip: .v6([0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x00, 0x11,
                                                        0x22, 0x33, 0x44, 0x55, 0x66, 0x77]), port: 32853), RFC5769.ipv6Response)] {
            let m = STUNMessage(messageClass: .successResponse, transactionID: RFC5769.transactionID, attributes: [
                STUNAttribute(type: STUNAttribute.software, value: Array("test vector".utf8)),
                STUNMessage.xorMappedAddressAttribute(ip, transactionID: RFC5769.transactionID),
            ])
            #expect(m.serialize(integrityKey: RFC5769.password, paddingByte: 0x20) == vector)
        }
    }
}
