#ifndef STYLEGAN_CONNXPROTO_SHIM_H
#define STYLEGAN_CONNXPROTO_SHIM_H
// Hand-written (not generated): what Swift needs besides the generated declarations.
#include "onnx.pb-c.h"

// The address of the root descriptor (Swift cannot take the address of an imported C constant
// reliably); the reader walks the descriptors to check nesting before protobuf-c recurses.
static inline const ProtobufCMessageDescriptor *sg_onnx_model_descriptor(void) {
    return &onnx__model_proto__descriptor;
}
#endif
