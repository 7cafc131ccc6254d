import ArgumentParser

struct Inspect: PendingCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model file holds: format, generator family, configuration and tensors.")
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
}
