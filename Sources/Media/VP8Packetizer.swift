public import RTP

/// One RTP payload produced by a packetizer, with the RTP marker bit it must be sent with.
public struct VideoRTPPayload: Sendable, Hashable {
    public var payload: [UInt8]
    /// Set on the last packet of a frame (RFC 7741 §4.1).
    public var marker: Bool

    public init(payload: [UInt8], marker: Bool) {
        self.payload = payload
        self.marker = marker
    }
}

/// Splits VP8 frames into RTP payloads (RFC 7741 §4): each payload carries a descriptor with a
/// 15-bit PictureID that increments per frame; S = 1 and PID = 0 on the first payload only; the
/// frame is split into near-equal pieces so every payload is at most `maxPayloadSize` bytes.
public struct VP8Packetizer: Sendable, Hashable {
    /// Largest payload (descriptor + data) in bytes.
    public var maxPayloadSize: Int
    /// The PictureID the next frame gets (15 bits, wraps).
    public var nextPictureID: UInt16
    /// Write no PictureID at all (a 1-byte descriptor) when false.
    public var includesPictureID: Bool

    public init(maxPayloadSize: Int = 1200, firstPictureID: UInt16 = 0, includesPictureID: Bool = true) {
        self.maxPayloadSize = maxPayloadSize
        self.nextPictureID = firstPictureID & 0x7FFF
        self.includesPictureID = includesPictureID
    }

    /// The payloads for one encoded VP8 frame; empty when the frame is empty or `maxPayloadSize`
    /// leaves no room for data after the descriptor.
    /// - Parameters:
    ///   - isNonReference: sets N (the frame is not referenced, e.g. an upper temporal layer).
    ///   - temporalLayerID, tl0PicIndex, layerSync: the T/L fields for temporal scalability.
    public mutating func packetize(_ frame: [UInt8], isNonReference: Bool = false,
                                   temporalLayerID: UInt8? = nil, tl0PicIndex: UInt8? = nil,
                                   layerSync: Bool = false) -> [VideoRTPPayload] {
        var descriptor = VP8PayloadDescriptor(
            isNonReference: isNonReference, isPartitionStart: true, partitionIndex: 0,
            pictureID: includesPictureID ? .long(nextPictureID) : nil,
            tl0PicIndex: tl0PicIndex, temporalLayerID: temporalLayerID, layerSync: layerSync)
        let room = maxPayloadSize - descriptor.size
        guard !frame.isEmpty, room > 0 else { return [] }
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF
        let count = (frame.count + room - 1) / room
        let base = frame.count / count, extra = frame.count % count
        var out: [VideoRTPPayload] = []
        out.reserveCapacity(count)
        var offset = 0
        for i in 0..<count {
            let length = base + (i < extra ? 1 : 0)
            var payload: [UInt8] = []
            payload.reserveCapacity(descriptor.size + length)
            descriptor.isPartitionStart = i == 0
            descriptor.write(to: &payload)
            payload.append(contentsOf: frame[offset..<(offset + length)])
            offset += length
            out.append(VideoRTPPayload(payload: payload, marker: i == count - 1))
        }
        return out
    }

    /// Convenience: payloads of `frame` wrapped in RTP packets with consecutive sequence numbers
    /// starting at `sequenceNumber` (advanced past the last one used).
    public mutating func packets(for frame: EncodedFrame, payloadType: UInt8, ssrc: UInt32,
                                 sequenceNumber: inout UInt16) -> [RTPPacket] {
        packetize(frame.bytes).rtpPackets(payloadType: payloadType, ssrc: ssrc, timestamp: frame.rtpTimestamp,
                                          sequenceNumber: &sequenceNumber)
    }
}

extension [VideoRTPPayload] {
    /// The payloads of one frame in RTP packets with consecutive sequence numbers starting at
    /// `sequenceNumber` (advanced past the last one used), all with the frame's timestamp.
    public func rtpPackets(payloadType: UInt8, ssrc: UInt32, timestamp: UInt32,
                           sequenceNumber: inout UInt16) -> [RTPPacket] {
        map { piece in
            defer { sequenceNumber = sequenceNumber &+ 1 }
            return RTPPacket(header: RTPHeader(marker: piece.marker, payloadType: payloadType,
                                               sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc),
                             payload: piece.payload)
        }
    }
}

/// A parsed VP8 RTP payload: its descriptor and the VP8 data after it (RFC 7741 §4).
public struct VP8Payload: Sendable, Hashable {
    public var descriptor: VP8PayloadDescriptor
    /// The VP8 bytes after the descriptor (never empty).
    public var data: ArraySlice<UInt8>

    public init(descriptor: VP8PayloadDescriptor, data: ArraySlice<UInt8>) {
        self.descriptor = descriptor
        self.data = data
    }

    /// Splits a VP8 RTP payload into descriptor and data.
    public static func parse(_ payload: [UInt8]) throws(VP8PayloadDescriptorParseError) -> VP8Payload {
        let (descriptor, length) = try VP8PayloadDescriptor.parse(payload[...])
        return VP8Payload(descriptor: descriptor, data: payload[(payload.startIndex + length)...])
    }
}

/// The receive side of RFC 7741: parses payloads; `VideoFrameAssembler` rebuilds frames.
public enum VP8Depacketizer {
    /// Splits a VP8 RTP payload into descriptor and data (RFC 7741 §4.2).
    public static func depacketize(_ payload: [UInt8]) throws(VP8PayloadDescriptorParseError) -> VP8Payload {
        try VP8Payload.parse(payload)
    }
}
