import Testing
import RTP
import DTLS
import SRTP

@Test func modulesLink() { #expect(DTLSModule.name == "DTLS") }
