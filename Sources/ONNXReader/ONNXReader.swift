internal import CProtobufC

/// ONNX protobuf decoding through libprotobuf-c (the decoder itself arrives with the ONNX issue).
public enum ONNXLibrary {
    /// The libprotobuf-c version linked at run time, e.g. "1.4.1".
    public static var protobufCVersion: String { String(cString: protobuf_c_version()) }
}
