public import RTP

/// Splits VP9 frames into RTP payloads (RFC 9628 §4) the way a single-spatial-layer WebRTC sender
/// does: non-flexible mode, a 15-bit picture ID that increments per frame, B on the first and E
/// on the last payload, P = 0 on keyframes only, and on a keyframe's first payload a scalability
/// structure with the picture size and a one-picture group (TID 0, one reference, P_DIFF 1).
/// Each payload is at most `maxPayloadSize` bytes; the frame is split into near-equal pieces.
public struct VP9Packetizer: Sendable, Hashable {
    /// Largest payload (descriptor + data) in bytes.
    public var maxPayloadSize: Int
    /// The picture ID the next frame gets (15 bits, wraps).
    public var nextPictureID: UInt16
    /// Send the scalability structure (V = 1) on keyframes.
    public var sendsScalabilityStructure: Bool

    public init(maxPayloadSize: Int = 1200, firstPictureID: UInt16 = 0, sendsScalabilityStructure: Bool = true) {
        self.maxPayloadSize = maxPayloadSize
        self.nextPictureID = firstPictureID & 0x7FFF
        self.sendsScalabilityStructure = sendsScalabilityStructure
    }

    /// The scalability structure sent with a keyframe of this size (RFC 9628 §4.2.1).
    public static func scalabilityStructure(width: Int, height: Int) -> VP9ScalabilityStructure {
        VP9ScalabilityStructure(
            spatialLayerCount: 1,
            resolutions: [.init(width: UInt16(clamping: width), height: UInt16(clamping: height))],
            pictureGroup: [.init(temporalLayerID: 0, isSwitchingUpPoint: false, referenceDifferences: [1])])
    }

    /// The payloads for one encoded VP9 frame; empty when the frame is empty or `maxPayloadSize`
    /// leaves no room for data after the descriptor.
    /// - Parameters:
    ///   - isKeyframe: clears P and adds the scalability structure (with `width` × `height`).
    ///   - layerIndices, tl0PicIndex: the L octet and TL0PICIDX, for temporal scalability.
    public mutating func packetize(_ frame: [UInt8], isKeyframe: Bool, width: Int, height: Int,
                                   layerIndices: VP9PayloadDescriptor.LayerIndices? = nil,
                                   tl0PicIndex: UInt8? = nil) -> [VideoRTPPayload] {
        let later = VP9PayloadDescriptor(
            isInterPicturePredicted: !isKeyframe, startsLayerFrame: false, endsLayerFrame: false,
            isNotReferenceForUpperSpatialLayers: true, pictureID: .long(nextPictureID),
            layerIndices: layerIndices, tl0PicIndex: layerIndices == nil ? nil : (tl0PicIndex ?? 0))
        var first = later
        first.startsLayerFrame = true
        if isKeyframe && sendsScalabilityStructure {
            first.scalabilityStructure = Self.scalabilityStructure(width: width, height: height)
        }
        let firstRoom = maxPayloadSize - first.size, laterRoom = maxPayloadSize - later.size
        guard !frame.isEmpty, firstRoom > 0, laterRoom > 0 else { return [] }
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF
        let lengths = Self.pieceLengths(total: frame.count, firstRoom: firstRoom, laterRoom: laterRoom)
        var out: [VideoRTPPayload] = []
        out.reserveCapacity(lengths.count)
        var offset = frame.startIndex
        for (i, length) in lengths.enumerated() {
            var descriptor = i == 0 ? first : later
            descriptor.endsLayerFrame = i == lengths.count - 1
            var payload: [UInt8] = []
            payload.reserveCapacity(descriptor.size + length)
            descriptor.write(to: &payload)
            payload.append(contentsOf: frame[offset..<(offset + length)])
            offset += length
            out.append(VideoRTPPayload(payload: payload, marker: descriptor.endsLayerFrame))
        }
        return out
    }

    /// Near-equal piece lengths covering `total` bytes, the first at most `firstRoom` bytes and
    /// the others at most `laterRoom` (≥ `firstRoom`, since only the first carries the SS).
    static func pieceLengths(total: Int, firstRoom: Int, laterRoom: Int) -> [Int] {
        guard total > firstRoom else { return [total] }
        let count = 1 + (total - firstRoom + laterRoom - 1) / laterRoom
        let target = (total + count - 1) / count
        let head = min(firstRoom, target)
        let rest = total - head, others = count - 1
        let base = rest / others, extra = rest % others
        return [head] + (0..<others).map { base + ($0 < extra ? 1 : 0) }
    }

    /// Convenience: payloads of `frame` wrapped in RTP packets with consecutive sequence numbers
    /// starting at `sequenceNumber` (advanced past the last one used). The marker bit is set on
    /// the last packet (the end of the picture, RFC 9628 §4.1).
    public mutating func packets(for frame: EncodedFrame, payloadType: UInt8, ssrc: UInt32,
                                 sequenceNumber: inout UInt16) -> [RTPPacket] {
        packetize(frame.bytes, isKeyframe: frame.isKeyframe, width: frame.width, height: frame.height)
            .rtpPackets(payloadType: payloadType, ssrc: ssrc, timestamp: frame.rtpTimestamp, sequenceNumber: &sequenceNumber)
    }
}

/// A parsed VP9 RTP payload: its descriptor and the VP9 data after it (RFC 9628 §4).
public struct VP9Payload: Sendable, Hashable {
    public var descriptor: VP9PayloadDescriptor
    /// The VP9 bytes after the descriptor (never empty).
    public var data: ArraySlice<UInt8>

    public init(descriptor: VP9PayloadDescriptor, data: ArraySlice<UInt8>) {
        self.descriptor = descriptor
        self.data = data
    }

    /// Splits a VP9 RTP payload into descriptor and data.
    public static func parse(_ payload: [UInt8]) throws(VP9PayloadDescriptorParseError) -> VP9Payload {
        let (descriptor, length) = try VP9PayloadDescriptor.parse(payload[...])
        return VP9Payload(descriptor: descriptor, data: payload[(payload.startIndex + length)...])
    }

    /// True when this payload starts a keyframe: B = 1, the descriptor says the layer frame is
    /// independent (P = 0, D = 0), and the uncompressed header in the data, when it is long
    /// enough to read, says KEY_FRAME.
    public var startsKeyframe: Bool {
        guard descriptor.startsLayerFrame, descriptor.isIndependent else { return false }
        do {
            return try VP9FrameHeader.parse(data).isKeyframe
        } catch VP9FrameHeaderParseError.truncated {
            return true  // a first packet too short to hold the header: trust the descriptor
        } catch {
            return false
        }
    }

    /// The picture size this payload announces: from a keyframe's uncompressed header when the
    /// payload starts one, else from the scalability structure (the highest spatial layer's, or
    /// the layer named by the layer indices).
    public var resolution: (width: Int, height: Int)? {
        if descriptor.startsLayerFrame, let header = try? VP9FrameHeader.parse(data),
           let width = header.width, let height = header.height {
            return (width, height)
        }
        guard let resolutions = descriptor.scalabilityStructure?.resolutions, !resolutions.isEmpty else { return nil }
        let layer = Int(descriptor.layerIndices?.spatialLayerID ?? UInt8(resolutions.count - 1))
        let chosen = resolutions[min(layer, resolutions.count - 1)]
        return (Int(chosen.width), Int(chosen.height))
    }
}

/// The receive side of RFC 9628: parses payloads; `VideoFrameAssembler` rebuilds frames.
public enum VP9Depacketizer {
    /// Splits a VP9 RTP payload into descriptor and data (RFC 9628 §4.2).
    public static func depacketize(_ payload: [UInt8]) throws(VP9PayloadDescriptorParseError) -> VP9Payload {
        try VP9Payload.parse(payload)
    }
}
