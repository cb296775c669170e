// swift-tools-version: 6.2
// libFuzzer targets for Loupe's parsers of peer-controlled bytes. Build and run with scripts/fuzz
// (docs/fuzzing.md): the targets are instrumented for coverage and AddressSanitizer and linked
// against libFuzzer's no-main runtime, whose driver FuzzDriver starts.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]

func fuzzer(_ name: String, _ products: String...) -> Target {
    .executableTarget(name: name,
                      dependencies: ["FuzzDriver"] + products.map { .product(name: $0, package: "Loupe") },
                      swiftSettings: strict)
}

let package = Package(
    name: "LoupeFuzz",
    dependencies: [.package(name: "Loupe", path: "..")],
    targets: [
        .target(name: "FuzzDriver", swiftSettings: strict),
        fuzzer("FuzzRTP", "RTP"),
        fuzzer("FuzzRTCP", "RTP"),
        fuzzer("FuzzSTUN", "ICE"),
        fuzzer("FuzzSDP", "SDP", "Node", "SansIO"),
    ]
)
