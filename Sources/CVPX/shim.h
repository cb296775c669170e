#ifndef LOUPE_CVPX_SHIM_H
#define LOUPE_CVPX_SHIM_H
#include <vpx/vpx_encoder.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

/* VPX_ENCODER_ABI_VERSION / VPX_DECODER_ABI_VERSION are macro expressions Swift cannot import. */
static inline int loupe_vpx_encoder_abi_version(void) { return VPX_ENCODER_ABI_VERSION; }
static inline int loupe_vpx_decoder_abi_version(void) { return VPX_DECODER_ABI_VERSION; }

/* vpx_codec_enc_init / vpx_codec_dec_init are macros over the _ver functions. */
static inline vpx_codec_err_t loupe_vpx_enc_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                 const vpx_codec_enc_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_enc_init_ver(ctx, iface, cfg, flags, VPX_ENCODER_ABI_VERSION);
}
static inline vpx_codec_err_t loupe_vpx_dec_init(vpx_codec_ctx_t *ctx, vpx_codec_iface_t *iface,
                                                 const vpx_codec_dec_cfg_t *cfg, vpx_codec_flags_t flags) {
    return vpx_codec_dec_init_ver(ctx, iface, cfg, flags, VPX_DECODER_ABI_VERSION);
}
#endif
