import Foundation

/// Paths and helpers shared by the test targets.
public enum TestPaths {
    /// The repository root (this file is Tests/TestSupport/TestSupport.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let fixtures = root.appendingPathComponent("Fixtures")
    /// `../shared` beside the checkout: official pickles and goldens.
    public static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    public static let official = shared.appendingPathComponent("fixtures/official")

    /// The built `stylegan` binary (same folder as the test bundle).
    public static var stylegan: URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let u = candidate.appendingPathComponent("stylegan")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("stylegan")
    }

    /// A fresh empty directory under the system temporary folder.
    public static func temporaryDirectory(_ label: String = "stylegan-tests") throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }
}

public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs an executable to completion, capturing its output.
public func runProcess(_ executable: URL, _ arguments: [String], stdin: String? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = executable
    p.arguments = arguments
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    // Read both pipes fully before waiting, so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs the `stylegan` command line.
public func runCLI(_ arguments: [String]) throws -> ProcessResult {
    try runProcess(TestPaths.stylegan, arguments)
}

/// Runs `python3 -c script args...` (the independent reference: NumPy, zlib, struct).
public func runPython(_ script: String, _ arguments: [String] = []) throws -> ProcessResult {
    try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + arguments)
}
