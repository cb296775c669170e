/// RTCP receiver report, PT 201 (RFC 3550 §6.4.2).
public struct ReceiverReport: Sendable, Hashable {
    /// The reporter's SSRC.
    public var ssrc: UInt32
    /// Report blocks; at most 31 are written.
    public var reports: [ReceptionReport]
    /// Profile-specific extension bytes after the report blocks (kept as is; multiple of 4).
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, reports: [ReceptionReport] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.reports = reports
        self.profileExtension = profileExtension
    }

    /// Parses exactly one RR packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> ReceiverReport {
        let frame = try RTCPFrame.single(bytes, packetType: RTCPPacketType.receiverReport)
        return try ReceiverReport(frame)
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        var reader = ByteReader(frame.body)
        guard reader.remaining >= 4 else {
            throw .truncatedBody(packetType: RTCPPacketType.receiverReport, length: frame.body.count)
        }
        ssrc = reader.u32()
        reports = try ReceptionReport.readBlocks(
            Int(frame.header.count), from: &reader, packetType: RTCPPacketType.receiverReport)
        profileExtension = Array(reader.rest())
    }

    private var writtenReports: ArraySlice<ReceptionReport> { reports.prefix(31) }

    /// The serialized size in bytes.
    public var size: Int { 8 + writtenReports.count * ReceptionReport.size + (profileExtension.count + 3) / 4 * 4 }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.appendRTCPHeader(count: UInt8(writtenReports.count), packetType: RTCPPacketType.receiverReport,
                             bodySize: size - 4)
        out.appendU32(ssrc)
        for report in writtenReports { report.write(to: &out) }
        out.append(contentsOf: profileExtension)
        out.padToWord()
    }
}
