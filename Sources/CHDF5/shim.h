#ifndef STYLEGAN_CHDF5_SHIM_H
#define STYLEGAN_CHDF5_SHIM_H
#include <hdf5.h>

// HDF5's type ids and flags are macros (several expand to H5open() plus a global); Swift
// cannot import those, so each becomes a static inline function here.
static inline hid_t sg_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t sg_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t sg_H5E_DEFAULT(void) { return H5E_DEFAULT; }
static inline unsigned sg_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned sg_H5F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline hid_t sg_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t sg_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t sg_H5T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t sg_H5T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t sg_H5T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t sg_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t sg_H5T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t sg_H5T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t sg_H5T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t sg_H5T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t sg_H5T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t sg_H5T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t sg_H5T_C_S1(void) { return H5T_C_S1; }
static inline size_t sg_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline hid_t sg_H5S_SCALAR_create(void) { return H5Screate(H5S_SCALAR); }

// Added for FileFormats (HDF5File/HDF5Writer).
static inline hid_t sg_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t sg_H5P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t sg_H5T_STD_I16LE(void) { return H5T_STD_I16LE; }
// H5Lget_info and H5L_info_t are versioned macros from HDF5 1.12 on; in C they resolve to the
// installed version, so this stays portable. 1: hard link, 0: soft/external, -1: error.
static inline int sg_link_is_hard(hid_t loc, const char *name) {
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
    return info.type == H5L_TYPE_HARD;
}
#endif
