#ifndef LOUPE_CYUV_SHIM_H
#define LOUPE_CYUV_SHIM_H
/* libyuv ships no .pc file: linked by name in module.modulemap. */
#include <libyuv.h>
#endif
