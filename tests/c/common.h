/* Shared helpers of the C fixtures (tests/c): a free-threaded-marshaler
 * aggregate, so that the fixtures' COM objects are agile as real
 * free-threaded handlers and hosts are, and GUID helpers. */
#ifndef SYNCMGR_TESTS_COMMON_H
#define SYNCMGR_TESTS_COMMON_H

#define COBJMACROS
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <objbase.h>
/* mobsync's IIDs are in no import library: define them here (each fixture
 * is one translation unit). */
#include <initguid.h>
#include <mobsync.h>
#include <stdio.h>
#include <string.h>

/* Two item ids for item i of a fixture: {5EC0000i-0000-4000-8000-00000000000i}. */
static inline GUID fixture_item_id(unsigned i)
{
    GUID id = {0x5EC00000u + i, 0, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, (BYTE)i}};
    return id;
}

static inline int guid_eq(const GUID *a, const GUID *b)
{
    return memcmp(a, b, sizeof(GUID)) == 0;
}

#endif
