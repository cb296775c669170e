#include "small_conv.h"

#include <dlfcn.h>
#include <immintrin.h>
#include <pthread.h>
#include <stddef.h>

#define OCS LOUPE_SMALL_CONV_MAX_OC

/* ---- rows split over OpenMP's threads ----
   Debian's libdnnl runs on libgomp, so the process already has its thread pool. The kernels use
   the same pool through libgomp's GOMP_parallel (what GCC emits for `#pragma omp parallel`),
   looked up with dlsym like the Swift side's omp_set_num_threads, so nothing links libgomp twice
   and a second OpenMP runtime never starts. */
typedef void (*gomp_parallel_t)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*omp_int_t)(void);
static gomp_parallel_t gomp_parallel;
static omp_int_t omp_thread_num, omp_num_threads;
static pthread_once_t omp_once = PTHREAD_ONCE_INIT;

static void omp_lookup(void) {
    gomp_parallel = (gomp_parallel_t)dlsym(RTLD_DEFAULT, "GOMP_parallel");
    omp_thread_num = (omp_int_t)dlsym(RTLD_DEFAULT, "omp_get_thread_num");
    omp_num_threads = (omp_int_t)dlsym(RTLD_DEFAULT, "omp_get_num_threads");
}

int loupe_small_conv_parallel_available(void) {
    pthread_once(&omp_once, omp_lookup);
    return gomp_parallel && omp_thread_num && omp_num_threads;
}

typedef void (*rows_fn)(const void *args, int y0, int y1);
typedef struct { rows_fn rows; const void *args; int h; } rows_job_t;

static void rows_job_run(void *p) {
    const rows_job_t *job = p;
    long n = omp_num_threads(), t = omp_thread_num();
    int y0 = (int)(job->h * t / n), y1 = (int)(job->h * (t + 1) / n);
    if (y0 < y1) job->rows(job->args, y0, y1);
}

/* rows(args, y0, y1) over [0, h): on the calling thread, or split over `threads` OpenMP threads
   (the calling thread among them; returns when all are done). */
static void parallel_rows(rows_fn rows, const void *args, int h, int threads) {
    if (threads > 1 && h > 1 && loupe_small_conv_parallel_available()) {
        rows_job_t job = {rows, args, h};
        gomp_parallel(rows_job_run, &job, (unsigned)(threads < h ? threads : h), 0);
    } else {
        rows(args, 0, h);
    }
}

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
                                                     __m128 bias, const float *cols, const target_t *t, int y, int x) {
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
    __m128 b = cols ? _mm_add_ps(bias, _mm_loadu_ps(cols + 4 * (size_t)x)) : bias;
    store4(t, y, x, _mm_add_ps(sum4(acc[0], acc[1], acc[2], acc[3]), b));
}

/* rows, cols: NULL, or the bias per row (h × 4, replacing `bias`) and the shift per column (w × 4). */
typedef struct { const float *src; int ic, h, w; const float *packed; float bias[4]; target_t t; const float *rows, *cols; } small_conv_args_t;

__attribute__((target("avx2,fma"))) static void run_avx2(const void *p, int y0, int y1) {
    const small_conv_args_t *a = p;
    const float *src = a->src, *packed = a->packed;
    const int icb = a->ic / 8, h = a->h, w = a->w;
    const target_t t = a->t;
    const float *cols = a->cols;
    __m128 bv = _mm_loadu_ps(a->bias);
    for (int y = y0; y < y1; y++) {
        if (a->rows) bv = _mm_loadu_ps(a->rows + 4 * (size_t)y);
        if (w <= 2) {
            for (int x = 0; x < w; x++) pixel(src, icb, h, w, packed, bv, cols, &t, y, x);
            continue;
        }
        pixel(src, icb, h, w, packed, bv, cols, &t, y, 0);
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
            __m128 b0 = bv, b1 = bv;
            if (cols) {
                b0 = _mm_add_ps(bv, _mm_loadu_ps(cols + 4 * (size_t)x));
                b1 = _mm_add_ps(bv, _mm_loadu_ps(cols + 4 * (size_t)(x + 1)));
            }
            store4(&t, y, x, _mm_add_ps(sum4(p0, p1, p2, p3), b0));
            store4(&t, y, x + 1, _mm_add_ps(sum4(q0, q1, q2, q3), b1));
        }
        for (; x < w; x++) pixel(src, icb, h, w, packed, bv, cols, &t, y, x);
    }
}

void loupe_small_conv_run(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                          int oc, float *dst, int shuffled, int threads) {
    loupe_small_conv_run_grid(src, ic, h, w, packed, bias, NULL, NULL, oc, dst, shuffled, threads);
}

void loupe_small_conv_run_grid(const float *src, int ic, int h, int w, const float *packed, const float *bias,
                               const float *row_bias, const float *col_bias, int oc, float *dst, int shuffled,
                               int threads) {
    if (ic <= 0 || ic % 8 != 0 || oc <= 0 || oc > OCS || h <= 0 || w <= 0 || (shuffled && oc != 4)) return;
    small_conv_args_t a = {src, ic, h, w, packed, {0, 0, 0, 0}, {dst, (size_t)h * w, w, oc, shuffled}, row_bias, col_bias};
    for (int o = 0; o < oc; o++) a.bias[o] = bias ? bias[o] : 0.0f;
    parallel_rows(run_avx2, &a, h, threads);
}

/* ---- 3×3, 16 output channels, bias and per-channel PReLU fused ----
   Input in blocks of `ib` channels (8: oneDNN's aBcd8b; 1: plain NCHW), output aBcd8b. */

long loupe_conv16_packed_count(int ic) { return (long)ic * 9 * 16; }

void loupe_conv16_pack(const float *weights, int ic, int ib, float *packed) {
    for (int cb = 0; cb < ic / ib; cb++)
        for (int tap = 0; tap < 9; tap++)
            for (int c = 0; c < ib; c++)
                for (int o = 0; o < 16; o++)
                    packed[(((size_t)cb * 9 + tap) * ib + c) * 16 + o] = weights[((size_t)o * ic + cb * ib + c) * 9 + tap];
}

/* PReLU: max(v, 0) + slope · min(v, 0) (exactly v when the slope is 1). */
__attribute__((target("avx2,fma"))) static inline __m256 prelu8(__m256 v, __m256 slope) {
    __m256 zero = _mm256_setzero_ps();
    return _mm256_add_ps(_mm256_max_ps(v, zero), _mm256_mul_ps(slope, _mm256_min_ps(v, zero)));
}

/* rows, cols: NULL, or the bias per row (h × 16, replacing bias0/bias1) and the shift per
   column (w × 16) added to it. */
typedef struct { __m256 bias0, bias1, slope0, slope1; const float *rows, *cols; } conv16_epilogue_t;

/* One output pixel with bounds checks (the frame's left and right columns). */
__attribute__((target("avx2,fma"), always_inline)) static inline void conv16_pixel(
    const float *src, int icb, const int ib, int h, int w, const float *packed, const conv16_epilogue_t *e,
    float *dst, int y, int x) {
    __m256 a0 = e->bias0, a1 = e->bias1;
    for (int cb = 0; cb < icb; cb++)
        for (int ky = 0; ky < 3; ky++) {
            int yy = y + ky - 1;
            if (yy < 0 || yy >= h) continue;
            for (int kx = 0; kx < 3; kx++) {
                int xx = x + kx - 1;
                if (xx < 0 || xx >= w) continue;
                const float *in = src + (((size_t)cb * h + yy) * w + xx) * ib;
                const float *wp = packed + ((size_t)(cb * 9 + ky * 3 + kx) * ib) * 16;
                for (int c = 0; c < ib; c++) {
                    __m256 v = _mm256_broadcast_ss(in + c);
                    a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + c * 16), a0);
                    a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(wp + c * 16 + 8), a1);
                }
            }
        }
    if (e->cols) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(e->cols + (size_t)x * 16));
        a1 = _mm256_add_ps(a1, _mm256_loadu_ps(e->cols + (size_t)x * 16 + 8));
    }
    float *out = dst + ((size_t)y * w + x) * 8;
    _mm256_storeu_ps(out, prelu8(a0, e->slope0));
    _mm256_storeu_ps(out + (size_t)h * w * 8, prelu8(a1, e->slope1));
}

/* Six neighbouring output pixels times two output blocks: twelve accumulators, two weight
   vectors and one broadcast input value in the sixteen ymm registers. */
#define CONV16_STEP(n, lo, hi)                                                       \
    v = _mm256_broadcast_ss(in + (n) * ib + c);                                      \
    lo = _mm256_fmadd_ps(v, w0, lo);                                                 \
    hi = _mm256_fmadd_ps(v, w1, hi);
#define CONV16_STORE(n, lo, hi)                                                      \
    if (e.cols) {                                                                    \
        lo = _mm256_add_ps(lo, _mm256_loadu_ps(e.cols + (size_t)(x + (n)) * 16));    \
        hi = _mm256_add_ps(hi, _mm256_loadu_ps(e.cols + (size_t)(x + (n)) * 16 + 8)); \
    }                                                                                \
    _mm256_storeu_ps(out + (n) * 8, prelu8(lo, e.slope0));                           \
    _mm256_storeu_ps(out + plane + (n) * 8, prelu8(hi, e.slope1));

/* `ib` is a constant in each caller, so the channel loop unrolls fully. */
__attribute__((target("avx2,fma"), always_inline)) static inline void conv16_rows(
    const float *src, int ic, const int ib, int h, int w, const float *packed, const conv16_epilogue_t *ep,
    float *dst, int y0, int y1) {
    const int icb = ic / ib;
    conv16_epilogue_t e = *ep;
    const size_t plane = (size_t)h * w * 8;
    for (int y = y0; y < y1; y++) {
        if (e.rows) {
            e.bias0 = _mm256_loadu_ps(e.rows + (size_t)y * 16);
            e.bias1 = _mm256_loadu_ps(e.rows + (size_t)y * 16 + 8);
        }
        const int ky0 = y == 0 ? 1 : 0, ky1 = y == h - 1 ? 2 : 3;
        conv16_pixel(src, icb, ib, h, w, packed, &e, dst, y, 0);
        int x = 1;
        /* interior columns six at a time: every horizontal tap is inside the frame */
        for (; x + 6 < w; x += 6) {
            __m256 a0 = e.bias0, b0 = e.bias1, a1 = e.bias0, b1 = e.bias1, a2 = e.bias0, b2 = e.bias1;
            __m256 a3 = e.bias0, b3 = e.bias1, a4 = e.bias0, b4 = e.bias1, a5 = e.bias0, b5 = e.bias1;
            for (int cb = 0; cb < icb; cb++)
                for (int ky = ky0; ky < ky1; ky++) {
                    const float *in = src + (((size_t)cb * h + (y + ky - 1)) * w + (x - 1)) * ib;
                    const float *wp = packed + ((size_t)(cb * 9 + ky * 3) * ib) * 16;
                    for (int kx = 0; kx < 3; kx++, in += ib, wp += ib * 16) {
                        for (int c = 0; c < ib; c++) {
                            __m256 w0 = _mm256_loadu_ps(wp + c * 16), w1 = _mm256_loadu_ps(wp + c * 16 + 8), v;
                            CONV16_STEP(0, a0, b0)
                            CONV16_STEP(1, a1, b1)
                            CONV16_STEP(2, a2, b2)
                            CONV16_STEP(3, a3, b3)
                            CONV16_STEP(4, a4, b4)
                            CONV16_STEP(5, a5, b5)
                        }
                    }
                }
            float *out = dst + ((size_t)y * w + x) * 8;
            CONV16_STORE(0, a0, b0)
            CONV16_STORE(1, a1, b1)
            CONV16_STORE(2, a2, b2)
            CONV16_STORE(3, a3, b3)
            CONV16_STORE(4, a4, b4)
            CONV16_STORE(5, a5, b5)
        }
        for (; x < w; x++) conv16_pixel(src, icb, ib, h, w, packed, &e, dst, y, x);
    }
}

typedef struct { const float *src; int ic, h, w; const float *packed; conv16_epilogue_t e; float *dst; } conv16_args_t;

__attribute__((target("avx2,fma"))) static void conv16_blocked(const void *p, int y0, int y1) {
    const conv16_args_t *a = p;
    conv16_rows(a->src, a->ic, 8, a->h, a->w, a->packed, &a->e, a->dst, y0, y1);
}

__attribute__((target("avx2,fma"))) static void conv16_plain(const void *p, int y0, int y1) {
    const conv16_args_t *a = p;
    conv16_rows(a->src, a->ic, 1, a->h, a->w, a->packed, &a->e, a->dst, y0, y1);
}

__attribute__((target("avx2,fma"))) static void conv16_run_avx2(const float *src, int ic, int ib, int h, int w,
                                                               const float *packed, const float *bias,
                                                               const float *row_bias, const float *col_bias,
                                                               const float *slopes, float *dst, int threads) {
    float b[16], s[16];
    for (int o = 0; o < 16; o++) {
        b[o] = bias ? bias[o] : 0.0f;
        s[o] = slopes ? slopes[o] : 1.0f;
    }
    conv16_args_t a = {src, ic, h, w, packed,
                       {_mm256_loadu_ps(b), _mm256_loadu_ps(b + 8), _mm256_loadu_ps(s), _mm256_loadu_ps(s + 8),
                        row_bias, col_bias}, dst};
    parallel_rows(ib == 8 ? conv16_blocked : conv16_plain, &a, h, threads);
}

void loupe_conv16_run(const float *src, int ic, int ib, int h, int w, const float *packed, const float *bias,
                      const float *slopes, float *dst, int threads) {
    loupe_conv16_run_grid(src, ic, ib, h, w, packed, bias, NULL, NULL, slopes, dst, threads);
}

void loupe_conv16_run_grid(const float *src, int ic, int ib, int h, int w, const float *packed, const float *bias,
                           const float *row_bias, const float *col_bias, const float *slopes, float *dst, int threads) {
    if (ic <= 0 || (ib != 1 && ib != 8) || ic % ib != 0 || h <= 0 || w <= 0) return;
    conv16_run_avx2(src, ic, ib, h, w, packed, bias, row_bias, col_bias, slopes, dst, threads);
}
