#ifndef LOUPE_CSRTP_SHIM_H
#define LOUPE_CSRTP_SHIM_H
#include <srtp2/srtp.h>

/* ---- SRTP module (Sources/SRTP) ---- */
/* SRTP_MAX_TRAILER_LEN is a macro expression: the room libsrtp may append to an RTP packet. */
static inline int loupe_srtp_max_trailer_len(void) { return SRTP_MAX_TRAILER_LEN; }
/* srtp_protect_rtcp may append the trailer plus the 4-byte E||SRTCP index word. */
static inline int loupe_srtcp_max_trailer_len(void) { return SRTP_MAX_TRAILER_LEN + 4; }
#endif
