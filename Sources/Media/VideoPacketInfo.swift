/// Why a VP8 or VP9 RTP payload could not be parsed.
public enum VideoPayloadParseError: Error, Sendable, Hashable {
    case vp8(VP8PayloadDescriptorParseError)
    case vp9(VP9PayloadDescriptorParseError)
}

/// Why a complete VP8 or VP9 frame's uncompressed header could not be parsed.
public enum VideoFrameHeaderParseError: Error, Sendable, Hashable {
    case vp8(VP8FrameHeaderParseError)
    case vp9(VP9FrameHeaderParseError)
}

/// What the frame assembler needs to know about one RTP payload, whatever the codec.
struct VideoPacketInfo: Sendable {
    enum Kind: Sendable {
        /// A payload carrying codec data.
        case media
        /// An empty payload (RTP padding only), sent to probe bandwidth; it belongs to no frame.
        case padding
        /// A payload whose descriptor did not parse; it breaks any frame it falls in.
        case invalid
    }

    var kind: Kind
    /// The payload begins a frame (VP8: S = 1 and PID = 0; VP9: B = 1, a layer frame).
    var startsFrame = false
    /// The payload ends a frame (VP8: the RTP marker; VP9: E = 1 or the marker).
    var endsFrame = false
    /// With `startsFrame`: the frame needs no earlier frame (VP8 frame tag P = 0; VP9 P = 0,
    /// D = 0 and an uncompressed header saying KEY_FRAME).
    var startsKeyframe = false
    var pictureID: UInt16?
    var spatialLayerID: UInt8?
    var temporalLayerID: UInt8?
    /// A picture size announced by the payload itself (VP9: keyframe header or SS).
    var width: Int?
    var height: Int?
    /// The codec bytes after the descriptor.
    var data: ArraySlice<UInt8> = []

    static let padding = VideoPacketInfo(kind: .padding)
    static let invalid = VideoPacketInfo(kind: .invalid)

    /// Classifies one RTP payload of `codec`; `marker` is the RTP marker bit.
    static func classify(_ payload: [UInt8], codec: VideoCodec,
                         marker: Bool) throws(VideoPayloadParseError) -> VideoPacketInfo {
        if payload.isEmpty { return .padding }
        switch codec {
        case .vp8:
            let parsed: VP8Payload
            do {
                parsed = try VP8Payload.parse(payload)
            } catch {
                throw .vp8(error)
            }
            var info = VideoPacketInfo(kind: .media, startsFrame: parsed.descriptor.startsFrame, endsFrame: marker,
                                       pictureID: parsed.descriptor.pictureID?.value,
                                       temporalLayerID: parsed.descriptor.temporalLayerID, data: parsed.data)
            // RFC 7741 §4.3: the first data octet of a frame's first packet holds the P bit.
            if info.startsFrame, let tag = parsed.data.first { info.startsKeyframe = tag & 0x01 == 0 }
            return info
        case .vp9:
            let parsed: VP9Payload
            do {
                parsed = try VP9Payload.parse(payload)
            } catch {
                throw .vp9(error)
            }
            let descriptor = parsed.descriptor
            let resolution = parsed.resolution
            return VideoPacketInfo(kind: .media, startsFrame: descriptor.startsLayerFrame,
                                   endsFrame: descriptor.endsLayerFrame || marker,
                                   startsKeyframe: parsed.startsKeyframe, pictureID: descriptor.pictureID?.value,
                                   spatialLayerID: descriptor.layerIndices?.spatialLayerID,
                                   temporalLayerID: descriptor.layerIndices?.temporalLayerID,
                                   width: resolution?.width, height: resolution?.height, data: parsed.data)
        }
    }
}

/// What a complete frame's uncompressed header says.
struct VideoFrameSummary: Sendable {
    var isKeyframe: Bool
    var width: Int?
    var height: Int?

    /// Reads the frame header of a whole `codec` frame (RFC 6386 §9.1; VP9 §6.2).
    static func read(_ bytes: [UInt8], codec: VideoCodec) throws(VideoFrameHeaderParseError) -> VideoFrameSummary {
        switch codec {
        case .vp8:
            do {
                let header = try VP8FrameHeader.parse(bytes)
                return VideoFrameSummary(isKeyframe: header.isKeyframe, width: header.width, height: header.height)
            } catch {
                throw .vp8(error)
            }
        case .vp9:
            do {
                let header = try VP9FrameHeader.parse(bytes)
                return VideoFrameSummary(isKeyframe: header.isKeyframe, width: header.width, height: header.height)
            } catch {
                throw .vp9(error)
            }
        }
    }
}
