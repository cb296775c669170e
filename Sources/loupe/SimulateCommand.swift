import ArgumentParser
import Foundation
import Simulation

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scenario: the node and simulated peers over emulated links, under a virtual clock.",
        discussion: """
            Writes DIR/summary.json, DIR/timeseries.csv (200 ms rows) and the plots DIR/rates.png, \
            DIR/delay.png and DIR/loss.png. See docs/simulations.md.
            """)

    @Argument(help: "Scenario file (YAML), e.g. Simulations/rfc8867-5.1.yaml.") var scenario: String
    @Option(help: "Output folder.") var out: String
    @Flag(help: "Do not write the PNG plots.") var noPlots = false
    @Option(help: ArgumentHelp("Override the scenario's publisher source: scene (libvpx-encoded scene) or paced (no codec: packets of the target size, much faster).",
                               valueName: "scene|paced"))
    var source: String?

    func run() throws {
        var s: Scenario
        do { s = try Scenario.load(path: scenario) } catch { throw ValidationError(error.description) }
        switch source {
        case nil: break
        case "scene": s.source = .scene
        case "paced": s.source = .paced
        case let other?: throw ValidationError("--source: expected scene or paced, found \(other)")
        }
        let started = Date()
        let result = try ScenarioRunner.run(s, name: (scenario as NSString).lastPathComponent)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result.summary).write(to: URL(fileURLWithPath: out + "/summary.json"))
        try result.csv.write(toFile: out + "/timeseries.csv", atomically: true, encoding: .utf8)
        if !noPlots {
            let name = ((scenario as NSString).lastPathComponent as NSString).deletingPathExtension
            for file in try SimulationPlots(result, name: name).pngFiles() {
                try Data(file.bytes).write(to: URL(fileURLWithPath: out + "/" + file.name))
            }
        }
        let wall = Date().timeIntervalSince(started)
        print(String(data: try encoder.encode(result.summary), encoding: .utf8) ?? "")
        print(String(format: "simulated %.0f s in %.1f s of wall time", s.durationS, wall))
    }
}
