import Testing
@testable import Server

@Suite struct ConfigurationTests {
    @Test func emptyFileGivesDefaults() throws {
        let c = try LoupeConfiguration.parse(yaml: "\n")
        #expect(c == LoupeConfiguration())
        #expect(c.http.listen == "127.0.0.1:8080" && c.udp.listen == "127.0.0.1:50000")
        #expect(c.limits.maxBodyBytes == 65_536)
    }

    @Test func shippedConfigParsesToTheDefaults() throws {
        // Config/loupe.yaml documents every key with its default value.
        let c = try LoupeConfiguration.load(path: #filePath.replacingOccurrences(
            of: "Tests/ServerTests/ConfigurationTests.swift", with: "Config/loupe.yaml"))
        #expect(c == LoupeConfiguration())
    }

    @Test func readsNestedKeys() throws {
        let c = try LoupeConfiguration.parse(yaml: """
            http: {listen: "0.0.0.0:9000"}
            udp: {public_ips: ["192.0.2.10"]}
            auth: {token: s3cret, rooms: {lobby: other}, admin_token: ops}
            forwarding: {video_codecs: [vp9], max_publish_kbps: 800}
            """)
        #expect(c.http.listen == "0.0.0.0:9000")
        #expect(c.udp.publicIPs == ["192.0.2.10"])
        #expect(c.auth.token(for: "lobby") == "other")
        #expect(c.auth.token(for: "anything") == "s3cret")
        #expect(c.auth.adminToken == "ops")
        #expect(c.forwarding.videoCodecs == ["vp9"] && c.forwarding.maxPublishKbps == 800)
    }

    @Test func readsProcessingKeys() throws {
        let c = try LoupeConfiguration.parse(yaml: """
            processing: {enabled: false, max_width: 960, max_height: 540, start_kbps: 600, min_kbps: 200,
                         max_kbps: 1200, fps: 25, deadline_ms: 80}
            """)
        #expect(!c.processing.enabled && c.processing.maxWidth == 960 && c.processing.maxHeight == 540)
        #expect(c.processing.startKbps == 600 && c.processing.minKbps == 200 && c.processing.maxKbps == 1200)
        #expect(c.processing.fps == 25 && c.processing.deadlineMs == 80)
    }

    @Test func frameBudgetIsAutoOrMilliseconds() throws {
        #expect(LoupeConfiguration().processing.frameBudgetMs == nil)
        #expect(try LoupeConfiguration.parse(yaml: "processing: {frame_budget_ms: auto}").processing.frameBudgetMs == nil)
        #expect(try LoupeConfiguration.parse(yaml: "processing: {frame_budget_ms: 45}").processing.frameBudgetMs == 45)
        #expect {
            try LoupeConfiguration.parse(yaml: "processing: {frame_budget_ms: fast}")
        } throws: { error in
            let text = "\(error)"
            return text.contains("processing.frame_budget_ms") && text.contains("milliseconds or auto")
        }
    }

    @Test(arguments: [
        ("processing: {start_kbps: 5000}", "processing.start_kbps"),
        ("processing: {min_kbps: 0}", "processing.min_kbps"),
        ("processing: {max_width: 8}", "processing.max_width"),
        ("processing: {fps: 0}", "processing.fps"),
        ("processing: {deadline: 3}", "processing.deadline"),
        ("processing: {frame_budget_ms: 0}", "processing.frame_budget_ms"),
    ])
    func badProcessingValuesAreNamed(_ yaml: String, _ key: String) {
        #expect {
            try LoupeConfiguration.parse(yaml: yaml)
        } throws: { error in
            "\(error)".contains(key)
        }
    }

    /// An empty token would match an empty `Authorization: Bearer ` header: refused, not open.
    @Test(arguments: ["auth: {token: \"\"}", "auth: {admin_token: \"\"}", "auth: {rooms: {lobby: \"\"}}"])
    func emptyTokensAreRefused(_ yaml: String) {
        #expect {
            try LoupeConfiguration.parse(yaml: yaml)
        } throws: { error in
            "\(error)".contains("is empty")
        }
    }

    @Test func unknownKeyIsNamed() {
        #expect {
            try LoupeConfiguration.parse(yaml: "limits: {max_sesions: 3}")
        } throws: { error in
            "\(error)".contains("limits.max_sesions")
        }
    }

    @Test func wrongTypeNamesTheKeyAndExpectation() {
        #expect {
            try LoupeConfiguration.parse(yaml: "limits: {max_sessions: many}")
        } throws: { error in
            let text = "\(error)"
            return text.contains("limits.max_sessions") && text.contains("Int")
        }
    }

    @Test func missingFileIsAClearError() {
        #expect {
            try LoupeConfiguration.load(path: "/nonexistent/loupe.yaml")
        } throws: { error in
            "\(error)".contains("/nonexistent/loupe.yaml")
        }
    }

    @Test(arguments: ["127.0.0.1", "host:", "host:99999", ":x"])
    func badHostPortIsRejected(_ text: String) {
        #expect(throws: ConfigurationError.self) { try HostPort(text, key: "http.listen") }
    }
}
