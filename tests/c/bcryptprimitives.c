/* A stand-in bcryptprimitives.dll for Wine 8, which lacks it.
 *
 * Rust's std (1.78+) imports ProcessPrng from bcryptprimitives.dll for its
 * random numbers (HashMap seeds). This stub forwards to RtlGenRandom
 * (SystemFunction036 in advapi32), which Wine has. scripts/test-windows.sh
 * builds it next to the test executables; it is never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
