/// A graph that does not hold together, naming the node or tensor.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    case duplicateTensor(String)
    case duplicateNode(String)
    case missingTensor(node: String, tensor: String)
    case unknownInput(node: String, input: String)
    case shapeMismatch(node: String, detail: String)
    case unusedTensor(String)

    public var description: String {
        switch self {
        case .duplicateTensor(let n): "tensor \(n) is defined twice"
        case .duplicateNode(let n): "node \(n) is defined twice"
        case let .missingTensor(node, tensor): "node \(node) needs tensor \(tensor), which the graph does not have"
        case let .unknownInput(node, input): "node \(node) reads \(input), which no earlier node produces"
        case let .shapeMismatch(node, detail): "node \(node): \(detail)"
        case .unusedTensor(let n): "tensor \(n) is not used by any node"
        }
    }
}
