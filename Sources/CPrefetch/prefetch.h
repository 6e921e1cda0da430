// What the kernels need and Swift cannot say: cache hints (prefetches, stores past the caches;
// a call to clang's built-in `_m_prefetchw` from Swift compiles to nothing), a barrier to the
// optimizer, and a shuffle Swift's SIMD types have no name for. Each inline wrapper compiles to
// one instruction (`prefetchw`, `vmovntps`, `sfence`, `vpermt2ps`) or none.
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

/// `v` unchanged, through an empty asm statement: the optimizer no longer knows how its lanes
/// were computed. Before a shuffle, this keeps the arithmetic in whole vectors: LLVM otherwise
/// folds an interleave of two sums into part-vector and scalar adds and inserts (Winograd's
/// output transforms compiled to 168 scalar adds, and took as long as their GEMMs).
/// (Without AVX-512, as when a target that does not build for this CPU imports this header, a
/// 16-float vector fits no register and `v` is returned as it is.)
static inline __attribute__((always_inline)) convbook_float16 convbook_opaque(convbook_float16 v) {
#if defined(__AVX512F__)
    __asm__("" : "+v"(v));
#endif
    return v;
}

/// `v`'s lanes 1–15, then `next`'s lane 0: the vector of the floats one further along a row of
/// floats 4 apart, say, when `next` holds the one after its end (one two-source permute).
static inline __attribute__((always_inline)) convbook_float16 convbook_shifted_in(convbook_float16 v, convbook_float16 next) {
    return __builtin_shufflevector(v, next, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
}

#endif
