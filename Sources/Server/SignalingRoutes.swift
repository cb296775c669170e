import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Node

/// WHIP (RFC 9725) and WHEP endpoints:
/// `POST /whip/{room}`, `POST /whep/{room}[?variant=restored]` → `201` + SDP answer + `Location`;
/// `PATCH` on the Location (trickle ICE, `application/trickle-ice-sdpfrag`) → `204`;
/// `DELETE` on the Location → `200`; `OPTIONS` → `204` with `Accept-Post` (and CORS headers).
struct SignalingRoutes: Sendable {
    let runtime: NodeRuntime
    let configuration: LoupeConfiguration

    func register(on router: Router<BasicRequestContext>) {
        for role in [SessionRole.publisher, .subscriber] {
            let base = role == .publisher ? "whip" : "whep"
            router.post("/\(base)/:room") { request, context in
                try await create(role: role, request: request, context: context)
            }
            router.on("/\(base)/:room", method: .options) { _, _ in
                Response(status: .noContent, headers: [.acceptPost: "application/sdp",
                                                       .allow: "OPTIONS, POST"])
            }
            router.delete("/\(base)/:room/:id") { request, context in
                try await end(role: role, request: request, context: context)
            }
            router.patch("/\(base)/:room/:id") { request, context in
                try await patch(role: role, request: request, context: context)
            }
            router.on("/\(base)/:room/:id", method: .options) { _, _ in
                Response(status: .noContent, headers: [.allow: "OPTIONS, PATCH, DELETE",
                                                       .acceptPatch: "application/trickle-ice-sdpfrag"])
            }
        }
    }

    private func create(role: SessionRole, request: Request, context: BasicRequestContext) async throws -> Response {
        let room = try validRoom(context)
        if let refusal = authorize(request, room: room) { return refusal }
        guard let type = request.headers[.contentType], type.lowercased().hasPrefix("application/sdp") else {
            return plain(.unsupportedMediaType, "Content-Type must be application/sdp")
        }
        let variant: Variant
        switch request.uri.queryParameters.get("variant") {
        case nil, "original": variant = .original
        case "restored": variant = .restored
        case let other?: return plain(.badRequest, "unknown variant '\(other)' (expected original or restored)")
        }
        guard role == .subscriber || variant == .original else {
            return plain(.badRequest, "variant applies to WHEP subscribers only")
        }
        let offer: String
        switch await readBody(request) {
        case let .text(text): offer = text
        case let .refused(response): return response
        }
        do {
            let created = try await runtime.createSession(role: role, room: room, variant: variant, offer: offer)
            let base = role == .publisher ? "whip" : "whep"
            return Response(
                status: .created,
                headers: [.contentType: "application/sdp",
                          .location: "/\(base)/\(room)/\(created.id)",
                          .eTag: "\"\(created.etag)\""],
                body: .init(byteBuffer: ByteBuffer(string: created.answer)))
        } catch {
            return plain(HTTPResponse.Status(code: error.status), error.reason)
        }
    }

    private func end(role: SessionRole, request: Request, context: BasicRequestContext) async throws -> Response {
        let room = try validRoom(context)
        if let refusal = authorize(request, room: room) { return refusal }
        let id = try context.parameters.require("id")
        do {
            try await runtime.endSession(id: id, role: role, room: room)
            return Response(status: .ok)
        } catch {
            return plain(HTTPResponse.Status(code: error.status), error.reason)
        }
    }

    private func patch(role: SessionRole, request: Request, context: BasicRequestContext) async throws -> Response {
        let room = try validRoom(context)
        if let refusal = authorize(request, room: room) { return refusal }
        let id = try context.parameters.require("id")
        guard let type = request.headers[.contentType],
              type.lowercased().hasPrefix("application/trickle-ice-sdpfrag") else {
            return plain(.unsupportedMediaType, "Content-Type must be application/trickle-ice-sdpfrag")
        }
        let fragment: String
        switch await readBody(request) {
        case let .text(text): fragment = text
        case let .refused(response): return response
        }
        let ifMatch = request.headers[.ifMatch]?.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        do {
            let etag = try await runtime.patchSession(id: id, role: role, room: room, fragment: fragment, ifMatch: ifMatch)
            return Response(status: .noContent, headers: [.eTag: "\"\(etag)\""])
        } catch {
            return plain(HTTPResponse.Status(code: error.status), error.reason)
        }
    }

    /// Room names: 1–64 characters of letters, digits, `-`, `_` and `.`.
    private func validRoom(_ context: BasicRequestContext) throws -> String {
        let room = try context.parameters.require("room")
        guard isValidRoomName(room) else { throw HTTPError(.badRequest, message: "room names are 1-64 characters of A-Z a-z 0-9 - _ .") }
        return room
    }

    /// `nil` when the request may proceed; otherwise the `401` to send (RFC 9725 §4.5, RFC 6750).
    private func authorize(_ request: Request, room: String) -> Response? {
        guard let token = configuration.auth.token(for: room) else { return nil }
        return bearerRefusal(request, token: token, reason: "this room needs a bearer token")
    }

    private enum BodyRead { case text(String), refused(Response) }

    private func readBody(_ request: Request) async -> BodyRead {
        do {
            let buffer = try await request.body.collect(upTo: configuration.limits.maxBodyBytes)
            guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
                return .refused(plain(.badRequest, "body is not UTF-8"))
            }
            return .text(text)
        } catch is NIOTooManyBytesError {
            return .refused(plain(.contentTooLarge, "body larger than \(configuration.limits.maxBodyBytes) bytes"))
        } catch {
            return .refused(plain(.badRequest, "could not read the body"))
        }
    }
}

/// A `text/plain` response whose body is the one-line reason.
func plain(_ status: HTTPResponse.Status, _ reason: String) -> Response {
    Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(string: reason + "\n")))
}

/// Room names: 1–64 characters of letters, digits, `-`, `_` and `.`.
func isValidRoomName(_ room: String) -> Bool {
    (1...64).contains(room.count) && room.allSatisfy {
        $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".")
    }
}

/// `nil` when `request` presents `Authorization: Bearer <token>`; otherwise a `401` with
/// `WWW-Authenticate: Bearer` and `reason` (RFC 6750 §3). The comparison takes the same time
/// wherever the strings differ.
func bearerRefusal(_ request: Request, token: String, reason: String) -> Response? {
    let presented = request.headers[.authorization].flatMap { value -> String? in
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
    if let presented, constantTimeEqual(presented, token) { return nil }
    var response = plain(.unauthorized, reason)
    response.headers[.wwwAuthenticate] = "Bearer realm=\"loupe\""
    return response
}

private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<x.count { diff |= x[i] ^ y[i] }
    return diff == 0
}

extension HTTPField.Name {
    static let acceptPost = Self("Accept-Post")!
    static let acceptPatch = Self("Accept-Patch")!
}
