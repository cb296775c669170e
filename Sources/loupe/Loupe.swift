import ArgumentParser

@main
struct Loupe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Loupe, a real-time WebRTC media node.",
        subcommands: [Serve.self, Simulate.self, Degrade.self, Restore.self, Bench.self, SelfCheck.self, Cert.self, SDP.self,
                      Version.self])
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version of Loupe.")
    func run() { print("loupe 0.1.0") }
}
