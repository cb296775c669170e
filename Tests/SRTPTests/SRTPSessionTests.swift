import Testing
import SRTP

/// A sender/receiver pair sharing one master key, as the two ends of a DTLS-SRTP leg.
struct SessionPair {
    let sender: SRTPSession
    let receiver: SRTPSession

    init(_ profile: SRTPProfile, replayWindowSize: Int = 1024) throws {
        let key = (0..<profile.masterKeyLength).map { UInt8($0 &* 7 &+ 1) }
        let salt = (0..<profile.masterSaltLength).map { UInt8($0 &* 13 &+ 5) }
        sender = try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .outbound,
                                 replayWindowSize: replayWindowSize)
        receiver = try SRTPSession(profile: profile, masterKey: key, masterSalt: salt, direction: .inbound,
                                   replayWindowSize: replayWindowSize)
    }
}

/// An RFC 3550 §5.1 RTP packet: V=2, PT 96, the given sequence number, timestamp and SSRC.
func rtpPacket(sequenceNumber: UInt16, ssrc: UInt32 = 0x1234_5678, payload: [UInt8] = Array(repeating: 0xAB, count: 40)) -> [UInt8] {
    [0x80, 0x60, UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF), 0x00, 0x01, 0x5F, 0x90]
        + bigEndian(ssrc) + payload
}

/// RFC 3550 §6.4.2 receiver report from SSRC 0x11223344 with one report block, followed by an
/// RFC 4585 §6.3.1 PLI: a compound RTCP packet.
let compoundRTCP: [UInt8] = hex("""
    81c90007 11223344
    12345678 05000010 0000f00d 00000020 00000000 00000000
    81ce0002 11223344 12345678
    """)

@Suite struct SRTPSessionTests {
    @Test(arguments: SRTPProfile.allCases)
    func rtpRoundTrip(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        for seq: UInt16 in [0xFFFE, 0xFFFF, 0, 1] {  // across a rollover
            let packet = rtpPacket(sequenceNumber: seq)
            let protected = try pair.sender.protectRTP(packet)
            #expect(protected.count == packet.count + profile.rtpTagLength)
            #expect(protected.prefix(12) == packet.prefix(12))
            #expect(protected[12..<packet.count] != packet[12...])
            #expect(try pair.receiver.unprotectRTP(protected) == packet)
        }
    }

    @Test(arguments: SRTPProfile.allCases)
    func rtcpRoundTrip(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        let protected = try pair.sender.protectRTCP(compoundRTCP)
        #expect(protected.count == compoundRTCP.count + profile.rtcpTrailerLength)
        #expect(try pair.receiver.unprotectRTCP(protected) == compoundRTCP)
        let second = try pair.sender.protectRTCP(compoundRTCP)
        #expect(second != protected)  // a new SRTCP index
        #expect(try pair.receiver.unprotectRTCP(second) == compoundRTCP)
        #expect(throws: SRTPError.replayFail) { try pair.receiver.unprotectRTCP(protected) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func replayedPacketIsRejected(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        let protected = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 10))
        _ = try pair.receiver.unprotectRTP(protected)
        #expect(throws: SRTPError.replayFail) { try pair.receiver.unprotectRTP(protected) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func packetOlderThanTheWindowIsRejected(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile, replayWindowSize: 64)
        let old = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 1))
        let new = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 500))
        _ = try pair.receiver.unprotectRTP(new)
        #expect(throws: SRTPError.replayOld) { try pair.receiver.unprotectRTP(old) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func senderRefusesToReuseASequenceNumber(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        _ = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 7))
        #expect(throws: SRTPError.replayFail) { try pair.sender.protectRTP(rtpPacket(sequenceNumber: 7)) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func flippedByteFailsAuthentication(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        let protected = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 3))
        for index in [1, 12, protected.count - 1] {
            var tampered = protected
            tampered[index] ^= 0x01
            #expect(throws: SRTPError.authFail) { try pair.receiver.unprotectRTP(tampered) }
        }
        #expect(try pair.receiver.unprotectRTP(protected) == rtpPacket(sequenceNumber: 3))

        let rtcp = try pair.sender.protectRTCP(compoundRTCP)
        var tampered = rtcp
        tampered[10] ^= 0x80
        #expect(throws: SRTPError.authFail) { try pair.receiver.unprotectRTCP(tampered) }
    }

    @Test(arguments: SRTPProfile.allCases)
    func truncatedPacketsAreTypedErrors(profile: SRTPProfile) throws {
        let pair = try SessionPair(profile)
        let protected = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 3, payload: []))
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTP(Array(protected.dropLast())) }
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTP(Array(protected.prefix(11))) }
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTP([]) }
        #expect(throws: SRTPError.badLength) { try pair.sender.protectRTP(Array(rtpPacket(sequenceNumber: 1).prefix(11))) }
        let rtcp = try pair.sender.protectRTCP(compoundRTCP)
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTCP(Array(rtcp.prefix(8 + profile.rtcpTrailerLength - 1))) }
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTCP(Array(rtcp.prefix(7))) }
        // Cut inside the encrypted part: the tag no longer covers what arrives.
        #expect(throws: SRTPError.authFail) { try pair.receiver.unprotectRTCP(Array(rtcp.dropLast(4))) }
    }

    @Test func inconsistentHeaderLengthsAreRejected() throws {
        let pair = try SessionPair(.aes128CMHMACSHA1_80)
        var manyCSRCs = rtpPacket(sequenceNumber: 1, payload: [1, 2, 3, 4])
        manyCSRCs[0] = 0x8F  // 15 CSRCs claimed, 4 bytes present
        #expect(throws: SRTPError.badLength) { try pair.sender.protectRTP(manyCSRCs) }
        // Extension header claiming 0xFFFF words.
        let longExtension = [0x90] + rtpPacket(sequenceNumber: 1, payload: [0xBE, 0xDE, 0xFF, 0xFF, 0, 0, 0, 0]).dropFirst()
        #expect(throws: SRTPError.badLength) { try pair.sender.protectRTP(Array(longExtension)) }
        // Extension bit set, no room for the extension header.
        let cutExtension = [0x90] + rtpPacket(sequenceNumber: 1, payload: [0xBE, 0xDE]).dropFirst()
        #expect(throws: SRTPError.badLength) { try pair.sender.protectRTP(Array(cutExtension)) }
        #expect(throws: SRTPError.badLength) { try pair.receiver.unprotectRTP(Array(manyCSRCs + Array(repeating: 0, count: 10))) }
    }

    @Test func headerExtensionIsAuthenticatedButNotEncrypted() throws {
        let pair = try SessionPair(.aeadAES128GCM)
        let packet = [0x90] + rtpPacket(sequenceNumber: 9, payload: [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0, 0, 1, 2, 3]).dropFirst()
        let protected = try pair.sender.protectRTP(Array(packet))
        #expect(protected.prefix(20) == packet.prefix(20))
        #expect(try pair.receiver.unprotectRTP(protected) == Array(packet))
    }

    @Test func wrongVersionIsRejected() throws {
        let pair = try SessionPair(.aeadAES128GCM)
        var packet = rtpPacket(sequenceNumber: 1)
        packet[0] = 0x40
        #expect(throws: SRTPError.badVersion) { try pair.sender.protectRTP(packet) }
        #expect(throws: SRTPError.badVersion) { try pair.receiver.unprotectRTP(packet) }
        var rtcp = compoundRTCP
        rtcp[0] = 0xC1
        #expect(throws: SRTPError.badVersion) { try pair.sender.protectRTCP(rtcp) }
    }

    @Test func sessionsOnlyWorkInTheirDirection() throws {
        let pair = try SessionPair(.aeadAES128GCM)
        #expect(throws: SRTPError.wrongDirection) { try pair.receiver.protectRTP(rtpPacket(sequenceNumber: 1)) }
        #expect(throws: SRTPError.wrongDirection) { try pair.sender.unprotectRTCP(compoundRTCP) }
    }

    @Test func keyAndWindowParametersAreValidated() {
        #expect(throws: SRTPError.badKeyLength(expectedKey: 16, expectedSalt: 12)) {
            try SRTPSession(profile: .aeadAES128GCM, masterKey: [UInt8](repeating: 1, count: 16),
                            masterSalt: [UInt8](repeating: 1, count: 14), direction: .inbound)
        }
        #expect(throws: SRTPError.badKeyLength(expectedKey: 16, expectedSalt: 14)) {
            try SRTPSession(profile: .aes128CMHMACSHA1_80, masterKey: [UInt8](repeating: 1, count: 15),
                            masterSalt: [UInt8](repeating: 1, count: 14), direction: .inbound)
        }
        #expect(throws: SRTPError.badReplayWindow(16)) {
            try SRTPSession(profile: .aes128CMHMACSHA1_80, masterKey: [UInt8](repeating: 1, count: 16),
                            masterSalt: [UInt8](repeating: 1, count: 14), direction: .inbound, replayWindowSize: 16)
        }
    }

    /// One inbound session serves every SSRC the peer sends (`ssrc_any_inbound`); each SSRC
    /// gets its own replay window.
    @Test func streamsAreCreatedPerSSRC() throws {
        let pair = try SessionPair(.aes128CMHMACSHA1_80)
        let audio = rtpPacket(sequenceNumber: 100, ssrc: 0xAAAA_0001)
        let video = rtpPacket(sequenceNumber: 100, ssrc: 0xBBBB_0002)
        let protectedAudio = try pair.sender.protectRTP(audio)
        let protectedVideo = try pair.sender.protectRTP(video)
        #expect(try pair.receiver.unprotectRTP(protectedAudio) == audio)
        #expect(try pair.receiver.unprotectRTP(protectedVideo) == video)
        #expect(throws: SRTPError.replayFail) { try pair.receiver.unprotectRTP(protectedVideo) }

        // After the stream is removed its replay state is gone: the same packet is accepted again.
        pair.receiver.removeStream(ssrc: 0xBBBB_0002)
        #expect(try pair.receiver.unprotectRTP(protectedVideo) == video)
    }

    /// A packet under another key fails authentication and does not disturb the real stream.
    @Test func packetUnderAnotherKeyFailsAndLeavesStreamIntact() throws {
        let pair = try SessionPair(.aeadAES128GCM)
        let forger = try SRTPSession(profile: .aeadAES128GCM, masterKey: [UInt8](repeating: 9, count: 16),
                                     masterSalt: [UInt8](repeating: 9, count: 12), direction: .outbound)
        let forged = try forger.protectRTP(rtpPacket(sequenceNumber: 50))
        #expect(throws: SRTPError.authFail) { try pair.receiver.unprotectRTP(forged) }
        let real = try pair.sender.protectRTP(rtpPacket(sequenceNumber: 50))
        #expect(try pair.receiver.unprotectRTP(real) == rtpPacket(sequenceNumber: 50))
    }

    @Test func repeatTransmissionCanBeAllowed() throws {
        let key = [UInt8](repeating: 3, count: 16), salt = [UInt8](repeating: 4, count: 14)
        let sender = try SRTPSession(profile: .aes128CMHMACSHA1_80, masterKey: key, masterSalt: salt,
                                     direction: .outbound, allowRepeatTransmission: true)
        let first = try sender.protectRTP(rtpPacket(sequenceNumber: 7))
        let again = try sender.protectRTP(rtpPacket(sequenceNumber: 7))
        #expect(first == again)
    }
}
