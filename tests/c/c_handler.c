/* A SyncMgr handler written in C against mingw-w64's real mobsync.h, built
 * into c_handler.dll by scripts/test-windows.sh. The Rust tests
 * (tests/com_handler.rs) drive it through syncmgr::com::ComHandler and a
 * syncmgr::Session, and read back what it saw: the raw HRESULT of every
 * Progress answer and the reference counts of the objects it was given.
 *
 * It also exports c_probe_callback, which calls a callback with bad
 * arguments the way a careless handler would, and records the answers.
 *
 * By default the handler is free-threaded (it aggregates the free-threaded
 * marshaler). With `plain` it is an ordinary object: it answers IUnknown
 * and ISyncMgrSynchronize only, and no proxy/stub is registered for it.
 * With `home_thread` it also counts every method (IUnknown's included, and
 * its enumerators') entered on a thread other than the one that created it:
 * what COM forbids for an object created in a single-threaded apartment.
 * DllCanUnloadNow answers S_OK once every handler and enumerator is gone.
 */
#include "common.h"

#define MAX_ITEMS 8
#define MAX_ANSWERS 64

typedef struct c_handler_config {
    unsigned n_items;
    HRESULT init_answer;     /* S_OK or S_FALSE */
    HRESULT prepare_answer;  /* S_OK or S_FALSE */
    HRESULT enum_answer;     /* S_OK or S_SYNCMGR_MISSINGITEMS */
    int bad_info_size;       /* GetHandlerInfo answers the x86 cbSize */
    int bad_item_name;       /* 1: unterminated name, 2: unpaired surrogate */
    int threaded;            /* Synchronize works on its own thread */
    int log_errors;          /* LogError once per item */
    int plain;               /* no free-threaded marshaler */
    int home_thread;         /* count calls on other threads than the creator's */
    int ignore_cancel_item;  /* deliberately broken: goes on after CANCELITEM */
} c_handler_config;

typedef struct c_handler_stats {
    LONG refs;                           /* the handler's own count */
    unsigned progress_calls;
    unsigned n_answers;
    HRESULT answers[MAX_ANSWERS];        /* every Progress answer, in order */
    HRESULT first_answer[MAX_ITEMS];     /* the answer to each item's first report */
    HRESULT log_answer;                  /* the last LogError answer */
    HRESULT prepare_completed_answer;
    HRESULT synchronize_completed_answer;
    unsigned set_callback_calls;
    int holds_callback;
    LONG last_callback_release;          /* Release's result on replace / NULL */
    unsigned items_prepared;
    unsigned skipped;                    /* SetItemStatus(SKIPPED) calls */
    LONG wrong_thread;                   /* calls on another thread (home_thread) */
} c_handler_stats;

/* Handlers and enumerators alive, for DllCanUnloadNow. */
static LONG live_objects;

typedef struct handler {
    ISyncMgrSynchronize iface;
    LONG refs;
    IUnknown *ftm;
    CRITICAL_SECTION lock;
    c_handler_config config;
    c_handler_stats stats;
    ISyncMgrSynchronizeCallback *callback;
    GUID prepared[MAX_ITEMS];
    unsigned n_prepared;
    HANDLE worker;
    DWORD home;                          /* the creating thread */
} handler;

typedef struct enumerator {
    ISyncMgrEnumItems iface;
    LONG refs;
    handler *owner;
    unsigned next;
} enumerator;

/* Every method of the handler and its enumerators comes through here. */
static handler *note_thread(handler *h)
{
    if (h->config.home_thread && GetCurrentThreadId() != h->home)
        InterlockedIncrement(&h->stats.wrong_thread);
    return h;
}

static handler *impl_from(ISyncMgrSynchronize *iface)
{
    return note_thread(CONTAINING_RECORD(iface, handler, iface));
}

static enumerator *enum_from(ISyncMgrEnumItems *iface)
{
    enumerator *e = CONTAINING_RECORD(iface, enumerator, iface);
    note_thread(e->owner);
    return e;
}

/* ---- ISyncMgrEnumItems ---- */

static const ISyncMgrEnumItemsVtbl enum_vtbl;

static HRESULT WINAPI enum_QueryInterface(ISyncMgrEnumItems *This, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrEnumItems)) {
        *ppv = This;
        ISyncMgrEnumItems_AddRef(This);
        return S_OK;
    }
    enum_from(This);
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI enum_AddRef(ISyncMgrEnumItems *This)
{
    return InterlockedIncrement(&enum_from(This)->refs);
}

static ULONG WINAPI enum_Release(ISyncMgrEnumItems *This)
{
    enumerator *e = enum_from(This);
    LONG refs = InterlockedDecrement(&e->refs);
    if (refs == 0) {
        ISyncMgrSynchronize_Release(&e->owner->iface);
        HeapFree(GetProcessHeap(), 0, e);
        InterlockedDecrement(&live_objects);
    }
    return refs;
}

static void fill_item(const handler *h, unsigned i, SYNCMGRITEM *item)
{
    memset(item, 0, sizeof *item);
    item->cbSize = sizeof *item;
    item->ItemID = fixture_item_id(i + 1);
    item->dwItemState = SYNCMGRITEMSTATE_CHECKED;
    swprintf(item->wszItemName, MAX_SYNCMGRITEMNAME, L"C item %u", i + 1);
    if (h->config.bad_item_name == 1 && i == 0)
        for (unsigned k = 0; k < MAX_SYNCMGRITEMNAME; k++)
            item->wszItemName[k] = L'x';
    if (h->config.bad_item_name == 2 && i == 0)
        item->wszItemName[1] = 0xD800;
}

static HRESULT WINAPI enum_Next(ISyncMgrEnumItems *This, ULONG celt, LPSYNCMGRITEM rgelt, ULONG *fetched)
{
    enumerator *e = enum_from(This);
    ULONG n = 0;
    while (n < celt && e->next < e->owner->config.n_items)
        fill_item(e->owner, e->next++, &rgelt[n++]);
    if (fetched)
        *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}

static HRESULT WINAPI enum_Skip(ISyncMgrEnumItems *This, ULONG celt)
{
    enumerator *e = enum_from(This);
    e->next += celt;
    return e->next <= e->owner->config.n_items ? S_OK : S_FALSE;
}

static HRESULT WINAPI enum_Reset(ISyncMgrEnumItems *This)
{
    enum_from(This)->next = 0;
    return S_OK;
}

static HRESULT new_enumerator(handler *owner, unsigned next, ISyncMgrEnumItems **out);

static HRESULT WINAPI enum_Clone(ISyncMgrEnumItems *This, ISyncMgrEnumItems **ppenum)
{
    enumerator *e = enum_from(This);
    if (!ppenum)
        return E_POINTER;
    return new_enumerator(e->owner, e->next, ppenum);
}

static const ISyncMgrEnumItemsVtbl enum_vtbl = {
    enum_QueryInterface, enum_AddRef, enum_Release, enum_Next, enum_Skip, enum_Reset, enum_Clone,
};

static HRESULT new_enumerator(handler *owner, unsigned next, ISyncMgrEnumItems **out)
{
    enumerator *e = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *e);
    if (!e)
        return E_OUTOFMEMORY;
    e->iface.lpVtbl = (ISyncMgrEnumItemsVtbl *)&enum_vtbl;
    e->refs = 1;
    e->owner = owner;
    e->next = next;
    InterlockedIncrement(&live_objects);
    ISyncMgrSynchronize_AddRef(&owner->iface);
    *out = &e->iface;
    return S_OK;
}

/* ---- ISyncMgrSynchronize ---- */

static HRESULT WINAPI QueryInterface(ISyncMgrSynchronize *This, REFIID riid, void **ppv)
{
    handler *h = impl_from(This);
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrSynchronize)) {
        *ppv = This;
        ISyncMgrSynchronize_AddRef(This);
        return S_OK;
    }
    if (IsEqualIID(riid, &IID_IMarshal) && h->ftm)
        return IUnknown_QueryInterface(h->ftm, riid, ppv);
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI AddRef(ISyncMgrSynchronize *This)
{
    return InterlockedIncrement(&impl_from(This)->refs);
}

static void join_worker(handler *h)
{
    /* Called from the worker itself (a host replacing the callback from
     * inside one of its reports): it cannot wait for itself. */
    if (h->worker && GetThreadId(h->worker) == GetCurrentThreadId())
        return;
    if (h->worker) {
        WaitForSingleObject(h->worker, INFINITE);
        CloseHandle(h->worker);
        h->worker = NULL;
    }
}

static ULONG WINAPI Release(ISyncMgrSynchronize *This)
{
    handler *h = impl_from(This);
    LONG refs = InterlockedDecrement(&h->refs);
    if (refs == 0) {
        join_worker(h);
        if (h->callback)
            ISyncMgrSynchronizeCallback_Release(h->callback);
        if (h->ftm)
            IUnknown_Release(h->ftm);
        DeleteCriticalSection(&h->lock);
        HeapFree(GetProcessHeap(), 0, h);
        InterlockedDecrement(&live_objects);
    }
    return refs;
}

static HRESULT WINAPI Initialize(ISyncMgrSynchronize *This, DWORD reserved, DWORD flags, DWORD cb_cookie, const BYTE *cookie)
{
    (void)flags, (void)cb_cookie, (void)cookie;
    if (reserved != 0)
        return E_INVALIDARG;
    return impl_from(This)->config.init_answer;
}

static HRESULT WINAPI GetHandlerInfo(ISyncMgrSynchronize *This, LPSYNCMGRHANDLERINFO *info)
{
    handler *h = impl_from(This);
    if (!info)
        return E_POINTER;
    *info = CoTaskMemAlloc(sizeof **info);
    if (!*info)
        return E_OUTOFMEMORY;
    memset(*info, 0, sizeof **info);
    (*info)->cbSize = h->config.bad_info_size ? 76 : sizeof **info;
    (*info)->SyncMgrHandlerFlags = SYNCMGRHANDLER_HASPROPERTIES;
    wcscpy((*info)->wszHandlerName, L"C handler");
    return S_OK;
}

static HRESULT WINAPI EnumSyncMgrItems(ISyncMgrSynchronize *This, ISyncMgrEnumItems **items)
{
    handler *h = impl_from(This);
    HRESULT hr;
    if (!items)
        return E_POINTER;
    hr = new_enumerator(h, 0, items);
    return FAILED(hr) ? hr : h->config.enum_answer;
}

static HRESULT WINAPI GetItemObject(ISyncMgrSynchronize *This, REFSYNCMGRITEMID item, REFIID riid, void **ppv)
{
    (void)This, (void)item, (void)riid;
    if (ppv)
        *ppv = NULL;
    return E_NOTIMPL;
}

static HRESULT WINAPI ShowProperties(ISyncMgrSynchronize *This, HWND parent, REFSYNCMGRITEMID item)
{
    (void)This, (void)parent, (void)item;
    return E_NOTIMPL;
}

static HRESULT WINAPI SetProgressCallback(ISyncMgrSynchronize *This, ISyncMgrSynchronizeCallback *callback)
{
    handler *h = impl_from(This);
    ISyncMgrSynchronizeCallback *old;
    join_worker(h); /* a replace or release waits for the work in flight */
    if (callback)
        ISyncMgrSynchronizeCallback_AddRef(callback);
    EnterCriticalSection(&h->lock);
    old = h->callback;
    h->callback = callback;
    h->stats.set_callback_calls++;
    h->stats.holds_callback = callback != NULL;
    LeaveCriticalSection(&h->lock);
    if (old)
        h->stats.last_callback_release = ISyncMgrSynchronizeCallback_Release(old);
    return S_OK;
}

static ISyncMgrSynchronizeCallback *current_callback(handler *h)
{
    ISyncMgrSynchronizeCallback *cb;
    EnterCriticalSection(&h->lock);
    cb = h->callback;
    if (cb)
        ISyncMgrSynchronizeCallback_AddRef(cb);
    LeaveCriticalSection(&h->lock);
    return cb;
}

static HRESULT WINAPI PrepareForSync(ISyncMgrSynchronize *This, ULONG count, SYNCMGRITEMID *ids, HWND parent, DWORD reserved)
{
    handler *h = impl_from(This);
    ISyncMgrSynchronizeCallback *cb;
    (void)parent;
    if (reserved != 0 || count > MAX_ITEMS)
        return E_INVALIDARG;
    if (count && !ids)
        return E_POINTER;
    if (h->config.prepare_answer != S_OK)
        return h->config.prepare_answer;
    memcpy(h->prepared, ids, count * sizeof *ids);
    h->n_prepared = count;
    h->stats.items_prepared = count;
    cb = current_callback(h);
    if (!cb)
        return E_UNEXPECTED;
    /* Complete before returning, as the documentation allows. */
    h->stats.prepare_completed_answer = ISyncMgrSynchronizeCallback_PrepareForSyncCompleted(cb, S_OK);
    ISyncMgrSynchronizeCallback_Release(cb);
    return S_OK;
}

static void record(handler *h, HRESULT answer)
{
    EnterCriticalSection(&h->lock);
    if (h->stats.n_answers < MAX_ANSWERS)
        h->stats.answers[h->stats.n_answers++] = answer;
    h->stats.progress_calls++;
    LeaveCriticalSection(&h->lock);
}

static HRESULT report(handler *h, ISyncMgrSynchronizeCallback *cb, const GUID *id, DWORD status, int value, const WCHAR *text)
{
    SYNCMGRPROGRESSITEM item;
    HRESULT answer;
    memset(&item, 0, sizeof item);
    item.cbSize = sizeof item;
    item.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
    item.dwStatusType = status;
    if (status == SYNCMGRSTATUS_UPDATING) {
        item.mask |= SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE;
        item.iProgValue = value;
        item.iMaxValue = 2;
    }
    if (text) {
        item.mask |= SYNCMGRPROGRESSITEM_STATUSTEXT;
        item.lpcStatusText = text;
    }
    /* The callback held now, not the one the work began with: a host may
     * replace it from inside a report. */
    (void)cb;
    cb = current_callback(h);
    if (!cb)
        return E_UNEXPECTED;
    answer = ISyncMgrSynchronizeCallback_Progress(cb, id, &item);
    ISyncMgrSynchronizeCallback_Release(cb);
    record(h, answer);
    return answer;
}

/* The work: per item, Progress before starting it, two steps, a terminal
 * status; a cancel answer (compared by value: both are success codes)
 * stops the item, CANCELALL every item not yet started. */
static DWORD WINAPI work(void *param)
{
    handler *h = param;
    ISyncMgrSynchronizeCallback *cb = current_callback(h);
    int all_cancelled = 0;
    if (!cb)
        return 1;
    for (unsigned i = 0; i < h->n_prepared && !all_cancelled; i++) {
        const GUID *id = &h->prepared[i];
        HRESULT answer = report(h, cb, id, SYNCMGRSTATUS_UPDATING, 0, L"starting");
        h->stats.first_answer[i] = answer;
        for (int step = 1; step <= 2 && (answer == S_OK || (h->config.ignore_cancel_item && answer == S_SYNCMGR_CANCELITEM)); step++)
            answer = report(h, cb, id, SYNCMGRSTATUS_UPDATING, step, NULL);
        if (answer == S_SYNCMGR_CANCELALL)
            all_cancelled = 1;
        if (answer == S_SYNCMGR_CANCELITEM || answer == S_SYNCMGR_CANCELALL)
            report(h, cb, id, SYNCMGRSTATUS_STOPPED, 0, NULL);
        /* The answer to the terminal report counts too: CANCELALL stops
         * the items not started yet. */
        else if (report(h, cb, id, SYNCMGRSTATUS_SUCCEEDED, 0, NULL) == S_SYNCMGR_CANCELALL)
            all_cancelled = 1;
        if (h->config.log_errors) {
            SYNCMGRLOGERRORINFO info;
            memset(&info, 0, sizeof info);
            info.cbSize = sizeof info;
            info.mask = SYNCMGRLOGERROR_ITEMID;
            info.ItemID = *id;
            h->stats.log_answer = ISyncMgrSynchronizeCallback_LogError(cb, SYNCMGRLOGLEVEL_INFORMATION, L"item done", &info);
        }
    }
    ISyncMgrSynchronizeCallback_Release(cb);
    cb = current_callback(h);
    if (!cb)
        return 1;
    h->stats.synchronize_completed_answer = ISyncMgrSynchronizeCallback_SynchronizeCompleted(cb, S_OK);
    ISyncMgrSynchronizeCallback_Release(cb);
    return 0;
}

static HRESULT WINAPI Synchronize(ISyncMgrSynchronize *This, HWND parent)
{
    handler *h = impl_from(This);
    (void)parent;
    if (h->config.threaded) {
        join_worker(h);
        h->worker = CreateThread(NULL, 0, work, h, 0, NULL);
        return h->worker ? S_OK : E_FAIL;
    }
    return work(h) == 0 ? S_OK : E_UNEXPECTED;
}

static HRESULT WINAPI SetItemStatus(ISyncMgrSynchronize *This, REFSYNCMGRITEMID item, DWORD status)
{
    (void)item;
    if (status != SYNCMGRSTATUS_SKIPPED)
        return E_INVALIDARG;
    InterlockedIncrement((LONG *)&impl_from(This)->stats.skipped);
    return S_OK;
}

static HRESULT WINAPI ShowError(ISyncMgrSynchronize *This, HWND parent, REFSYNCMGRERRORID error)
{
    (void)This, (void)parent, (void)error;
    return E_NOTIMPL;
}

static const ISyncMgrSynchronizeVtbl handler_vtbl = {
    QueryInterface, AddRef, Release, Initialize, GetHandlerInfo, EnumSyncMgrItems, GetItemObject,
    ShowProperties, SetProgressCallback, PrepareForSync, Synchronize, SetItemStatus, ShowError,
};

/* ---- exports for the Rust tests ---- */

__declspec(dllexport) HRESULT c_handler_create(const c_handler_config *config, ISyncMgrSynchronize **out)
{
    handler *h;
    HRESULT hr;
    if (!config || !out || config->n_items > MAX_ITEMS)
        return E_INVALIDARG;
    h = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof *h);
    if (!h)
        return E_OUTOFMEMORY;
    h->iface.lpVtbl = (ISyncMgrSynchronizeVtbl *)&handler_vtbl;
    h->refs = 1;
    h->config = *config;
    h->home = GetCurrentThreadId();
    InitializeCriticalSection(&h->lock);
    hr = config->plain ? S_OK : CoCreateFreeThreadedMarshaler((IUnknown *)&h->iface, &h->ftm);
    if (FAILED(hr)) {
        DeleteCriticalSection(&h->lock);
        HeapFree(GetProcessHeap(), 0, h);
        return hr;
    }
    InterlockedIncrement(&live_objects);
    *out = &h->iface;
    return S_OK;
}

/* An in-process server's entry point too, so that a host (and
 * examples/check_handler.rs) can create the handler by CLSID as it would a
 * registered one: two classes, both plain objects working on a thread of
 * their own as Microsoft's samples do; the second deliberately goes on
 * reporting after CANCELITEM (rule #22).
 * {5EC0C1A5-0000-4000-8000-000000000001} and ...0002. */
static const GUID clsid_good = {0x5EC0C1A5, 0, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 1}};
static const GUID clsid_broken = {0x5EC0C1A5, 0, 0x4000, {0x80, 0, 0, 0, 0, 0, 0, 2}};

typedef struct factory {
    IClassFactory iface;
    int broken;
} factory;

static HRESULT WINAPI factory_QueryInterface(IClassFactory *This, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_IClassFactory)) {
        *ppv = This;
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

/* The factories are static: their count is not kept. */
static ULONG WINAPI factory_AddRef(IClassFactory *This) { (void)This; return 2; }
static ULONG WINAPI factory_Release(IClassFactory *This) { (void)This; return 1; }

static HRESULT WINAPI factory_CreateInstance(IClassFactory *This, IUnknown *outer, REFIID riid, void **ppv)
{
    factory *f = (factory *)This;
    c_handler_config config;
    ISyncMgrSynchronize *handler;
    HRESULT hr;
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (outer)
        return CLASS_E_NOAGGREGATION;
    memset(&config, 0, sizeof config);
    config.n_items = 3;
    config.init_answer = S_OK;
    config.prepare_answer = S_OK;
    config.enum_answer = S_OK;
    config.threaded = 1;
    config.plain = 1;
    config.ignore_cancel_item = f->broken;
    hr = c_handler_create(&config, &handler);
    if (FAILED(hr))
        return hr;
    hr = ISyncMgrSynchronize_QueryInterface(handler, riid, ppv);
    ISyncMgrSynchronize_Release(handler);
    return hr;
}

static HRESULT WINAPI factory_LockServer(IClassFactory *This, BOOL lock)
{
    (void)This, (void)lock;
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl = {
    factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance, factory_LockServer,
};
static factory good_factory = {{(IClassFactoryVtbl *)&factory_vtbl}, 0};
static factory broken_factory = {{(IClassFactoryVtbl *)&factory_vtbl}, 1};

__declspec(dllexport) HRESULT WINAPI DllGetClassObject(REFCLSID rclsid, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    *ppv = NULL;
    if (!rclsid)
        return E_INVALIDARG;
    if (guid_eq(rclsid, &clsid_good))
        return factory_QueryInterface(&good_factory.iface, riid, ppv);
    if (guid_eq(rclsid, &clsid_broken))
        return factory_QueryInterface(&broken_factory.iface, riid, ppv);
    return CLASS_E_CLASSNOTAVAILABLE;
}

/* S_OK when no handler or enumerator of this DLL is alive. */
__declspec(dllexport) HRESULT WINAPI DllCanUnloadNow(void)
{
    return InterlockedCompareExchange(&live_objects, 0, 0) == 0 ? S_OK : S_FALSE;
}

/* What the handler saw; joins its worker first. Not a COM method: it may
 * be called from any thread. */
__declspec(dllexport) void c_handler_stats_get(ISyncMgrSynchronize *iface, c_handler_stats *out)
{
    handler *h = CONTAINING_RECORD(iface, handler, iface);
    join_worker(h);
    EnterCriticalSection(&h->lock);
    *out = h->stats;
    out->refs = h->refs;
    LeaveCriticalSection(&h->lock);
}

/* The reference count of any object, as its own AddRef/Release report it. */
__declspec(dllexport) ULONG c_refcount(IUnknown *object)
{
    IUnknown_AddRef(object);
    return IUnknown_Release(object);
}

/* A C handler's own count, read without calling it (from any thread). */
__declspec(dllexport) LONG c_handler_refs(ISyncMgrSynchronize *iface)
{
    return InterlockedCompareExchange(&CONTAINING_RECORD(iface, handler, iface)->refs, 0, 0);
}

/* Call `cb` the way a careless handler would, recording each answer:
 *  0 Progress(NULL item)                 1 Progress(item, NULL): a poll
 *  2 Progress, cbSize of x86 (24)        3 Progress, unknown mask bit 0x10
 *  4 Progress, text with unpaired surrogate
 *  5 Progress, STATUSTEXT with NULL text 6 Progress, status 0x77
 *  7 Progress, value 5 above max 3       8 LogError(level 9)
 *  9 LogError(NULL text)                10 LogError, info cbSize 40
 * 11 DeleteLogError(NULL)               12 DeleteLogError(reserved 5)
 * 13 EstablishConnection(reserved 3)    14 ShowErrorCompleted(RETRYSYNC, 2, NULL)
 * 15 Progress, a text of 40000 units    16 Progress, a valid UPDATING report
 * 17 EnableModeless(TRUE)               18 LogError, valid, with info
 */
#define PROBES 19
__declspec(dllexport) unsigned c_probe_callback(ISyncMgrSynchronizeCallback *cb, const GUID *item, HRESULT *out)
{
    SYNCMGRPROGRESSITEM p;
    SYNCMGRLOGERRORINFO info;
    WCHAR bad_text[] = {L'a', 0xD800, L'b', 0};
    WCHAR *long_text;
    GUID id = *item;

#define RESET_P() (memset(&p, 0, sizeof p), p.cbSize = sizeof p)
    out[0] = ISyncMgrSynchronizeCallback_Progress(cb, NULL, NULL);
    out[1] = ISyncMgrSynchronizeCallback_Progress(cb, &id, NULL);
    RESET_P();
    p.cbSize = 24;
    p.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
    p.dwStatusType = SYNCMGRSTATUS_UPDATING;
    out[2] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    RESET_P();
    p.mask = 0x10;
    out[3] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_STATUSTEXT;
    p.lpcStatusText = bad_text;
    out[4] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_STATUSTEXT;
    out[5] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_STATUSTYPE;
    p.dwStatusType = 0x77;
    out[6] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE;
    p.iProgValue = 5;
    p.iMaxValue = 3;
    out[7] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    out[8] = ISyncMgrSynchronizeCallback_LogError(cb, 9, L"text", NULL);
    out[9] = ISyncMgrSynchronizeCallback_LogError(cb, SYNCMGRLOGLEVEL_ERROR, NULL, NULL);
    memset(&info, 0, sizeof info);
    info.cbSize = 40;
    out[10] = ISyncMgrSynchronizeCallback_LogError(cb, SYNCMGRLOGLEVEL_ERROR, L"text", &info);
    out[11] = ISyncMgrSynchronizeCallback_DeleteLogError(cb, NULL, 0);
    out[12] = ISyncMgrSynchronizeCallback_DeleteLogError(cb, &id, 5);
    out[13] = ISyncMgrSynchronizeCallback_EstablishConnection(cb, L"dial-up", 3);
    out[14] = ISyncMgrSynchronizeCallback_ShowErrorCompleted(cb, S_SYNCMGR_RETRYSYNC, 2, NULL);
    long_text = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, 40001 * sizeof(WCHAR));
    for (unsigned i = 0; long_text && i < 40000; i++)
        long_text[i] = L'x';
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_STATUSTEXT;
    p.lpcStatusText = long_text;
    out[15] = long_text ? ISyncMgrSynchronizeCallback_Progress(cb, &id, &p) : E_OUTOFMEMORY;
    HeapFree(GetProcessHeap(), 0, long_text);
    RESET_P();
    p.mask = SYNCMGRPROGRESSITEM_STATUSTYPE | SYNCMGRPROGRESSITEM_PROGVALUE | SYNCMGRPROGRESSITEM_MAXVALUE | SYNCMGRPROGRESSITEM_STATUSTEXT;
    p.dwStatusType = SYNCMGRSTATUS_UPDATING;
    p.iProgValue = 1;
    p.iMaxValue = 4;
    p.lpcStatusText = L"copying \x00e9t\x00e9";
    out[16] = ISyncMgrSynchronizeCallback_Progress(cb, &id, &p);
    out[17] = ISyncMgrSynchronizeCallback_EnableModeless(cb, TRUE);
    memset(&info, 0, sizeof info);
    info.cbSize = sizeof info;
    info.mask = SYNCMGRLOGERROR_ERRORID | SYNCMGRLOGERROR_ITEMID;
    info.ErrorID = fixture_item_id(99);
    info.ItemID = id;
    out[18] = ISyncMgrSynchronizeCallback_LogError(cb, SYNCMGRLOGLEVEL_WARNING, L"disk almost full", &info);
#undef RESET_P
    return PROBES;
}
