/* A Sync Center handler written in C against the SDK's Sync Center
 * interfaces (sync_center.h), built into sc_handler.dll by
 * scripts/test-windows.sh and driven by tests/com_sync_center_c_handler.rs
 * through ComSyncCenterHandler and a strict SyncCenterSession.
 *
 * One object implements ISyncMgrHandler, ISyncMgrHandlerInfo and
 * ISyncMgrSyncItemContainer, as the published sample's does; each item is
 * an object with ISyncMgrSyncItem and ISyncMgrSyncItemInfo; every string
 * it hands out is CoTaskMemAlloc-ed. The objects are plain: no free-threaded
 * marshaler, no proxy/stub, so a caller in another apartment must come to
 * their thread; every method counts the calls entered on a thread other
 * than the one that made the handler.
 *
 * Synchronize follows the published sample's loop: CreateSession, then for
 * each item the maximum first, each step with the cancel request read
 * after every report and a CanContinue poll, CANCELED (with a NULL
 * pnCancelRequest, which the IDL allows) to acknowledge a cancel, and every
 * item left acknowledged after a cancel-all. With `misbehave` 1 it breaks
 * §G.7 on purpose: it reports UPDATING after SUCCEEDED for its first item
 * and leaves its last item without a terminal status. With `misbehave` 2
 * it hands out strings over the documented limits: a 200-unit name
 * (MAX_SYNCMGR_NAME is 128 with the NUL) and a 70-unit id for its first
 * item (MAX_SYNCMGR_ID is 64).
 */
#include "sync_center.h"

static LONG live_objects;
static DWORD home_thread;
static LONG wrong_thread;

static void on_thread(void)
{
    if (GetCurrentThreadId() != home_thread)
        InterlockedIncrement(&wrong_thread);
}

static HRESULT dup_string(const WCHAR *text, LPWSTR *out)
{
    size_t bytes = (wcslen(text) + 1) * sizeof(WCHAR);
    if (!out)
        return E_POINTER;
    *out = CoTaskMemAlloc(bytes);
    if (!*out)
        return E_OUTOFMEMORY;
    memcpy(*out, text, bytes);
    return S_OK;
}

#define N_ITEMS 3
static const WCHAR *const item_ids[N_ITEMS] = {L"alpha", L"beta", L"gamma"};
static const WCHAR *const item_names[N_ITEMS] = {L"Alpha", L"Beta", L"Gamma"};
static int over_long; /* misbehave 2: strings over the limits */
/* What the session creator answered to bad arguments, in the order of
 * h_Synchronize: NULL ppCallback, NULL handler id, NULL id array with an
 * item, an over-long id; then S_OK if the out pointer was cleared. */
static HRESULT edge_answers[5];

/* `n` copies of `c` in a CoTaskMemAlloc-ed string. */
static HRESULT long_string(unsigned n, WCHAR c, LPWSTR *out)
{
    if (!out)
        return E_POINTER;
    *out = CoTaskMemAlloc((n + 1) * sizeof(WCHAR));
    if (!*out)
        return E_OUTOFMEMORY;
    for (unsigned i = 0; i < n; i++)
        (*out)[i] = c;
    (*out)[n] = 0;
    return S_OK;
}
#define STEPS 4

/* ---- an item ---- */

typedef struct sc_item {
    ISyncMgrSyncItem item;
    ISyncMgrSyncItemInfo info;
    LONG refs;
    int index;
} sc_item;

static sc_item *item_from(ISyncMgrSyncItem *p) { return CONTAINING_RECORD(p, sc_item, item); }
static sc_item *item_from_info(ISyncMgrSyncItemInfo *p) { return CONTAINING_RECORD(p, sc_item, info); }

static HRESULT item_qi(sc_item *it, REFIID riid, void **ppv)
{
    on_thread();
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrSyncItem))
        *ppv = &it->item;
    else if (IsEqualIID(riid, &IID_ISyncMgrSyncItemInfo))
        *ppv = &it->info;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&it->refs);
    return S_OK;
}

static ULONG item_release(sc_item *it)
{
    ULONG refs = InterlockedDecrement(&it->refs);
    on_thread();
    if (refs == 0) {
        HeapFree(GetProcessHeap(), 0, it);
        InterlockedDecrement(&live_objects);
    }
    return refs;
}

static HRESULT STDMETHODCALLTYPE it_QueryInterface(ISyncMgrSyncItem *p, REFIID r, void **v) { return item_qi(item_from(p), r, v); }
static ULONG STDMETHODCALLTYPE it_AddRef(ISyncMgrSyncItem *p) { on_thread(); return InterlockedIncrement(&item_from(p)->refs); }
static ULONG STDMETHODCALLTYPE it_Release(ISyncMgrSyncItem *p) { return item_release(item_from(p)); }
static HRESULT STDMETHODCALLTYPE it_GetItemID(ISyncMgrSyncItem *p, LPWSTR *out)
{
    on_thread();
    if (over_long && item_from(p)->index == 0)
        return long_string(70, L'i', out);
    return dup_string(item_ids[item_from(p)->index], out);
}
static HRESULT STDMETHODCALLTYPE it_GetName(ISyncMgrSyncItem *p, LPWSTR *out) { on_thread(); return dup_string(item_names[item_from(p)->index], out); }
static HRESULT STDMETHODCALLTYPE it_GetItemInfo(ISyncMgrSyncItem *p, ISyncMgrSyncItemInfo **out) { return item_qi(item_from(p), &IID_ISyncMgrSyncItemInfo, (void **)out); }
static HRESULT STDMETHODCALLTYPE it_GetObject(ISyncMgrSyncItem *p, REFGUID o, REFIID r, void **out)
{
    (void)p, (void)o, (void)r;
    on_thread();
    if (out)
        *out = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE it_GetCapabilities(ISyncMgrSyncItem *p, SYNCMGR_ITEM_CAPABILITIES *out)
{
    on_thread();
    if (!out)
        return E_POINTER;
    *out = item_from(p)->index == 2 ? 0x10 /* CAN_DELETE */ : 0;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE it_GetPolicies(ISyncMgrSyncItem *p, SYNCMGR_ITEM_POLICIES *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = 0;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE it_Enable(ISyncMgrSyncItem *p, BOOL enable) { (void)p, (void)enable; on_thread(); return S_OK; }
static HRESULT STDMETHODCALLTYPE it_Delete(ISyncMgrSyncItem *p) { (void)p; on_thread(); return S_OK; }

static const ISyncMgrSyncItemVtbl item_vtbl = {it_QueryInterface, it_AddRef,         it_Release,
                                               it_GetItemID,      it_GetName,        it_GetItemInfo,
                                               it_GetObject,      it_GetCapabilities, it_GetPolicies,
                                               it_Enable,         it_Delete};

static HRESULT STDMETHODCALLTYPE ii_QueryInterface(ISyncMgrSyncItemInfo *p, REFIID r, void **v) { return item_qi(item_from_info(p), r, v); }
static ULONG STDMETHODCALLTYPE ii_AddRef(ISyncMgrSyncItemInfo *p) { on_thread(); return InterlockedIncrement(&item_from_info(p)->refs); }
static ULONG STDMETHODCALLTYPE ii_Release(ISyncMgrSyncItemInfo *p) { return item_release(item_from_info(p)); }
static HRESULT STDMETHODCALLTYPE ii_GetTypeLabel(ISyncMgrSyncItemInfo *p, LPWSTR *out)
{
    (void)p;
    on_thread();
    if (out)
        *out = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE ii_GetComment(ISyncMgrSyncItemInfo *p, LPWSTR *out)
{
    WCHAR text[64];
    on_thread();
    wsprintfW(text, L"item %s", item_ids[item_from_info(p)->index]);
    return dup_string(text, out);
}
static HRESULT STDMETHODCALLTYPE ii_GetLastSyncTime(ISyncMgrSyncItemInfo *p, FILETIME *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    out->dwLowDateTime = 0x12345678;
    out->dwHighDateTime = 0x01D00000;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE ii_IsEnabled(ISyncMgrSyncItemInfo *p) { on_thread(); return item_from_info(p)->index == 1 ? S_FALSE : S_OK; }
static HRESULT STDMETHODCALLTYPE ii_IsConnected(ISyncMgrSyncItemInfo *p) { (void)p; on_thread(); return S_OK; }

static const ISyncMgrSyncItemInfoVtbl item_info_vtbl = {ii_QueryInterface, ii_AddRef,      ii_Release,
                                                        ii_GetTypeLabel,   ii_GetComment,  ii_GetLastSyncTime,
                                                        ii_IsEnabled,      ii_IsConnected};

static HRESULT new_item(int index, ISyncMgrSyncItem **out)
{
    sc_item *it = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *it);
    if (!it)
        return E_OUTOFMEMORY;
    it->item.lpVtbl = &item_vtbl;
    it->info.lpVtbl = &item_info_vtbl;
    it->refs = 1;
    it->index = index;
    InterlockedIncrement(&live_objects);
    *out = &it->item;
    return S_OK;
}

/* ---- the enumerator ---- */

typedef struct sc_enum {
    IEnumSyncMgrSyncItems iface;
    LONG refs;
    ULONG next;
} sc_enum;

static sc_enum *enum_from(IEnumSyncMgrSyncItems *p) { return CONTAINING_RECORD(p, sc_enum, iface); }
static HRESULT new_enum(ULONG next, IEnumSyncMgrSyncItems **out);

static HRESULT STDMETHODCALLTYPE en_QueryInterface(IEnumSyncMgrSyncItems *p, REFIID riid, void **ppv)
{
    on_thread();
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IEnumSyncMgrSyncItems)) {
        *ppv = p;
        InterlockedIncrement(&enum_from(p)->refs);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}
static ULONG STDMETHODCALLTYPE en_AddRef(IEnumSyncMgrSyncItems *p) { on_thread(); return InterlockedIncrement(&enum_from(p)->refs); }
static ULONG STDMETHODCALLTYPE en_Release(IEnumSyncMgrSyncItems *p)
{
    ULONG refs = InterlockedDecrement(&enum_from(p)->refs);
    on_thread();
    if (refs == 0) {
        HeapFree(GetProcessHeap(), 0, enum_from(p));
        InterlockedDecrement(&live_objects);
    }
    return refs;
}
static HRESULT STDMETHODCALLTYPE en_Next(IEnumSyncMgrSyncItems *p, ULONG celt, ISyncMgrSyncItem **items, ULONG *fetched)
{
    sc_enum *e = enum_from(p);
    ULONG n = 0;
    on_thread();
    if (!items && celt)
        return E_POINTER;
    while (n < celt && e->next < N_ITEMS) {
        HRESULT hr = new_item((int)e->next, &items[n]);
        if (FAILED(hr))
            return hr;
        n++, e->next++;
    }
    if (fetched)
        *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}
static HRESULT STDMETHODCALLTYPE en_Skip(IEnumSyncMgrSyncItems *p, ULONG celt)
{
    sc_enum *e = enum_from(p);
    on_thread();
    if (celt > N_ITEMS - e->next) {
        e->next = N_ITEMS;
        return S_FALSE;
    }
    e->next += celt;
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE en_Reset(IEnumSyncMgrSyncItems *p) { on_thread(); enum_from(p)->next = 0; return S_OK; }
static HRESULT STDMETHODCALLTYPE en_Clone(IEnumSyncMgrSyncItems *p, IEnumSyncMgrSyncItems **out)
{
    on_thread();
    if (!out)
        return E_POINTER;
    return new_enum(enum_from(p)->next, out);
}

static const IEnumSyncMgrSyncItemsVtbl enum_vtbl = {en_QueryInterface, en_AddRef, en_Release, en_Next,
                                                    en_Skip,           en_Reset,  en_Clone};

static HRESULT new_enum(ULONG next, IEnumSyncMgrSyncItems **out)
{
    sc_enum *e = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *e);
    if (!e)
        return E_OUTOFMEMORY;
    e->iface.lpVtbl = &enum_vtbl;
    e->refs = 1;
    e->next = next;
    InterlockedIncrement(&live_objects);
    *out = &e->iface;
    return S_OK;
}

/* ---- the handler ---- */

typedef struct sc_handler {
    ISyncMgrHandler handler;
    ISyncMgrHandlerInfo info;
    ISyncMgrSyncItemContainer container;
    LONG refs;
    int misbehave;
    LONG sessions;
    HRESULT create_session_hr;
} sc_handler;

static sc_handler *h_from(ISyncMgrHandler *p) { return CONTAINING_RECORD(p, sc_handler, handler); }
static sc_handler *h_from_info(ISyncMgrHandlerInfo *p) { return CONTAINING_RECORD(p, sc_handler, info); }
static sc_handler *h_from_container(ISyncMgrSyncItemContainer *p) { return CONTAINING_RECORD(p, sc_handler, container); }

static HRESULT h_qi(sc_handler *h, REFIID riid, void **ppv)
{
    on_thread();
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrHandler))
        *ppv = &h->handler;
    else if (IsEqualIID(riid, &IID_ISyncMgrHandlerInfo))
        *ppv = &h->info;
    else if (IsEqualIID(riid, &IID_ISyncMgrSyncItemContainer))
        *ppv = &h->container;
    else {
        *ppv = NULL;
        return E_NOINTERFACE;
    }
    InterlockedIncrement(&h->refs);
    return S_OK;
}

static ULONG h_release(sc_handler *h)
{
    ULONG refs = InterlockedDecrement(&h->refs);
    on_thread();
    if (refs == 0) {
        HeapFree(GetProcessHeap(), 0, h);
        InterlockedDecrement(&live_objects);
    }
    return refs;
}

static HRESULT STDMETHODCALLTYPE h_QueryInterface(ISyncMgrHandler *p, REFIID r, void **v) { return h_qi(h_from(p), r, v); }
static ULONG STDMETHODCALLTYPE h_AddRef(ISyncMgrHandler *p) { on_thread(); return InterlockedIncrement(&h_from(p)->refs); }
static ULONG STDMETHODCALLTYPE h_Release(ISyncMgrHandler *p) { return h_release(h_from(p)); }
static HRESULT STDMETHODCALLTYPE h_GetName(ISyncMgrHandler *p, LPWSTR *out)
{
    (void)p;
    on_thread();
    if (over_long)
        return long_string(200, L'n', out);
    return dup_string(L"C Sync Center handler", out);
}
static HRESULT STDMETHODCALLTYPE h_GetHandlerInfo(ISyncMgrHandler *p, ISyncMgrHandlerInfo **out) { return h_qi(h_from(p), &IID_ISyncMgrHandlerInfo, (void **)out); }
static HRESULT STDMETHODCALLTYPE h_GetObject(ISyncMgrHandler *p, REFGUID o, REFIID r, void **out)
{
    (void)p, (void)o, (void)r;
    on_thread();
    if (out)
        *out = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE h_GetCapabilities(ISyncMgrHandler *p, SYNCMGR_HANDLER_CAPABILITIES *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = 0x10000; /* CAN_BROWSE_CONTENT */
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE h_GetPolicies(ISyncMgrHandler *p, SYNCMGR_HANDLER_POLICIES *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = 0x1; /* PREVENT_ACTIVATE */
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE h_Activate(ISyncMgrHandler *p, BOOL a) { (void)p, (void)a; on_thread(); return S_OK; }
static HRESULT STDMETHODCALLTYPE h_Enable(ISyncMgrHandler *p, BOOL e) { (void)p, (void)e; on_thread(); return S_OK; }

static SYNCMGR_CANCEL_REQUEST report(ISyncMgrSyncCallback *cb, int i, SYNCMGR_PROGRESS_STATUS status, ULONG step)
{
    SYNCMGR_CANCEL_REQUEST cancel = (SYNCMGR_CANCEL_REQUEST)77; /* the host always writes */
    HRESULT hr = SC(cb, ReportProgress, item_ids[i], NULL, status, step, STEPS, &cancel);
    return FAILED(hr) ? SYNCMGR_CR_CANCEL_ITEM : cancel;
}

static HRESULT STDMETHODCALLTYPE h_Synchronize(ISyncMgrHandler *p, LPCWSTR *ids, ULONG count, HWND owner,
                                               ISyncMgrSessionCreator *creator, IUnknown *punk)
{
    sc_handler *h = h_from(p);
    ISyncMgrSyncCallback *cb = NULL;
    int cancel_all = 0;
    (void)owner, (void)punk;
    on_thread();
    if (!creator)
        return E_POINTER;
    if (count && !ids)
        return E_POINTER;
    {
        /* The session creator's edge first: each answer is recorded. */
        static const WCHAR *long_id =
            L"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
        LPCWSTR bad[1] = {long_id};
        ISyncMgrSyncCallback *none = (ISyncMgrSyncCallback *)1;
        edge_answers[0] = SC(creator, CreateSession, L"{C0FFEE00-0000-4000-8000-00000000005C}", ids, count, NULL);
        edge_answers[1] = SC(creator, CreateSession, NULL, ids, count, &none);
        edge_answers[2] = SC(creator, CreateSession, L"{C0FFEE00-0000-4000-8000-00000000005C}", NULL, 1, &none);
        edge_answers[3] = SC(creator, CreateSession, L"{C0FFEE00-0000-4000-8000-00000000005C}", bad, 1, &none);
        edge_answers[4] = none == NULL ? S_OK : E_FAIL; /* the out pointer was cleared */
    }
    h->sessions++;
    h->create_session_hr = SC(creator, CreateSession, L"{C0FFEE00-0000-4000-8000-00000000005C}", ids, count, &cb);
    if (FAILED(h->create_session_hr) || !cb)
        return h->create_session_hr;
    for (ULONG n = 0; n < count; n++) {
        int i = -1;
        SYNCMGR_CANCEL_REQUEST cancel = SYNCMGR_CR_NONE;
        for (int k = 0; k < N_ITEMS; k++)
            if (!wcscmp(ids[n], item_ids[k]))
                i = k;
        if (i < 0)
            continue;
        if (h->misbehave && n == count - 1)
            break; /* the last item is left without a terminal status */
        if (cancel_all) {
            SC(cb, ReportProgress, item_ids[i], NULL, SYNCMGR_PS_CANCELED, 0, STEPS, NULL);
            continue;
        }
        for (ULONG step = 0; step < STEPS && cancel == SYNCMGR_CR_NONE; step++) {
            cancel = report(cb, i, SYNCMGR_PS_UPDATING, step);
            if (cancel == SYNCMGR_CR_NONE && SC(cb, CanContinue, item_ids[i]) == S_FALSE)
                cancel = SYNCMGR_CR_CANCEL_ITEM;
        }
        if (cancel != SYNCMGR_CR_NONE) {
            /* Acknowledge with CANCELED; pnCancelRequest may be NULL. */
            SC(cb, ReportProgress, item_ids[i], NULL, SYNCMGR_PS_CANCELED, 0, STEPS, NULL);
            cancel_all = cancel == SYNCMGR_CR_CANCEL_ALL;
            continue;
        }
        cancel_all = report(cb, i, SYNCMGR_PS_SUCCEEDED, STEPS) == SYNCMGR_CR_CANCEL_ALL;
        if (h->misbehave && n == 0)
            report(cb, i, SYNCMGR_PS_UPDATING, 1); /* after SUCCEEDED: E_ACCESSDENIED */
    }
    SC0(cb, Release);
    return S_OK;
}

static const ISyncMgrHandlerVtbl handler_vtbl = {h_QueryInterface, h_AddRef,          h_Release,
                                                 h_GetName,        h_GetHandlerInfo,  h_GetObject,
                                                 h_GetCapabilities, h_GetPolicies,    h_Activate,
                                                 h_Enable,         h_Synchronize};

static HRESULT STDMETHODCALLTYPE hi_QueryInterface(ISyncMgrHandlerInfo *p, REFIID r, void **v) { return h_qi(h_from_info(p), r, v); }
static ULONG STDMETHODCALLTYPE hi_AddRef(ISyncMgrHandlerInfo *p) { on_thread(); return InterlockedIncrement(&h_from_info(p)->refs); }
static ULONG STDMETHODCALLTYPE hi_Release(ISyncMgrHandlerInfo *p) { return h_release(h_from_info(p)); }
static HRESULT STDMETHODCALLTYPE hi_GetType(ISyncMgrHandlerInfo *p, SYNCMGR_HANDLER_TYPE *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = 4; /* SERVICE */
    return S_OK;
}
static HRESULT STDMETHODCALLTYPE hi_GetTypeLabel(ISyncMgrHandlerInfo *p, LPWSTR *out) { (void)p; on_thread(); return dup_string(L"C fixture", out); }
static HRESULT STDMETHODCALLTYPE hi_GetComment(ISyncMgrHandlerInfo *p, LPWSTR *out)
{
    (void)p;
    on_thread();
    if (out)
        *out = NULL;
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE hi_GetLastSyncTime(ISyncMgrHandlerInfo *p, FILETIME *out)
{
    (void)p, (void)out;
    on_thread();
    return E_NOTIMPL;
}
static HRESULT STDMETHODCALLTYPE hi_IsActive(ISyncMgrHandlerInfo *p) { (void)p; on_thread(); return S_OK; }
static HRESULT STDMETHODCALLTYPE hi_IsEnabled(ISyncMgrHandlerInfo *p) { (void)p; on_thread(); return S_OK; }
static HRESULT STDMETHODCALLTYPE hi_IsConnected(ISyncMgrHandlerInfo *p) { (void)p; on_thread(); return S_FALSE; }

static const ISyncMgrHandlerInfoVtbl handler_info_vtbl = {hi_QueryInterface, hi_AddRef,      hi_Release,
                                                          hi_GetType,        hi_GetTypeLabel, hi_GetComment,
                                                          hi_GetLastSyncTime, hi_IsActive,    hi_IsEnabled,
                                                          hi_IsConnected};

static HRESULT STDMETHODCALLTYPE co_QueryInterface(ISyncMgrSyncItemContainer *p, REFIID r, void **v) { return h_qi(h_from_container(p), r, v); }
static ULONG STDMETHODCALLTYPE co_AddRef(ISyncMgrSyncItemContainer *p) { on_thread(); return InterlockedIncrement(&h_from_container(p)->refs); }
static ULONG STDMETHODCALLTYPE co_Release(ISyncMgrSyncItemContainer *p) { return h_release(h_from_container(p)); }
static HRESULT STDMETHODCALLTYPE co_GetSyncItem(ISyncMgrSyncItemContainer *p, LPCWSTR id, ISyncMgrSyncItem **out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = NULL;
    if (!id)
        return E_POINTER;
    for (int i = 0; i < N_ITEMS; i++)
        if (!wcscmp(id, item_ids[i]))
            return new_item(i, out);
    return E_INVALIDARG;
}
static HRESULT STDMETHODCALLTYPE co_GetSyncItemEnumerator(ISyncMgrSyncItemContainer *p, IEnumSyncMgrSyncItems **out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    return new_enum(0, out);
}
static HRESULT STDMETHODCALLTYPE co_GetSyncItemCount(ISyncMgrSyncItemContainer *p, ULONG *out)
{
    (void)p;
    on_thread();
    if (!out)
        return E_POINTER;
    *out = N_ITEMS;
    return S_OK;
}

static const ISyncMgrSyncItemContainerVtbl container_vtbl = {co_QueryInterface, co_AddRef,
                                                             co_Release,        co_GetSyncItem,
                                                             co_GetSyncItemEnumerator, co_GetSyncItemCount};

/* ---- exports ---- */

__declspec(dllexport) HRESULT sc_handler_create(int misbehave, ISyncMgrHandler **out)
{
    sc_handler *h;
    if (!out)
        return E_POINTER;
    h = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *h);
    if (!h)
        return E_OUTOFMEMORY;
    h->handler.lpVtbl = &handler_vtbl;
    h->info.lpVtbl = &handler_info_vtbl;
    h->container.lpVtbl = &container_vtbl;
    h->refs = 1;
    h->misbehave = misbehave == 1;
    over_long = misbehave == 2;
    home_thread = GetCurrentThreadId();
    wrong_thread = 0;
    InterlockedIncrement(&live_objects);
    *out = &h->handler;
    return S_OK;
}

/* The handler's own count, read without calling it. */
__declspec(dllexport) LONG sc_handler_refs(ISyncMgrHandler *p) { return h_from(p)->refs; }
__declspec(dllexport) LONG sc_handler_sessions(ISyncMgrHandler *p) { return h_from(p)->sessions; }
__declspec(dllexport) void sc_creator_edge(HRESULT out[5]) { memcpy(out, edge_answers, sizeof edge_answers); }
/* Calls entered on a thread other than the one that made the last handler. */
__declspec(dllexport) LONG sc_wrong_thread(void) { return wrong_thread; }

__declspec(dllexport) HRESULT WINAPI DllCanUnloadNow(void)
{
    return live_objects == 0 ? S_OK : S_FALSE;
}
