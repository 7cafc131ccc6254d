#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation

/// One line on standard error, as every failure the tool reports itself.
func printError(_ message: String, newline: Bool = true) {
    let line = newline ? message + "\n" : message
    _ = line.withCString { write(2, $0, strlen($0)) }
}

/// Runs a command body: any error becomes one readable line and exit code 1.
func reporting(_ body: () throws -> Void) throws {
    // Past a file size limit (ulimit -f) a write then fails with EFBIG and is reported like a
    // full disk, instead of SIGXFSZ killing the process (and leaving a temporary file).
    signal(SIGXFSZ, SIG_IGN)
    do {
        try body()
    } catch let e as ExitCode {
        throw e
    } catch {
        printError("error: " + String(describing: error).split(separator: "\n").joined(separator: " "))
        throw ExitCode(1)
    }
}

/// Creates `path` (and parents) and checks that files can be written in it, before any work.
func prepareOutputDirectory(_ path: String) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: path, isDirectory: &isDir) {
        guard isDir.boolValue else { throw CLIError("\(path): exists and is not a folder") }
    } else {
        do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw CLIError("\(path): cannot create the output folder (\(error.localizedDescription))")
        }
    }
    guard access(path, W_OK) == 0 else { throw CLIError("\(path): the output folder is not writable") }
}

/// Checks that a file can be created at `path` (its folder exists and is writable).
func checkWritable(file path: String) throws {
    let folder = (path as NSString).deletingLastPathComponent
    let dir = folder.isEmpty ? "." : folder
    guard access(dir, W_OK) == 0 else { throw CLIError("\(path): cannot write here (folder missing or not writable)") }
}
