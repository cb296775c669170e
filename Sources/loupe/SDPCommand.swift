import ArgumentParser
import DTLS
import Foundation
import Media
import Node
import SansIO

/// SDP tools: answer an offer the way `loupe serve` would, without a server.
struct SDP: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SDP offer/answer tools.", subcommands: [Answer.self])

    /// `loupe sdp answer`: reads a WHIP/WHEP offer on stdin and prints the node's answer.
    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read an SDP offer on stdin and print the node's answer (errors: \"<status> <reason>\" on stderr, exit 1).")

        enum Role: String, ExpressibleByArgument { case whip, whep }

        @Option(help: "whip (publisher) or whep (subscriber).") var role: Role
        @Option(help: "The node's certificate fingerprint (sha-256 hex AB:CD:…); a fresh certificate's when omitted.")
        var fingerprint: String?
        @Option(help: "A host candidate ADDRESS:PORT (repeatable).") var candidate: [String] = ["127.0.0.1:50000"]
        @Option(help: "The room name used in cname and msid.") var room = "sdp"
        @Option(help: "Video codecs the node accepts, in preference order (comma-separated: vp8,vp9).")
        var videoCodecs = "vp8,vp9"

        func run() throws {
            let offer = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            let fingerprintValue: String
            if let fingerprint {
                fingerprintValue = try DTLSFingerprint(hex: fingerprint).sdpAttributeValue
            } else {
                fingerprintValue = try DTLSCertificate.generate(unixTime: Int64(Date().timeIntervalSince1970)).fingerprint.sdpAttributeValue
            }
            var candidates: [TransportAddress] = []
            for text in candidate {
                guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
                      let address = TransportAddress(ipv4: String(text[..<colon]), port: port) else {
                    throw ValidationError("bad --candidate \(text) (need IPv4:PORT)")
                }
                candidates.append(address)
            }
            var codecs: [VideoCodec] = []
            for name in videoCodecs.split(separator: ",") {
                guard let codec = VideoCodec(rawValue: name.lowercased()) else { throw ValidationError("unknown video codec \(name)") }
                codecs.append(codec)
            }
            let sessionRole: SessionRole = role == .whip ? .publisher : .subscriber
            var random = NodeRandom.system
            do {
                let remote = try OfferAnswer.negotiate(offer: offer, role: sessionRole, videoCodecs: codecs)
                let session = random.hexToken(bytes: 12)
                let outgoing = remote.sections.map { _ in (random.ssrc(), random.ssrc()) }
                print(OfferAnswer.answer(
                    to: remote, role: sessionRole, ufrag: random.iceString(count: 8), pwd: random.iceString(count: 24),
                    fingerprint: fingerprintValue, candidates: candidates,
                    outgoing: sessionRole == .subscriber ? outgoing : [], room: room, session: session), terminator: "")
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
