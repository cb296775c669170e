#include "small_conv.h"

#include <immintrin.h>
#include <stddef.h>

#define OCS LOUPE_SMALL_CONV_MAX_OC

int loupe_small_conv_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

long loupe_small_conv_packed_count(int ic) { return (long)(ic / 8) * 9 * OCS * 8; }

void loupe_small_conv_pack(const float *weights, int ic, int oc, float *packed) {
    for (int cb = 0; cb < ic / 8; cb++)
        for (int tap = 0; tap < 9; tap++)
            for (int o = 0; o < OCS; o++)
                for (int c = 0; c < 8; c++) {
                    float v = o < oc ? weights[((size_t)o * ic + cb * 8 + c) * 9 + tap] : 0.0f;
                    packed[(((size_t)cb * 9 + tap) * OCS + o) * 8 + c] = v;
                }
}

/* (a0, a1, a2, a3) lane sums → one 128-bit vector. */
__attribute__((target("avx2,fma"))) static inline __m128 sum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* Where output pixel (y, x) goes: 4 planes of h × w, or (shuffled) a 2 × 2 block of one 2h × 2w plane. */
typedef struct { float *dst; size_t plane; int w; int oc; int shuffled; } target_t;

__attribute__((target("avx2,fma"))) static inline void store4(const target_t *t, int y, int x, __m128 v) {
    if (t->shuffled) {
        float *top = t->dst + (size_t)(2 * y) * (size_t)(2 * t->w) + 2 * (size_t)x;
        _mm_storel_pi((__m64 *)top, v);                          /* channels 0, 1 → row 2y */
        _mm_storeh_pi((__m64 *)(top + 2 * (size_t)t->w), v);    /* channels 2, 3 → row 2y + 1 */
        return;
    }
    float s[4];
    _mm_storeu_ps(s, v);
    size_t at = (size_t)y * t->w + x;
    for (int o = 0; o < t->oc; o++) t->dst[o * t->plane + at] = s[o];
}

/* One output pixel with bounds checks (the frame's left and right columns). */
__attribute__((target("avx2,fma"))) static void pixel(const float *src, int icb, int h, int w, const float *packed,
                                                     __m128 bias, const target_t *t, int y, int x) {
    __m256 acc[OCS];
    for (int o = 0; o < OCS; o++) acc[o] = _mm256_setzero_ps();
    for (int cb = 0; cb < icb; cb++)
        for (int ky = 0; ky < 3; ky++) {
            int yy = y + ky - 1;
            if (yy < 0 || yy >= h) continue;
            const float *row = src + ((size_t)cb * h + yy) * w * 8;
            for (int kx = 0; kx < 3; kx++) {
                int xx = x + kx - 1;
                if (xx < 0 || xx >= w) continue;
                __m256 v = _mm256_loadu_ps(row + (size_t)xx * 8);
                const float *wp = packed + ((size_t)(cb * 9 + ky * 3 + kx) * OCS) * 8;
                for (int o = 0; o < OCS; o++) acc[o] = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + o * 8), acc[o]);
            }
        }
    store4(t, y, x, _mm_add_ps(sum4(acc[0], acc[1], acc[2], acc[3]), bias));
}

__attribute__((target("avx2,fma"))) static void run_avx2(const float *src, int ic, int h, int w, const float *packed,
                                                        const float *bias, int oc, float *dst, int shuffled) {
    int icb = ic / 8;
    target_t t = {dst, (size_t)h * w, w, oc, shuffled};
    float b[4] = {0, 0, 0, 0};
    for (int o = 0; o < oc && o < OCS; o++) b[o] = bias ? bias[o] : 0.0f;
    __m128 bv = _mm_loadu_ps(b);
    for (int y = 0; y < h; y++) {
        if (w <= 2) {
            for (int x = 0; x < w; x++) pixel(src, icb, h, w, packed, bv, &t, y, x);
            continue;
        }
        pixel(src, icb, h, w, packed, bv, &t, y, 0);
        /* interior columns [1, w-1) two at a time: every horizontal tap is inside the frame */
        int x = 1;
        for (; x + 1 < w - 1; x += 2) {
            __m256 p0 = _mm256_setzero_ps(), p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps(), p3 = _mm256_setzero_ps();
            __m256 q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps(), q2 = _mm256_setzero_ps(), q3 = _mm256_setzero_ps();
            for (int cb = 0; cb < icb; cb++)
                for (int ky = 0; ky < 3; ky++) {
                    int yy = y + ky - 1;
                    if (yy < 0 || yy >= h) continue;
                    const float *in = src + (((size_t)cb * h + yy) * w + (x - 1)) * 8;
                    const float *wp = packed + ((size_t)(cb * 9 + ky * 3) * OCS) * 8;
                    for (int kx = 0; kx < 3; kx++, in += 8, wp += OCS * 8) {
                        __m256 u = _mm256_loadu_ps(in), v = _mm256_loadu_ps(in + 8);
                        __m256 w0 = _mm256_loadu_ps(wp), w1 = _mm256_loadu_ps(wp + 8);
                        __m256 w2 = _mm256_loadu_ps(wp + 16), w3 = _mm256_loadu_ps(wp + 24);
                        p0 = _mm256_fmadd_ps(u, w0, p0); q0 = _mm256_fmadd_ps(v, w0, q0);
                        p1 = _mm256_fmadd_ps(u, w1, p1); q1 = _mm256_fmadd_ps(v, w1, q1);
                        p2 = _mm256_fmadd_ps(u, w2, p2); q2 = _mm256_fmadd_ps(v, w2, q2);
                        p3 = _mm256_fmadd_ps(u, w3, p3); q3 = _mm256_fmadd_ps(v, w3, q3);
                    }
                }
            store4(&t, y, x, _mm_add_ps(sum4(p0, p1, p2, p3), bv));
            store4(&t, y, x + 1, _mm_add_ps(sum4(q0, q1, q2, q3), bv));
        }
        for (; x < w; x++) pixel(src, icb, h, w, packed, bv, &t, y, x);
    }
}

void loupe_small_conv_run(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                          int oc, float *dst, int shuffled) {
    if (ic <= 0 || ic % 8 != 0 || oc <= 0 || oc > OCS || h <= 0 || w <= 0 || (shuffled && oc != 4)) return;
    run_avx2(src, ic, h, w, packed, bias, oc, dst, shuffled);
}
