#ifndef LOUPE_SMALL_CONV_H
#define LOUPE_SMALL_CONV_H
/*
 * Two kernels oneDNN 2.6 runs slowly on AVX2, for the restoration network's shapes.
 *
 * A 3×3 convolution (stride 1, zero padding 1) with few output channels (1–4), reading oneDNN's
 * `aBcd8b` layout (channels in blocks of 8, innermost) and writing plain [oc][h][w] floats.
 *
 * Why: oneDNN 2.6's jit:avx2 direct convolution pads the output channels to a block of 8 and
 * then broadcasts each input value for one block only, so a network's last 16→4 convolution
 * (11 % of the multiply-accumulates) took ~22 % of its time. See docs/benchmarks.md.
 */
#ifdef __cplusplus
extern "C" {
#endif

/* Output channels the kernel handles (the packed weights always hold this many). */
#define LOUPE_SMALL_CONV_MAX_OC 4

/* 1 when this CPU has AVX2 and FMA (the fast path); 0: callers should use oneDNN instead. */
int loupe_small_conv_available(void);

/* Floats `loupe_small_conv_pack` writes for `ic` input channels (ic a multiple of 8). */
long loupe_small_conv_packed_count(int ic);

/* weights [oc][ic][3][3] (PyTorch's OIHW), oc ≤ 4 → packed [ic/8][3][3][4][8]; missing output
   channels are zero. */
void loupe_small_conv_pack(const float *weights, int ic, int oc, float *packed);

/* 1 when libgomp (loaded with libdnnl) is in the process: the kernels can then split their rows
   over OpenMP's threads, the pool oneDNN uses; 0: `threads` > 1 runs on the calling thread. */
int loupe_small_conv_parallel_available(void);

/* The convolution. src: [ic/8][h][w][8]; bias: oc values or NULL. dst: [oc][h][w], or with
   `shuffled` (oc must be 4) the ×2 pixel shuffle of that, one [2h][2w] plane (PyTorch's order:
   channel 2i + j goes to (2y + i, 2x + j)). threads > 1: rows split over that many OpenMP
   threads, the calling thread among them. */
void loupe_small_conv_run(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                          int oc, float *dst, int shuffled, int threads);

/* The same with a bias that depends on the output pixel's place (a model's block-grid
   conditioning): row_bias (h × 4 floats, replacing `bias`) gives row y's bias, col_bias (w × 4)
   adds column x's shift; either may be NULL. Output channels ≥ oc of each entry are ignored. */
void loupe_small_conv_run_grid(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                               const float *row_bias, const float *col_bias, int oc, float *dst, int shuffled,
                               int threads);

/*
 * A 3×3 convolution (stride 1, zero padding 1) with 16 output channels, from channels in blocks
 * of `ib` (8: `aBcd8b`; 1: plain NCHW) to `aBcd8b`, with its bias and a per-channel PReLU applied
 * as the results are stored.
 *
 * Why: oneDNN 2.6's jit:avx2 convolution cannot fuse a per-channel PReLU (only its reference
 * implementation takes one), so each activation was its own pass over a 14.7 MB feature map, and
 * its 16→16 convolutions ran at ~75 % of this kernel's speed. See docs/benchmarks.md.
 */

/* Floats `loupe_conv16_pack` writes for `ic` input channels. */
long loupe_conv16_packed_count(int ic);

/* weights [16][ic][3][3] (OIHW) → packed [ic/ib][3][3][ib][16]; ib is 1 or 8 and divides ic. */
void loupe_conv16_pack(const float *weights, int ic, int ib, float *packed);

/* The convolution. src: [ic/ib][h][w][ib]; dst: [2][h][w][8] (must not overlap src); bias: 16
   values or NULL; slopes: 16 PReLU slopes (0: ReLU) or NULL (none); threads as above. */
void loupe_conv16_run(const float *src, int ic, int ib, int h, int w, const float *packed, const float *bias,
                      const float *slopes, float *dst, int threads);

/* The same with a bias that depends on the output pixel's place: row_bias (h × 16 floats,
   replacing `bias`) gives row y's bias, col_bias (w × 16) adds column x's shift, before the
   PReLU; either may be NULL. */
void loupe_conv16_run_grid(const float *src, int ic, int ib, int h, int w, const float *packed, const float *bias,
                           const float *row_bias, const float *col_bias, const float *slopes, float *dst, int threads);

#ifdef __cplusplus
}
#endif
#endif
