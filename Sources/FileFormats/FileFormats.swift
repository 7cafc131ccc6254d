// NPY/NPZ, HDF5 and PNG.
