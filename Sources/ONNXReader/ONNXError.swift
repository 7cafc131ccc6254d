/// An ONNX file that cannot be read, always one line naming the file and the place inside it.
///
/// `context` is the path to the offending value (`graph 'main' / initializer 'w'`,
/// `graph 'main' / node 'Conv_3' (Conv) / attribute 'value'`); `offset` is the byte offset in the
/// file for errors found while checking the protobuf encoding.
public struct ONNXError: Error, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// The file could not be opened, inspected or mapped.
        case file
        /// A documented bound (`ONNXLimits`) would be exceeded.
        case limit
        /// The bytes are not a well-formed protobuf encoding of an ONNX model.
        case malformed
        /// The model decodes but breaks an ONNX rule (a negative dimension, a data length that
        /// does not match the shape, a duplicate name, a missing graph).
        case invalid
        /// A valid construct this reader does not implement (an element type, segmented tensors).
        case unsupported
        /// Tensor data stored in another file that may not or cannot be read.
        case externalData
    }

    public let kind: Kind
    /// The model file as given to `load`, or the name given to `decode`.
    public let file: String
    public let context: String?
    public let offset: Int?
    public let message: String

    public init(_ kind: Kind, file: String, context: String? = nil, offset: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.context = context
        self.offset = offset
        self.message = message
    }

    public var description: String {
        var s = "ONNX \(file)"
        if let context, !context.isEmpty { s += ": \(context)" }
        if let offset { s += " at byte \(offset)" }
        return Self.oneLine(s + ": " + message)
    }

    /// Control characters escaped so that names read from a file cannot break the line.
    static func oneLine(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for u in text.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7f || u.value == 0x2028 || u.value == 0x2029 {
                out += "\\x" + String(u.value, radix: 16)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A name from the file, quoted and bounded in length, for messages.
    static func quote(_ name: String) -> String {
        let short = name.count > 120 ? String(name.prefix(120)) + "…" : name
        return "'" + short + "'"
    }
}
