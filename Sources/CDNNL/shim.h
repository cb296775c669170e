#ifndef LOUPE_CDNNL_SHIM_H
#define LOUPE_CDNNL_SHIM_H
/* oneDNN ships no .pc file: linked by name in module.modulemap. */
#include <oneapi/dnnl/dnnl.h>
#endif
