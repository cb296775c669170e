#ifndef LOUPE_CSRTP_SHIM_H
#define LOUPE_CSRTP_SHIM_H
#include <srtp2/srtp.h>
#endif
