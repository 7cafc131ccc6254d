import Tensors

/// The tensors of a source network by full source path, each to be consumed exactly once
/// (strict accounting: at the end, anything not consumed is an error naming it).
struct SourceTensors {
    private var tensors: [String: Tensor] = [:]
    private(set) var order: [String] = []
    private var consumed = Set<String>()

    mutating func add(_ path: String, _ tensor: Tensor) throws(ImportError) {
        guard tensors[path] == nil else { throw .malformed(path: path, "defined twice") }
        tensors[path] = tensor
        order.append(path)
    }

    func contains(_ path: String) -> Bool { tensors[path] != nil }
    func peek(_ path: String) -> Tensor? { tensors[path] }

    /// Takes the tensor at `path`, checking its shape when `shape` is given.
    mutating func take(_ path: String, shape: [Int]? = nil) throws(ImportError) -> Tensor {
        guard let t = tensors[path] else { throw .missingTensor(path: path) }
        if let shape, t.shape.dims != shape { throw .shapeMismatch(path: path, expected: shape, actual: t.shape.dims) }
        consumed.insert(path)
        return t
    }

    /// Marks tensors that are known and deliberately not used (e.g. TF `lod`).
    mutating func ignore(_ path: String) { if tensors[path] != nil { consumed.insert(path) } }

    func requireAllConsumed() throws(ImportError) {
        let left = order.filter { !consumed.contains($0) }
        if !left.isEmpty { throw .unusedTensors(left) }
    }
}
