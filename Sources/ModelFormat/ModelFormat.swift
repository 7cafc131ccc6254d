// The `ModelFormat` module: the `.sgan` native format (specification: Schemas/SGAN.md).
//
//   SGANFormat                constants, limits and the 64-byte preamble
//   SGANHeader(+Model/Decode) the JSON header: tensor table, provenance, the canonical graph
//   SGANStoragePolicy         which tensor is stored in which dtype
//   SGANCodec                 f32 → f16 / bf16 / int8 (per-channel scales) and back
//   SGANWriter(+Layout)       streaming, verified, atomic writer (through ByteIO's AtomicFileWriter)
//   SGANFile(+Structure)      memory-mapped, validating reader
//   JSON*                     the header's JSON reader and writer (bounded, exact for binary32)
