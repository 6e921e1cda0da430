#include <png.h>

/* PNG_FORMAT_RGBA is a compound macro, which Swift does not import. */
static const png_uint_32 CPNG_FORMAT_RGBA = PNG_FORMAT_RGBA;
