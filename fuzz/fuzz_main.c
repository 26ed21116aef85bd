/*  =========================================================================
    fuzz_main - libFuzzer's entry point, built once per target with
    ZOWN_FUZZ_TARGET naming its body (CMakeLists.txt, ZOWN_FUZZ)
    =========================================================================
*/
#include "fuzz.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    return ZOWN_FUZZ_TARGET (data, size);
}
