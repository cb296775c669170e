#ifndef LOUPE_COPUS_SHIM_H
#define LOUPE_COPUS_SHIM_H
#include <opus/opus.h>

/* opus_encoder_ctl is variadic with macro request codes: Swift cannot call it. */
static inline int loupe_opus_set_bitrate(OpusEncoder *enc, opus_int32 bps) {
    return opus_encoder_ctl(enc, OPUS_SET_BITRATE(bps));
}
static inline int loupe_opus_set_inband_fec(OpusEncoder *enc, opus_int32 on) {
    return opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(on));
}
static inline int loupe_opus_set_packet_loss_perc(OpusEncoder *enc, opus_int32 perc) {
    return opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(perc));
}
#endif
