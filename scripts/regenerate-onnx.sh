#!/usr/bin/env bash
# Regenerates the protobuf-c decoder for the ONNX subset (Schemas/onnx.proto) into
# Sources/CONNXProto. The generated files are committed; run this after editing the schema.
#
# Needs protoc-c (Debian: protobuf-c-compiler). The generated code must match the libprotobuf-c
# that the package links (pkg-config libprotobuf-c): protoc-c refuses older runtimes at compile
# time through PROTOBUF_C_MIN_COMPILER_VERSION.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
schema_dir="$root/Schemas"
target="$root/Sources/CONNXProto"

command -v protoc-c >/dev/null || { echo "protoc-c not found (apt-get install protobuf-c-compiler)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

protoc-c --proto_path="$schema_dir" --c_out="$work" "$schema_dir/onnx.proto"

# The .c file includes "onnx.pb-c.h"; SwiftPM puts include/ on the header search path.
mkdir -p "$target/include"
cp "$work/onnx.pb-c.c" "$target/onnx.pb-c.c"
cp "$work/onnx.pb-c.h" "$target/include/onnx.pb-c.h"

echo "regenerated with $(protoc-c --version | head -n1) (libprotobuf-c $(pkg-config --modversion libprotobuf-c 2>/dev/null || echo '?'))"
echo "  $target/onnx.pb-c.c"
echo "  $target/include/onnx.pb-c.h"
