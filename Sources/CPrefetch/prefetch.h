// Cache prefetch hints for the kernels. Swift has no prefetch of its own, and a call to clang's
// built-in `_m_prefetchw` from Swift compiles to nothing; this inline wrapper compiles to one
// `prefetchw` instruction.
#ifndef CONVBOOK_PREFETCH_H
#define CONVBOOK_PREFETCH_H

/// Asks for the cache line holding `p` in L1, to be written.
static inline __attribute__((always_inline)) void convbook_prefetch_for_writing(const void *p) {
    __builtin_prefetch(p, 1, 3);
}

#endif
