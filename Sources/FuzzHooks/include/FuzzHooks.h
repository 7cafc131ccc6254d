#pragma once
#include <stddef.h>
#include <stdint.h>

// libFuzzer's own byte-level mutator, callable from a custom mutator (libFuzzer docs,
// "Structure-aware fuzzing"). Defined by libclang_rt.fuzzer, which `-sanitize=fuzzer` links.
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

// libFuzzer's driver entry (what its own `main` calls). SwiftPM gives an executable target its
// own `main`, so the driver's `main.swift` calls this instead of linking libFuzzer's.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
