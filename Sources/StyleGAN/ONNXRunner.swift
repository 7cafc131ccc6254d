/// Runs any ONNX graph we can import (any inputs and outputs) through the primitive runtime:
/// the graph is imported for the shapes of the given inputs (`ONNXProgramImporter`, constant
/// folding with the runtime's interpreter) and run (`PrimitiveProgramRunner`).
public enum ONNXRunner {
    /// Outputs in the graph's order, each in its declared element type (float32, int64, bool, ...).
    public static func run(path: String, inputs: [String: Tensor]) throws -> [(name: String, tensor: Tensor)] {
        let program = try ONNXProgramImporter.importProgram(path: path, inputs: inputs.mapValues { ($0.dtype, $0.shape.dims) },
                                                            evaluator: PrimitiveInterpreter())
        return try PrimitiveProgramRunner.run(program, inputs: inputs)
    }
}
