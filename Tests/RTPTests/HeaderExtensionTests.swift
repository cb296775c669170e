import Testing
import RTP

/// Wraps an extension block in a minimal RTP header with the X bit set.
func rtpWithExtension(_ block: String) -> [UInt8] {
    hex("90 60 00 01 00 00 00 02 00 00 00 03") + hex(block)
}

@Suite struct HeaderExtensionTests {
    /// RFC 8285 §4.2 figure: ID 1 with 1 byte, ID 2 with 2 bytes, two pad bytes, ID 3 with 4 bytes.
    @Test func rfc8285OneByteLayout() throws {
        let bytes = rtpWithExtension("BE DE 00 03  10 AA 21 BB  BB 00 00 33  CC CC CC CC")
        let packet = try RTPPacket.parse(bytes)
        let block = try #require(packet.header.headerExtension)
        #expect(block.form == .oneByte)
        #expect(try block.elements() == [
            RTPExtensionElement(id: 1, data: [0xAA]),
            RTPExtensionElement(id: 2, data: [0xBB, 0xBB]),
            RTPExtensionElement(id: 3, data: [0xCC, 0xCC, 0xCC, 0xCC]),
        ])
        #expect(packet.serialize() == bytes)
    }

    /// RFC 8285 §4.3 figure: ID 1 empty, ID 2 with 1 byte, one pad byte, ID 3 with 4 bytes.
    @Test func rfc8285TwoByteLayout() throws {
        let packet = try RTPPacket.parse(rtpWithExtension("10 00 00 03  01 00 02 01  DD 00 03 04  EE EE EE EE"))
        let block = try #require(packet.header.headerExtension)
        #expect(block.form == .twoByte(appBits: 0))
        #expect(try block.elements() == [
            RTPExtensionElement(id: 1, data: []),
            RTPExtensionElement(id: 2, data: [0xDD]),
            RTPExtensionElement(id: 3, data: [0xEE, 0xEE, 0xEE, 0xEE]),
        ])
    }

    @Test func twoByteAppBits() throws {
        let packet = try RTPPacket.parse(rtpWithExtension("10 0A 00 01  05 01 77 00"))
        #expect(packet.header.headerExtension?.form == .twoByte(appBits: 0xA))
        #expect(packet.header.extensionElement(id: 5) == [0x77])
    }

    @Test func oneByteID15StopsParsing() throws {
        let block = RTPHeaderExtension(profile: 0xBEDE, data: hex("10 AA F0 00  20 BB 00 00"))
        #expect(try block.elements() == [RTPExtensionElement(id: 1, data: [0xAA])])
    }

    @Test func elementPastEndOfBlock() {
        let oneByte = RTPHeaderExtension(profile: 0xBEDE, data: hex("10 AA 13 BB"))
        #expect(throws: RTPParseError.malformedExtensionElement(offset: 2)) { try oneByte.elements() }
        let twoByte = RTPHeaderExtension(profile: 0x1000, data: hex("01 05 AA BB"))
        #expect(throws: RTPParseError.malformedExtensionElement(offset: 0)) { try twoByte.elements() }
        let twoByteNoLength = RTPHeaderExtension(profile: 0x1000, data: hex("00 00 00 07"))
        #expect(throws: RTPParseError.malformedExtensionElement(offset: 3)) { try twoByteNoLength.elements() }
        #expect(oneByte.element(id: 1) == nil)
    }

    @Test func otherProfileIsNotRFC8285() {
        let block = RTPHeaderExtension(profile: 0x0001, data: hex("00 00 00 00"))
        #expect(block.form == nil)
        #expect(throws: RTPParseError.notRFC8285Extension(profile: 1)) { try block.elements() }
    }

    @Test func buildsOneByteFormWhenEverythingFits() throws {
        let block = try #require(RTPHeaderExtension(elements: [
            RTPExtensionElement(id: 1, data: [0xAA]),
            RTPExtensionElement(id: 2, data: [0xBB, 0xBB]),
        ]))
        var out = RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3,
                                              headerExtension: block), payload: []).serialize()
        out.removeFirst(12)
        #expect(out == hex("BE DE 00 02  10 AA 21 BB  BB 00 00 00"))
    }

    @Test func buildsTwoByteFormForLongDataOrLargeID() throws {
        let long = try #require(RTPHeaderExtension(elements: [RTPExtensionElement(id: 1, data: Array(repeating: 7, count: 17))]))
        #expect(long.form == .twoByte(appBits: 0))
        #expect(long.size == 4 + 20)
        let bigID = try #require(RTPHeaderExtension(elements: [RTPExtensionElement(id: 15, data: [1])]))
        #expect(bigID.data == [15, 1, 1])
        let empty = try #require(RTPHeaderExtension(elements: [RTPExtensionElement(id: 4, data: [])]))
        #expect(empty.form == .twoByte(appBits: 0))
        #expect(RTPHeaderExtension(elements: [RTPExtensionElement(id: 0, data: [1, 2])]) == nil)
        #expect(RTPHeaderExtension(elements: [RTPExtensionElement(id: 20, data: Array(repeating: 0, count: 256))]) == nil)
    }

    @Test func setElementReplacesAndSwitchesForm() throws {
        var block = try #require(RTPHeaderExtension(elements: [RTPExtensionElement(id: 3, data: [1, 2])]))
        let replaced = block.setElement(id: 3, data: [9, 9])
        #expect(replaced)
        #expect(block.element(id: 3) == [9, 9])
        let added = block.setElement(id: 200, data: [5])
        #expect(added)
        #expect(block.form == .twoByte(appBits: 0))
        #expect(try block.elements().map(\.id) == [3, 200])
        let removed = block.removeElement(id: 3)
        #expect(removed)
        #expect(try block.elements().map(\.id) == [200])
    }

    @Test func absSendTimeFixedPoint() throws {
        #expect(AbsSendTime(microseconds: 1_000_000).rawValue == 0x04_0000)
        #expect(AbsSendTime(microseconds: 64_500_000).rawValue == 0x02_0000)
        #expect(AbsSendTime(microseconds: -500_000).rawValue == 0xFE_0000)
        #expect(AbsSendTime(rawValue: 0x04_0000).microseconds == 1_000_000)
        #expect(AbsSendTime(rawValue: 0xFFFF_FFFF).rawValue == 0xFF_FFFF)
        #expect(try AbsSendTime(parsing: [0x12, 0x34, 0x56]).data == [0x12, 0x34, 0x56])
        #expect(throws: RTPParseError.invalidExtensionValueLength(expected: 3, actual: 2)) {
            try AbsSendTime(parsing: [0x12, 0x34])
        }
    }

    @Test func transportSequenceNumberValue() throws {
        #expect(try TransportSequenceNumber(parsing: [0x01, 0x02]).value == 258)
        #expect(TransportSequenceNumber(0xFFFE).data == [0xFF, 0xFE])
        #expect(throws: RTPParseError.invalidExtensionValueLength(expected: 2, actual: 3)) {
            try TransportSequenceNumber(parsing: [1, 2, 3])
        }
    }

    @Test func midValue() throws {
        #expect(try MIDHeaderExtension(parsing: [0x30]).mid == "0")
        #expect(MIDHeaderExtension(mid: "audio").data == Array("audio".utf8))
        #expect(throws: RTPParseError.invalidMID) { try MIDHeaderExtension(parsing: []) }
        #expect(throws: RTPParseError.invalidMID) { try MIDHeaderExtension(parsing: [0xFF, 0xFE]) }
    }
}
