#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress on standard error, only when it is a terminal (quiet in pipes, logs and tests).
enum Progress {
    static let enabled = isatty(2) != 0

    static func step<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
        if enabled { printError("\u{1b}[2K\r\(label)...", newline: false) }
        defer { if enabled { printError("\u{1b}[2K\r", newline: false) } }
        return try body()
    }

    /// "label [#####     ] 5/10" on one refreshed line.
    static func update(_ label: String, _ done: Int, of total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        printError("\u{1b}[2K\r\(label) [\(bar)] \(done)/\(total)", newline: done == total)
    }
}
