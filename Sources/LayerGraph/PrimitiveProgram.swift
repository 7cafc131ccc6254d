public import Tensors

/// A whole ONNX graph as primitive ops, with any inputs and outputs (not only StyleGAN-shaped):
/// what `ONNXProgramImporter` makes and `PrimitiveProgramRunner` runs. Shapes are concrete (the
/// program is imported for the shapes of the inputs it will be given).
public struct PrimitiveProgram: Sendable {
    public struct Input: Sendable, Hashable {
        /// The graph input's name.
        public var name: String
        /// The `.input` node that carries it.
        public var node: String
        public var type: ElementType
        /// The declared element type (what a given tensor must match).
        public var dtype: DType
        public var dims: [Int]
        public init(name: String, node: String, type: ElementType, dtype: DType, dims: [Int]) {
            self.name = name
            self.node = node
            self.type = type
            self.dtype = dtype
            self.dims = dims
        }
    }

    /// Where a graph output's value comes from.
    public enum Source: Sendable, Hashable {
        case node(String)
        case constant(PrimitiveConstant)
    }

    public struct Output: Sendable, Hashable {
        public var name: String
        public var source: Source
        public var type: ElementType
        /// The element type written out (the declared one when the graph declares one we store).
        public var dtype: DType
        public init(name: String, source: Source, type: ElementType, dtype: DType) {
            self.name = name
            self.source = source
            self.type = type
            self.dtype = dtype
        }
    }

    public var inputs: [Input]
    /// `.input` nodes for the inputs, then `.primitive` nodes in execution order.
    public var nodes: [Node]
    /// Graph tensors the primitives read (`Operand.tensor`), stored as float32.
    public var tensors: [String: Tensor]
    public var outputs: [Output]
    public var opset: Int

    public init(inputs: [Input], nodes: [Node], tensors: [String: Tensor], outputs: [Output], opset: Int) {
        self.inputs = inputs
        self.nodes = nodes
        self.tensors = tensors
        self.outputs = outputs
        self.opset = opset
    }
}
