#ifndef STYLEGAN_CPROTOBUFC_SHIM_H
#define STYLEGAN_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>

// PROTOBUF_C_VERSION_NUMBER is a macro; exposed as a function so Swift can report it.
static inline uint32_t sg_protobuf_c_header_version(void) { return PROTOBUF_C_VERSION_NUMBER; }
#endif
