/*  =========================================================================
    zown_export - marks what libzown exports

    libzown is built with hidden visibility: only the calls declared with
    ZOWN_EXPORT in these headers are part of its ABI.
    =========================================================================
*/
#ifndef ZOWN_EXPORT_H_INCLUDED
#define ZOWN_EXPORT_H_INCLUDED

#if defined(__GNUC__) || defined(__clang__)
#define ZOWN_EXPORT __attribute__ ((visibility ("default")))
#else
#define ZOWN_EXPORT
#endif

#endif
