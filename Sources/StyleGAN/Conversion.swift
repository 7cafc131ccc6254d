import ByteIO
import Foundation
public import ModelFormat
public import Tensors

/// `stylegan convert`: any supported model → `.sgan`.
public enum Conversion {
    public struct Options: Sendable {
        public var dtype: DType
        public var network: String?
        /// Tensor-name prefixes stored in f32 whatever `dtype` says.
        public var keepF32: [String]
        /// Replace an existing destination.
        public var force: Bool
        public init(dtype: DType = .f32, network: String? = nil, keepF32: [String] = [], force: Bool = false) {
            self.dtype = dtype
            self.network = network
            self.keepF32 = keepF32
            self.force = force
        }
    }

    /// Converts `input` to `output`; `progress(done, total)` reports data bytes written.
    ///
    /// The source is read into private memory and refused if it changes meanwhile, so the
    /// output comes from one complete version of it (the one whose SHA-256 it records). Without
    /// `force`, an existing output is never replaced, even one another process creates meanwhile.
    public static func convert(_ input: String, to output: String, options: Options,
                               progress: ((Int, Int) -> Void)? = nil) throws -> SGANWriteSummary {
        guard SGANFormat.storageDTypes.contains(options.dtype) else {
            throw ModelFileError.failed(path: output, "--dtype must be f32, f16, bf16 or int8")
        }
        let exists = ModelFileError.failed(path: output, "already exists (use --force to replace it)")
        if !options.force, FileManager.default.fileExists(atPath: output) { throw exists }
        let bytes = try FileBytes.readUnchanging(path: input)
        let model = try ModelFile.naming(input) { try ModelFile.importModel(bytes: bytes, path: input, network: options.network, externalData: .readOnce) }
        let source = SGANSource(format: model.format.rawValue, file: (input as NSString).lastPathComponent,
                                sha256: ModelFile.sha256(bytes), network: model.network, parameterCount: model.parameterCount)
        let write = SGANWriteOptions(dtype: options.dtype, keepF32: options.keepF32, source: source,
                                     converter: "stylegan", converterVersion: StyleGANInfo.version)
        do throws(SGANError) {
            return try SGANWriter.write(model.graph, to: output, options: write, replacing: options.force) { progress?($0, $1) }
        } catch {
            if case .io(.alreadyExists) = error.kind { throw exists }
            throw error
        }
    }
}
