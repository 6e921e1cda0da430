// Cache hints for the kernels: prefetches, and stores past the caches. Swift has neither; a
// call to clang's built-in `_m_prefetchw` from Swift compiles to nothing; these inline
// wrappers compile to one `prefetchw`, `vmovntps` or `sfence` instruction.
#ifndef CONVBOOK_PREFETCH_H
#define CONVBOOK_PREFETCH_H

/// Asks for the cache line holding `p` in L1, to be written.
static inline __attribute__((always_inline)) void convbook_prefetch_for_writing(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

/// 16 floats as a Swift `SIMD16<Float>`.
typedef float convbook_float16 __attribute__((ext_vector_type(16)));

/// Stores 16 floats at `p` (64-byte aligned) past the caches, straight to memory: the line is
/// not read first, nor kept.
static inline __attribute__((always_inline)) void convbook_store_streaming(float *p, convbook_float16 v) {
    __builtin_nontemporal_store(v, (convbook_float16 *)p);
}

/// Orders the streaming stores before all later stores, so that a thread that sees the later
/// ones sees them too.
static inline __attribute__((always_inline)) void convbook_store_fence(void) {
    __builtin_ia32_sfence();
}

#endif
