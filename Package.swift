// swift-tools-version: 6.2
// Loupe — a real-time WebRTC media node. See docs/architecture.md.
import PackageDescription

/// CI sets LOUPE_WERROR=1: every warning in the project's own targets fails the build.
let werror = Context.environment["LOUPE_WERROR"] == "1"

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
] + (werror ? [.treatAllWarnings(as: .error)] : [])

/// For the targets whose pixel loops run on the node's real-time path (bicubic, tiles, SSIM, the
/// synthetic scene): optimized in debug builds too, where they ran ~10× slower unoptimized, too
/// slow for the restored rendition in the debug-built interop tests.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// A C library wrapped as a system-library target: `Sources/<name>/module.modulemap` + `shim.h`.
func cLibrary(_ name: String, pkgConfig: String? = nil, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkgConfig, providers: [.apt([apt])])
}

let package = Package(
    name: "Loupe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loupe", targets: ["loupe"]),
        .library(name: "SansIO", targets: ["SansIO"]),
        .library(name: "RTP", targets: ["RTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "ICE", targets: ["ICE"]),
        .library(name: "DTLS", targets: ["DTLS"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "Node", targets: ["Node"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C libraries (Debian -dev packages; scripts/setup installs them).
        cLibrary("CVPX", pkgConfig: "vpx", apt: "libvpx-dev"),
        cLibrary("CSRTP", pkgConfig: "libsrtp2", apt: "libsrtp2-dev"),
        cLibrary("COpenSSL", pkgConfig: "openssl", apt: "libssl-dev"),
        cLibrary("COpus", pkgConfig: "opus", apt: "libopus-dev"),
        cLibrary("CYUV", apt: "libyuv-dev"),
        cLibrary("CDNNL", apt: "libdnnl-dev"),
        // The one convolution oneDNN 2.6 runs poorly (few output channels): docs/benchmarks.md.
        .target(name: "CSmallConv", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // Protocol core (sans-IO).
        .target(name: "SansIO", swiftSettings: strict),
        .target(name: "RTP", swiftSettings: strict),
        .target(name: "SDP", swiftSettings: strict),
        .target(name: "ICE", dependencies: ["SansIO", "COpenSSL"], swiftSettings: strict),
        .target(name: "DTLS", dependencies: ["SansIO", "COpenSSL"], swiftSettings: strict),
        .target(name: "SRTP", dependencies: ["CSRTP"], swiftSettings: strict),

        // Media: codecs (libvpx, libopus), RTP payload formats, scaling (libyuv), quality metrics.
        .target(name: "Media", dependencies: ["SansIO", "RTP", "CVPX", "CYUV", "COpus"],
                swiftSettings: strict + optimizedInDebug),

        // Restoration networks: safetensors model files run on oneDNN (issue 6).
        .target(name: "Inference", dependencies: ["CDNNL", "CSmallConv"], swiftSettings: strict + optimizedInDebug),
        .target(name: "Restoration", dependencies: ["Media", "Inference", "SansIO"],
                resources: [.copy("Models")], swiftSettings: strict + optimizedInDebug),

        // Bandwidth estimation and network emulation (issue 4).
        .target(name: "BandwidthEstimation", dependencies: ["SansIO", "RTP"], swiftSettings: strict),
        .target(name: "NetworkEmulator", dependencies: ["SansIO"], swiftSettings: strict),
        // Simulated WebRTC peers for the emulator and `loupe publish` (issue 4).
        .target(name: "Peer", dependencies: ["SansIO", "RTP", "ICE", "DTLS", "SRTP", "BandwidthEstimation", "Media"], swiftSettings: strict),
        // Scenario files → node + simulated peers over emulated links → summary and timeseries.
        .target(name: "Simulation",
                dependencies: ["NetworkEmulator", "Node", "Peer", "Media", "DTLS", "SansIO", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),

        // The node: sans-IO core, and the server that gives it sockets and a clock.
        .target(name: "Node", dependencies: ["SansIO", "RTP", "SDP", "ICE", "DTLS", "SRTP", "BandwidthEstimation", "Media"],
                swiftSettings: strict),
        .target(
            name: "Server",
            dependencies: [
                "Node", "SansIO", "DTLS", "Media", "Inference", "Restoration",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Public")],
            swiftSettings: strict),

        .executableTarget(
            name: "loupe",
            dependencies: [
                "SansIO", "RTP", "SDP", "ICE", "DTLS", "SRTP", "Node", "Server", "Simulation", "Media", "Restoration",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        .testTarget(name: "SansIOTests", dependencies: ["SansIO"], swiftSettings: strict),
        .testTarget(name: "RTPTests", dependencies: ["RTP", "SansIO"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "SDPTests", dependencies: ["SDP"],
                    resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "ICETests", dependencies: ["ICE", "SansIO"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS"], swiftSettings: strict),
        .testTarget(name: "SRTPTests", dependencies: ["SRTP"], swiftSettings: strict),
        .testTarget(name: "MediaTests", dependencies: ["Media", "RTP", "SansIO"], swiftSettings: strict),
        .testTarget(name: "InferenceTests", dependencies: ["Inference", "SansIO"], swiftSettings: strict),
        .testTarget(name: "RestorationTests", dependencies: ["Restoration", "Inference", "Media", "SansIO"],
                    swiftSettings: strict),
        .testTarget(name: "BandwidthEstimationTests", dependencies: ["BandwidthEstimation", "RTP", "SansIO"],
                    swiftSettings: strict),
        .testTarget(name: "NetworkEmulatorTests", dependencies: ["NetworkEmulator", "SansIO"], swiftSettings: strict),
        .testTarget(name: "SimulationTests", dependencies: ["NetworkEmulator", "Peer", "Node", "DTLS", "SansIO", "Simulation", "Media"],
                    swiftSettings: strict),
        .testTarget(name: "NodeTests", dependencies: ["Node", "RTP", "SansIO", "ICE", "DTLS", "SRTP", "Media"], swiftSettings: strict),
        .testTarget(name: "ServerTests", dependencies: ["Server"], swiftSettings: strict),
        .testTarget(name: "CLibrariesTests",
                    dependencies: ["CVPX", "CSRTP", "COpenSSL", "COpus", "CYUV", "CDNNL"],
                    swiftSettings: strict),
        .testTarget(name: "ProtocolIntegrationTests",
                    dependencies: ["SansIO", "RTP", "DTLS", "SRTP"], swiftSettings: strict),
    ]
)
