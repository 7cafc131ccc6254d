import ArgumentParser

/// Commands whose issue has not landed yet: they exist (so `--help` shows the whole tool),
/// take any arguments, and exit non-zero saying so.
protocol PendingCommand: ParsableCommand {}

extension PendingCommand {
    func run() throws {
        printError("stylegan \(Self._commandName): not implemented yet")
        throw ExitCode(2)
    }
}

struct Bench: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure generation speed (median seconds per image) on this machine.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
