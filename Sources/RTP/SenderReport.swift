/// RTCP sender report, PT 200 (RFC 3550 §6.4.1).
public struct SenderReport: Sendable, Hashable {
    public var ssrc: UInt32
    /// The 64-bit NTP timestamp of this report (seconds since 1900 in the high 32 bits).
    public var ntpTimestamp: UInt64
    /// The RTP timestamp corresponding to `ntpTimestamp`.
    public var rtpTimestamp: UInt32
    /// Sender's packet count.
    public var packetCount: UInt32
    /// Sender's octet count (payload bytes).
    public var octetCount: UInt32
    /// Report blocks; at most 31 are written.
    public var reports: [ReceptionReport]
    /// Profile-specific extension bytes after the report blocks (kept as is; multiple of 4).
    public var profileExtension: [UInt8]

    public init(ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32, packetCount: UInt32,
                octetCount: UInt32, reports: [ReceptionReport] = [], profileExtension: [UInt8] = []) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reports = reports
        self.profileExtension = profileExtension
    }

    /// Parses exactly one SR packet (header included; no trailing bytes).
    public static func parse(_ bytes: [UInt8]) throws(RTCPParseError) -> SenderReport {
        let frame = try RTCPFrame.single(bytes, packetType: RTCPPacketType.senderReport)
        return try SenderReport(frame)
    }

    init(_ frame: RTCPFrame) throws(RTCPParseError) {
        var reader = ByteReader(frame.body)
        guard reader.remaining >= 24 else {
            throw .truncatedBody(packetType: RTCPPacketType.senderReport, length: frame.body.count)
        }
        ssrc = reader.u32()
        ntpTimestamp = reader.u64()
        rtpTimestamp = reader.u32()
        packetCount = reader.u32()
        octetCount = reader.u32()
        reports = try ReceptionReport.readBlocks(
            Int(frame.header.count), from: &reader, packetType: RTCPPacketType.senderReport)
        profileExtension = Array(reader.rest())
    }

    private var writtenReports: ArraySlice<ReceptionReport> { reports.prefix(31) }

    /// The serialized size in bytes.
    public var size: Int { 28 + writtenReports.count * ReceptionReport.size + (profileExtension.count + 3) / 4 * 4 }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    func write(to out: inout [UInt8]) {
        out.reserveCapacity(out.count + size)
        out.appendRTCPHeader(count: UInt8(writtenReports.count), packetType: RTCPPacketType.senderReport,
                             bodySize: size - 4)
        out.appendU32(ssrc)
        out.appendU64(ntpTimestamp)
        out.appendU32(rtpTimestamp)
        out.appendU32(packetCount)
        out.appendU32(octetCount)
        for report in writtenReports { report.write(to: &out) }
        out.append(contentsOf: profileExtension)
        out.padToWord()
    }
}
