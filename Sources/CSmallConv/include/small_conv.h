#ifndef LOUPE_SMALL_CONV_H
#define LOUPE_SMALL_CONV_H
/*
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

/* The convolution, on the calling thread. src: [ic/8][h][w][8]; bias: oc values or NULL.
   dst: [oc][h][w], or with `shuffled` (oc must be 4) the ×2 pixel shuffle of that, one [2h][2w]
   plane (PyTorch's order: channel 2i + j goes to (2y + i, 2x + j)). */
void loupe_small_conv_run(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                          int oc, float *dst, int shuffled);

#ifdef __cplusplus
}
#endif
#endif
