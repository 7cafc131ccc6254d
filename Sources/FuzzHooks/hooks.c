// Declarations only (include/FuzzHooks.h); SwiftPM needs one source file per C target.
#include "FuzzHooks.h"
