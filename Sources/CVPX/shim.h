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
/* vpx_codec_control is a macro over the variadic vpx_codec_control_; one typed wrapper per control used. */
static inline vpx_codec_err_t loupe_vp8e_set_cpuused(vpx_codec_ctx_t *ctx, int v) {
    return vpx_codec_control_(ctx, VP8E_SET_CPUUSED, v);
}
static inline vpx_codec_err_t loupe_vp8e_set_noise_sensitivity(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP8E_SET_NOISE_SENSITIVITY, v);
}
static inline vpx_codec_err_t loupe_vp8e_set_static_threshold(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP8E_SET_STATIC_THRESHOLD, v);
}
static inline vpx_codec_err_t loupe_vp8e_set_token_partitions(vpx_codec_ctx_t *ctx, int v) {
    return vpx_codec_control_(ctx, VP8E_SET_TOKEN_PARTITIONS, v);
}
static inline vpx_codec_err_t loupe_vp8e_set_max_intra_bitrate_pct(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, v);
}
static inline vpx_codec_err_t loupe_vp8e_get_last_quantizer(vpx_codec_ctx_t *ctx, int *v) {
    return vpx_codec_control_(ctx, VP8E_GET_LAST_QUANTIZER, v);
}
static inline vpx_codec_err_t loupe_vp9e_set_aq_mode(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP9E_SET_AQ_MODE, v);
}
static inline vpx_codec_err_t loupe_vp9e_set_tile_columns(vpx_codec_ctx_t *ctx, int v) {
    return vpx_codec_control_(ctx, VP9E_SET_TILE_COLUMNS, v);
}
static inline vpx_codec_err_t loupe_vp9e_set_row_mt(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP9E_SET_ROW_MT, v);
}
static inline vpx_codec_err_t loupe_vp9e_set_frame_parallel_decoding(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP9E_SET_FRAME_PARALLEL_DECODING, v);
}
static inline vpx_codec_err_t loupe_vp9e_set_noise_sensitivity(vpx_codec_ctx_t *ctx, unsigned int v) {
    return vpx_codec_control_(ctx, VP9E_SET_NOISE_SENSITIVITY, v);
}
static inline vpx_codec_err_t loupe_vp8d_get_frame_corrupted(vpx_codec_ctx_t *ctx, int *v) {
    return vpx_codec_control_(ctx, VP8D_GET_FRAME_CORRUPTED, v);
}
/* The quantizer index (VP8 0…127, VP9 0…255) of the last decoded frame. */
static inline vpx_codec_err_t loupe_vpxd_get_last_quantizer(vpx_codec_ctx_t *ctx, int *v) {
    return vpx_codec_control_(ctx, VPXD_GET_LAST_QUANTIZER, v);
}
#endif
