/// An .npy/.npz file that cannot be read: one line, `FILE: problem (at byte N)`. For a member
/// of an .npz archive FILE is `archive.npz[name.npy]` and N counts from the member's start.
public struct NPYError: Error, Equatable, CustomStringConvertible {
    public let file: String
    /// Byte offset of the problem, when there is one place to point at.
    public let offset: Int?
    public let problem: String

    public init(file: String, offset: Int?, _ problem: String) {
        self.file = file
        self.offset = offset
        self.problem = problem
    }

    public var description: String {
        "\(file): \(problem)" + (offset.map { " (at byte \($0))" } ?? "")
    }
}
