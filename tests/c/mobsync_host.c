/* A SyncMgr host written in C against mingw-w64's real mobsync.h, built
 * into mobsync_host.exe by scripts/test-windows.sh and run by
 * tests/com_dll.rs:
 *
 *     mobsync_host.exe <handler.dll> <{CLSID}> sequence <cancel-index> [plain] [mta|sta]
 *     mobsync_host.exe <handler.dll> <{CLSID}> cancelall [plain] [mta|sta]
 *     mobsync_host.exe <handler.dll> <{CLSID}> edge [plain] [mta|sta]
 *     mobsync_host.exe <handler.dll> <{CLSID}> reentrant [plain] [mta|sta]
 *
 * It loads the handler DLL with LoadLibrary, gets its class factory through
 * DllGetClassObject (no registry), and drives the handler through the
 * documented sequence (PROTOCOL.md) with a callback of its own, counting
 * references on its side. Every check prints "PASS name" or
 * "FAIL name: details"; the last line is "host: N checks, M failed" and the
 * exit code is 1 when any failed.
 *
 * By default the host is free-threaded: it runs in the multithreaded
 * apartment and its callbacks aggregate the free-threaded marshaler. Two
 * options make it an ordinary host instead:
 *
 *   plain  the callbacks answer IUnknown and ISyncMgrSynchronizeCallback
 *          only (no IMarshal, no IAgileObject), as most hand-written hosts'
 *          objects do; no proxy/stub is registered for their interface;
 *   sta    the host runs in a single-threaded apartment and pumps messages
 *          whenever it waits, as SyncMgr and Sync Center hosts do.
 *
 * Every method of the callbacks (IUnknown's included) counts the calls that
 * arrive on a thread other than the host's main thread; with `plain sta`
 * the host checks there are none (a free-threaded object may be called from
 * any thread, an ordinary STA object only from its own).
 *
 * `reentrant` releases the handler from inside the first Progress call:
 * SetProgressCallback(NULL) and the final Release, while the handler's
 * worker waits for that very call to return. The handler must not wait for
 * its worker then; the host pumps until the DLL can unload and checks the
 * callback is back to its baseline. The DLL is not freed afterwards: the
 * worker may still be leaving its thread (CoFreeUnusedLibraries delays
 * the unload of a DLL for the same reason).
 */
#include "common.h"

static unsigned checks, failures;

static void check(int ok, const char *name, const char *fmt, ...)
{
    checks++;
    if (ok) {
        printf("PASS %s\n", name);
    } else {
        va_list args;
        failures++;
        printf("FAIL %s: ", name);
        va_start(args, fmt);
        vprintf(fmt, args);
        va_end(args);
        printf("\n");
    }
    fflush(stdout);
}

static void check_hr(HRESULT got, HRESULT want, const char *name)
{
    check(got == want, name, "got 0x%08lx, expected 0x%08lx", (unsigned long)got, (unsigned long)want);
}
#define CHECK_HR(hr, want, name) check_hr((hr), (want), (name))

/* ---- the host's callback ---- */

#define MAX_ITEMS 16

typedef struct item_record {
    GUID id;
    unsigned reports;
    DWORD last_status;
    int cancel_answered;       /* answered CANCELITEM / CANCELALL at least once */
    unsigned after_cancel_nonterminal;
} item_record;

/* The options (see the top of the file). */
static int plain, sta;
static DWORD sta_thread;

/* `reentrant`: the handler the first Progress call releases, and what the
 * release answered. */
static ISyncMgrSynchronize *reentrant_handler;
static int reentered;
static HRESULT reentrant_set_hr = E_FAIL;
static ULONG reentrant_release = 0xFFFFFFFFu;

typedef struct host_callback {
    ISyncMgrSynchronizeCallback iface;
    LONG refs;
    LONG wrong_thread;         /* calls entered on a thread other than the STA's */
    LONG synchronize_completed_calls;
    IUnknown *ftm;
    CRITICAL_SECTION lock;
    HANDLE prepared, synchronized;
    HRESULT prepare_hr, synchronize_hr;
    item_record items[MAX_ITEMS];
    unsigned n_items;
    int cancel_index;          /* item answered CANCELITEM, -1 for none */
    int cancel_all;            /* answer CANCELALL from the first report on */
    unsigned unknown_items, polls, log_errors;
} host_callback;

static host_callback *cb_from(ISyncMgrSynchronizeCallback *iface)
{
    host_callback *cb = CONTAINING_RECORD(iface, host_callback, iface);
    /* Every method comes through here first: in the STA, count the calls
     * that arrive on another thread (COM's rules forbid them). */
    if (GetCurrentThreadId() != sta_thread)
        InterlockedIncrement(&cb->wrong_thread);
    return cb;
}

static HRESULT WINAPI cb_QueryInterface(ISyncMgrSynchronizeCallback *This, REFIID riid, void **ppv)
{
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrSynchronizeCallback)) {
        *ppv = This;
        ISyncMgrSynchronizeCallback_AddRef(This);
        return S_OK;
    }
    if (IsEqualIID(riid, &IID_IMarshal) && cb_from(This)->ftm)
        return IUnknown_QueryInterface(cb_from(This)->ftm, riid, ppv);
    cb_from(This);
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI cb_AddRef(ISyncMgrSynchronizeCallback *This)
{
    return InterlockedIncrement(&cb_from(This)->refs);
}

/* The host owns the objects (static storage): the count only goes to 0. */
static ULONG WINAPI cb_Release(ISyncMgrSynchronizeCallback *This)
{
    return InterlockedDecrement(&cb_from(This)->refs);
}

static HRESULT WINAPI cb_ShowPropertiesCompleted(ISyncMgrSynchronizeCallback *This, HRESULT hr)
{
    (void)cb_from(This), (void)hr;
    return S_OK;
}

static HRESULT WINAPI cb_PrepareForSyncCompleted(ISyncMgrSynchronizeCallback *This, HRESULT hr)
{
    host_callback *cb = cb_from(This);
    cb->prepare_hr = hr;
    SetEvent(cb->prepared);
    return S_OK;
}

static HRESULT WINAPI cb_SynchronizeCompleted(ISyncMgrSynchronizeCallback *This, HRESULT hr)
{
    host_callback *cb = cb_from(This);
    cb->synchronize_hr = hr;
    InterlockedIncrement(&cb->synchronize_completed_calls);
    SetEvent(cb->synchronized);
    return S_OK;
}

static HRESULT WINAPI cb_ShowErrorCompleted(ISyncMgrSynchronizeCallback *This, HRESULT hr, ULONG n, SYNCMGRITEMID *ids)
{
    (void)cb_from(This), (void)hr, (void)n, (void)ids;
    return S_OK;
}

static HRESULT WINAPI cb_EnableModeless(ISyncMgrSynchronizeCallback *This, WINBOOL enable)
{
    (void)cb_from(This);
    return enable ? S_FALSE : S_OK;
}

static int terminal(DWORD status)
{
    return status == SYNCMGRSTATUS_STOPPED || status == SYNCMGRSTATUS_SKIPPED ||
           status == SYNCMGRSTATUS_SUCCEEDED || status == SYNCMGRSTATUS_FAILED;
}

static HRESULT WINAPI cb_Progress(ISyncMgrSynchronizeCallback *This, REFSYNCMGRITEMID id, LPSYNCMGRPROGRESSITEM p)
{
    host_callback *cb = cb_from(This);
    HRESULT answer = S_OK;
    int index = -1;
    if (!id)
        return E_POINTER;
    if (reentrant_handler) {
        /* Release the handler from inside its worker's call. */
        ISyncMgrSynchronize *handler = reentrant_handler;
        reentrant_handler = NULL;
        reentrant_set_hr = ISyncMgrSynchronize_SetProgressCallback(handler, NULL);
        reentrant_release = ISyncMgrSynchronize_Release(handler);
        reentered = 1;
    }
    EnterCriticalSection(&cb->lock);
    for (unsigned i = 0; i < cb->n_items; i++)
        if (guid_eq(&cb->items[i].id, id))
            index = (int)i;
    if (index < 0) {
        cb->unknown_items++;
        answer = E_INVALIDARG;
    } else {
        item_record *item = &cb->items[index];
        if (!p) {
            cb->polls++;
        } else if (p->cbSize != sizeof *p) {
            answer = E_INVALIDARG;
        } else {
            item->reports++;
            if (p->mask & SYNCMGRPROGRESSITEM_STATUSTYPE) {
                if (item->cancel_answered && !terminal(p->dwStatusType))
                    item->after_cancel_nonterminal++;
                item->last_status = p->dwStatusType;
            }
        }
        if (answer == S_OK && !(p && (p->mask & SYNCMGRPROGRESSITEM_STATUSTYPE) && terminal(p->dwStatusType))) {
            if (cb->cancel_all)
                answer = S_SYNCMGR_CANCELALL;
            else if (index == cb->cancel_index)
                answer = S_SYNCMGR_CANCELITEM;
            if (answer != S_OK)
                item->cancel_answered = 1;
        }
    }
    LeaveCriticalSection(&cb->lock);
    return answer;
}

static HRESULT WINAPI cb_LogError(ISyncMgrSynchronizeCallback *This, DWORD level, LPCWSTR text, LPSYNCMGRLOGERRORINFO info)
{
    (void)level, (void)info;
    if (!text)
        return E_POINTER;
    InterlockedIncrement((LONG *)&cb_from(This)->log_errors);
    return S_OK;
}

static HRESULT WINAPI cb_DeleteLogError(ISyncMgrSynchronizeCallback *This, REFSYNCMGRERRORID id, DWORD reserved)
{
    (void)cb_from(This), (void)id, (void)reserved;
    return S_OK;
}

static HRESULT WINAPI cb_EstablishConnection(ISyncMgrSynchronizeCallback *This, const WCHAR *name, DWORD reserved)
{
    (void)cb_from(This), (void)name, (void)reserved;
    return S_OK;
}

static const ISyncMgrSynchronizeCallbackVtbl callback_vtbl = {
    cb_QueryInterface, cb_AddRef, cb_Release, cb_ShowPropertiesCompleted, cb_PrepareForSyncCompleted,
    cb_SynchronizeCompleted, cb_ShowErrorCompleted, cb_EnableModeless, cb_Progress, cb_LogError,
    cb_DeleteLogError, cb_EstablishConnection,
};

static void callback_init(host_callback *cb)
{
    memset(cb, 0, sizeof *cb);
    cb->iface.lpVtbl = (ISyncMgrSynchronizeCallbackVtbl *)&callback_vtbl;
    cb->refs = 1;
    cb->cancel_index = -1;
    InitializeCriticalSection(&cb->lock);
    cb->prepared = CreateEventW(NULL, TRUE, FALSE, NULL);
    cb->synchronized = CreateEventW(NULL, TRUE, FALSE, NULL);
    /* Agile, as a free-threaded host callback is; or, with `plain`, an
     * ordinary object bound to the host's apartment. */
    if (!plain)
        CoCreateFreeThreadedMarshaler((IUnknown *)&cb->iface, &cb->ftm);
}

/* Dispatch every message waiting for this thread. */
static void pump(void)
{
    MSG msg;
    while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) {
        TranslateMessage(&msg);
        DispatchMessageW(&msg);
    }
}

/* Wait up to `ms` for `event`; an STA host pumps messages while it waits,
 * as COM requires of a single-threaded apartment. */
static int wait_for(HANDLE event, DWORD ms)
{
    DWORD start = GetTickCount();
    if (!sta)
        return WaitForSingleObject(event, ms) == WAIT_OBJECT_0;
    for (;;) {
        DWORD elapsed = GetTickCount() - start, r;
        if (elapsed >= ms)
            return WaitForSingleObject(event, 0) == WAIT_OBJECT_0;
        r = MsgWaitForMultipleObjectsEx(1, &event, ms - elapsed, QS_ALLINPUT, MWMO_INPUTAVAILABLE);
        if (r == WAIT_OBJECT_0)
            return 1;
        if (r != WAIT_OBJECT_0 + 1)
            return 0;
        pump();
    }
}

/* ---- loading the handler ---- */

typedef HRESULT(WINAPI *get_class_object_fn)(REFCLSID, REFIID, void **);
typedef HRESULT(WINAPI *can_unload_fn)(void);

static HMODULE dll;
static get_class_object_fn get_class_object;
static can_unload_fn can_unload;

static int load(const WCHAR *path)
{
    dll = LoadLibraryExW(path, NULL, LOAD_WITH_ALTERED_SEARCH_PATH);
    check(dll != NULL, "LoadLibrary", "error %lu", GetLastError());
    if (!dll)
        return 0;
    get_class_object = (get_class_object_fn)(void *)GetProcAddress(dll, "DllGetClassObject");
    can_unload = (can_unload_fn)(void *)GetProcAddress(dll, "DllCanUnloadNow");
    check(get_class_object && can_unload, "exports", "DllGetClassObject %p, DllCanUnloadNow %p",
          (void *)get_class_object, (void *)can_unload);
    return get_class_object && can_unload;
}

static void unload(void)
{
    CHECK_HR(can_unload(), S_OK, "DllCanUnloadNow after the final Release");
    FreeLibrary(dll);
}

/* ---- scenarios ---- */

static unsigned enumerate(ISyncMgrSynchronize *handler, host_callback *cb)
{
    ISyncMgrEnumItems *items = NULL, *clone = NULL;
    SYNCMGRITEM item;
    ULONG fetched = 0;
    HRESULT hr = ISyncMgrSynchronize_EnumSyncMgrItems(handler, &items);
    CHECK_HR(hr, S_OK, "EnumSyncMgrItems");
    if (FAILED(hr) || !items)
        return 0;
    while (cb->n_items < MAX_ITEMS && (hr = ISyncMgrEnumItems_Next(items, 1, &item, &fetched)) == S_OK) {
        check(item.cbSize == sizeof item, "SYNCMGRITEM.cbSize", "%lu, expected %u",
              (unsigned long)item.cbSize, (unsigned)sizeof item);
        check(fetched == 1, "Next fetched", "%lu", (unsigned long)fetched);
        printf("item %u: %ls\n", cb->n_items, item.wszItemName);
        cb->items[cb->n_items++].id = item.ItemID;
    }
    CHECK_HR(hr, S_FALSE, "Next at the end");
    CHECK_HR(ISyncMgrEnumItems_Reset(items), S_OK, "Reset");
    CHECK_HR(ISyncMgrEnumItems_Skip(items, 1), S_OK, "Skip(1)");
    CHECK_HR(ISyncMgrEnumItems_Clone(items, &clone), S_OK, "Clone");
    if (clone) {
        hr = ISyncMgrEnumItems_Next(clone, 1, &item, NULL);
        check(hr == S_OK && cb->n_items > 1 && guid_eq(&item.ItemID, &cb->items[1].id),
              "Clone keeps the position", "hr 0x%08lx, got %ls", (unsigned long)hr, item.wszItemName);
        check(ISyncMgrEnumItems_Release(clone) == 0, "Clone released", "");
    }
    check(ISyncMgrEnumItems_Release(items) == 0, "enumerator released", "");
    return cb->n_items;
}

static int sequence(const GUID *clsid, int cancel_index, int cancel_all)
{
    static host_callback cb, cb2;
    IClassFactory *factory = NULL;
    ISyncMgrSynchronize *handler = NULL;
    SYNCMGRHANDLERINFO *info = NULL;
    GUID ids[MAX_ITEMS];
    HRESULT hr;
    unsigned n;

    callback_init(&cb);
    callback_init(&cb2);
    cb.cancel_index = cancel_index;
    cb.cancel_all = cancel_all;

    CHECK_HR(get_class_object(clsid, &IID_IClassFactory, (void **)&factory), S_OK, "DllGetClassObject");
    if (!factory)
        return 0;
    CHECK_HR(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronize, (void **)&handler), S_OK,
             "CreateInstance(ISyncMgrSynchronize)");
    if (!handler)
        return 0;

    /* A declined event: S_FALSE crosses intact. */
    {
        ISyncMgrSynchronize *other = NULL;
        IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronize, (void **)&other);
        if (other) {
            CHECK_HR(ISyncMgrSynchronize_Initialize(other, 0, SYNCMGRFLAG_IDLE, 0, NULL), S_FALSE,
                     "Initialize(IDLE) declines with S_FALSE");
            check(ISyncMgrSynchronize_Release(other) == 0, "declined handler released", "");
        }
    }

    /* 1. Initialize */
    CHECK_HR(ISyncMgrSynchronize_Initialize(handler, 0, SYNCMGRFLAG_MANUAL, 0, NULL), S_OK, "Initialize(MANUAL)");
    /* GetHandlerInfo: CoTaskMemAlloc'd, this architecture's size. */
    hr = ISyncMgrSynchronize_GetHandlerInfo(handler, &info);
    CHECK_HR(hr, S_OK, "GetHandlerInfo");
    if (info) {
        check(info->cbSize == sizeof *info, "SYNCMGRHANDLERINFO.cbSize", "%lu, expected %u",
              (unsigned long)info->cbSize, (unsigned)sizeof *info);
        printf("handler: %ls\n", info->wszHandlerName);
        CoTaskMemFree(info);
    }
    /* 2. EnumSyncMgrItems */
    n = enumerate(handler, &cb);
    check(n >= 3, "at least three items", "%u", n);
    memcpy(cb2.items, cb.items, sizeof cb.items);
    cb2.n_items = cb.n_items;
    for (unsigned i = 0; i < n; i++)
        ids[i] = cb.items[i].id;

    /* 3. SetProgressCallback: exactly one reference is kept. */
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, &cb.iface), S_OK, "SetProgressCallback(cb)");
    check(cb.refs == 2, "one reference to the callback", "refs %ld, expected 2", cb.refs);

    /* 4./5. PrepareForSync, PrepareForSyncCompleted */
    CHECK_HR(ISyncMgrSynchronize_PrepareForSync(handler, n, ids, NULL, 0), S_OK, "PrepareForSync");
    check(wait_for(cb.prepared, 10000), "PrepareForSyncCompleted arrives", "timeout");
    CHECK_HR(cb.prepare_hr, S_OK, "PrepareForSyncCompleted(S_OK)");

    /* 6.-8. Synchronize, Progress, SynchronizeCompleted */
    CHECK_HR(ISyncMgrSynchronize_Synchronize(handler, NULL), S_OK, "Synchronize");
    check(wait_for(cb.synchronized, 20000), "SynchronizeCompleted arrives", "timeout");
    printf("SynchronizeCompleted(0x%08lx)\n", (unsigned long)cb.synchronize_hr);
    check(cb.unknown_items == 0, "no progress for unknown items", "%u", cb.unknown_items);
    for (unsigned i = 0; i < n; i++) {
        item_record *item = &cb.items[i];
        int cancelled = cancel_all || (int)i == cancel_index;
        printf("item %u: %u reports, last status %lu, cancel answered %d\n", i, item->reports,
               (unsigned long)item->last_status, item->cancel_answered);
        check(item->after_cancel_nonterminal == 0, "only a terminal status after a cancel", "item %u: %u", i,
              item->after_cancel_nonterminal);
        if (cancel_all && i > 0) {
            check(item->reports == 0, "no new item after CANCELALL", "item %u: %u reports", i, item->reports);
        } else if (cancelled) {
            check(item->cancel_answered && item->last_status == SYNCMGRSTATUS_STOPPED,
                  "a cancelled item stops", "item %u: answered %d, last status %lu", i, item->cancel_answered,
                  (unsigned long)item->last_status);
        } else {
            check(!item->cancel_answered && item->last_status == SYNCMGRSTATUS_SUCCEEDED,
                  "an item that was not cancelled succeeds", "item %u: last status %lu", i,
                  (unsigned long)item->last_status);
        }
    }

    /* Replace: the old callback is released, the new one held once. */
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, &cb2.iface), S_OK, "SetProgressCallback(cb2)");
    check(cb.refs == 1, "replaced callback back to baseline", "refs %ld, expected 1", cb.refs);
    check(cb2.refs == 2, "new callback held once", "refs %ld, expected 2", cb2.refs);
    /* 10. SetProgressCallback(NULL) before the final Release */
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, NULL), S_OK, "SetProgressCallback(NULL)");
    check(cb2.refs == 1, "callback back to baseline after NULL", "refs %ld, expected 1", cb2.refs);
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, NULL), S_OK, "SetProgressCallback(NULL) again");
    CHECK_HR(can_unload(), S_FALSE, "DllCanUnloadNow while objects live");

    check(ISyncMgrSynchronize_Release(handler) == 0, "final Release of the handler", "");
    check(IClassFactory_Release(factory) == 0, "final Release of the factory", "");
    check(cb.refs == 1 && cb2.refs == 1, "callbacks at baseline", "refs %ld, %ld", cb.refs, cb2.refs);
    check(cb.synchronize_completed_calls == 1 && cb2.synchronize_completed_calls == 0,
          "SynchronizeCompleted exactly once", "%ld, then %ld on the replacement", cb.synchronize_completed_calls,
          cb2.synchronize_completed_calls);
    printf("calls on another thread: %ld\n", cb.wrong_thread + cb2.wrong_thread);
    if (sta && plain)
        check(cb.wrong_thread == 0 && cb2.wrong_thread == 0, "every callback call on the STA thread",
              "%ld and %ld calls on other threads", cb.wrong_thread, cb2.wrong_thread);
    return 1;
}

static int edge(const GUID *clsid)
{
    static host_callback cb;
    IClassFactory *factory = NULL;
    ISyncMgrSynchronize *handler = NULL;
    ISyncMgrEnumItems *items = NULL;
    IUnknown *unknown = (IUnknown *)1;
    void *object = (void *)1;
    SYNCMGRITEM item[2];
    GUID wrong = fixture_item_id(42), id;
    ULONG fetched;

    callback_init(&cb);
    CHECK_HR(get_class_object(&wrong, &IID_IClassFactory, (void **)&factory), CLASS_E_CLASSNOTAVAILABLE,
             "DllGetClassObject(another CLSID)");
    check(factory == NULL, "no factory for another CLSID", "");
    CHECK_HR(get_class_object(NULL, &IID_IClassFactory, (void **)&factory), E_POINTER, "DllGetClassObject(NULL clsid)");
    CHECK_HR(get_class_object(clsid, &IID_IClassFactory, NULL), E_POINTER, "DllGetClassObject(NULL ppv)");
    CHECK_HR(get_class_object(clsid, &IID_ISyncMgrSynchronize, (void **)&factory), E_NOINTERFACE,
             "DllGetClassObject(ISyncMgrSynchronize)");
    CHECK_HR(get_class_object(clsid, &IID_IClassFactory, (void **)&factory), S_OK, "DllGetClassObject");
    if (!factory)
        return 0;
    CHECK_HR(IClassFactory_CreateInstance(factory, (IUnknown *)factory, &IID_IUnknown, (void **)&unknown),
             CLASS_E_NOAGGREGATION, "CreateInstance with an outer object");
    check(unknown == NULL, "no object with an outer object", "");
    CHECK_HR(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronizeCallback, &object), E_NOINTERFACE,
             "CreateInstance(ISyncMgrSynchronizeCallback)");
    CHECK_HR(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronize, NULL), E_POINTER,
             "CreateInstance(NULL ppv)");
    CHECK_HR(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronize, (void **)&handler), S_OK,
             "CreateInstance");
    if (!handler)
        return 0;
    CHECK_HR(ISyncMgrSynchronize_QueryInterface(handler, &IID_ISyncMgrSynchronizeCallback, &object), E_NOINTERFACE,
             "QueryInterface(another interface)");

    CHECK_HR(ISyncMgrSynchronize_Initialize(handler, 1, SYNCMGRFLAG_MANUAL, 0, NULL), E_INVALIDARG,
             "Initialize(dwReserved 1)");
    CHECK_HR(ISyncMgrSynchronize_Initialize(handler, 0, SYNCMGRFLAG_MANUAL, 4, NULL), E_INVALIDARG,
             "Initialize(NULL cookie of 4 bytes)");
    CHECK_HR(ISyncMgrSynchronize_Initialize(handler, 0, SYNCMGRFLAG_MANUAL, 0, NULL), S_OK, "Initialize");
    CHECK_HR(ISyncMgrSynchronize_GetHandlerInfo(handler, NULL), E_POINTER, "GetHandlerInfo(NULL)");
    CHECK_HR(ISyncMgrSynchronize_EnumSyncMgrItems(handler, NULL), E_POINTER, "EnumSyncMgrItems(NULL)");
    CHECK_HR(ISyncMgrSynchronize_EnumSyncMgrItems(handler, &items), S_OK, "EnumSyncMgrItems");
    if (items) {
        CHECK_HR(ISyncMgrEnumItems_Next(items, 2, item, NULL), E_POINTER, "Next(2, NULL fetched)");
        CHECK_HR(ISyncMgrEnumItems_Next(items, 1, NULL, &fetched), E_POINTER, "Next(NULL items)");
        CHECK_HR(ISyncMgrEnumItems_Clone(items, NULL), E_POINTER, "Clone(NULL)");
        CHECK_HR(ISyncMgrEnumItems_Next(items, 1, item, NULL), S_OK, "Next(1, NULL fetched)");
        ISyncMgrEnumItems_Release(items);
    }
    id = item[0].ItemID;
    object = (void *)1;
    CHECK_HR(ISyncMgrSynchronize_GetItemObject(handler, &id, &IID_IUnknown, &object), E_NOTIMPL, "GetItemObject");
    check(object == NULL, "GetItemObject clears *ppv", "");
    CHECK_HR(ISyncMgrSynchronize_GetItemObject(handler, &id, &IID_IUnknown, NULL), E_POINTER, "GetItemObject(NULL ppv)");
    CHECK_HR(ISyncMgrSynchronize_ShowProperties(handler, NULL, NULL), E_POINTER, "ShowProperties(NULL item)");
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, &cb.iface), S_OK, "SetProgressCallback(cb)");
    CHECK_HR(ISyncMgrSynchronize_PrepareForSync(handler, 2, NULL, NULL, 0), E_POINTER, "PrepareForSync(2, NULL)");
    CHECK_HR(ISyncMgrSynchronize_PrepareForSync(handler, 1, &id, NULL, 7), E_INVALIDARG,
             "PrepareForSync(dwReserved 7)");
    CHECK_HR(ISyncMgrSynchronize_SetItemStatus(handler, NULL, SYNCMGRSTATUS_SKIPPED), E_POINTER,
             "SetItemStatus(NULL item)");
    CHECK_HR(ISyncMgrSynchronize_SetItemStatus(handler, &id, 0x77), E_INVALIDARG, "SetItemStatus(0x77)");
    CHECK_HR(ISyncMgrSynchronize_ShowError(handler, NULL, NULL), E_POINTER, "ShowError(NULL error)");
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, NULL), S_OK, "SetProgressCallback(NULL)");
    check(cb.refs == 1, "callback back to baseline", "refs %ld", cb.refs);
    check(ISyncMgrSynchronize_Release(handler) == 0, "final Release of the handler", "");
    check(IClassFactory_Release(factory) == 0, "final Release of the factory", "");
    if (sta && plain)
        check(cb.wrong_thread == 0, "every callback call on the STA thread", "%ld calls on other threads",
              cb.wrong_thread);
    return 1;
}

static int reentrant(const GUID *clsid)
{
    static host_callback cb;
    IClassFactory *factory = NULL;
    ISyncMgrSynchronize *handler = NULL;
    GUID ids[MAX_ITEMS];
    HRESULT can = S_FALSE;
    DWORD start;
    unsigned n;

    callback_init(&cb);
    CHECK_HR(get_class_object(clsid, &IID_IClassFactory, (void **)&factory), S_OK, "DllGetClassObject");
    if (!factory)
        return 0;
    CHECK_HR(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrSynchronize, (void **)&handler), S_OK,
             "CreateInstance(ISyncMgrSynchronize)");
    check(IClassFactory_Release(factory) == 0, "final Release of the factory", "");
    if (!handler)
        return 0;
    CHECK_HR(ISyncMgrSynchronize_Initialize(handler, 0, SYNCMGRFLAG_MANUAL, 0, NULL), S_OK, "Initialize(MANUAL)");
    n = enumerate(handler, &cb);
    for (unsigned i = 0; i < n; i++)
        ids[i] = cb.items[i].id;
    CHECK_HR(ISyncMgrSynchronize_SetProgressCallback(handler, &cb.iface), S_OK, "SetProgressCallback(cb)");
    CHECK_HR(ISyncMgrSynchronize_PrepareForSync(handler, n, ids, NULL, 0), S_OK, "PrepareForSync");
    check(wait_for(cb.prepared, 10000), "PrepareForSyncCompleted arrives", "timeout");
    /* The first Progress call releases the handler (cb_Progress). */
    reentrant_handler = handler;
    CHECK_HR(ISyncMgrSynchronize_Synchronize(handler, NULL), S_OK, "Synchronize");
    /* Pump until the worker has ended and everything it held is released. */
    start = GetTickCount();
    while (GetTickCount() - start < 20000) {
        if (reentered && cb.refs == 1 && (can = can_unload()) == S_OK)
            break;
        if (sta)
            MsgWaitForMultipleObjectsEx(0, NULL, 10, QS_ALLINPUT, MWMO_INPUTAVAILABLE), pump();
        else
            Sleep(10);
    }
    check(reentered, "the first Progress released the handler", "no Progress arrived");
    CHECK_HR(reentrant_set_hr, S_OK, "SetProgressCallback(NULL) inside Progress");
    check(reentrant_release == 0, "final Release inside Progress", "answered %lu", (unsigned long)reentrant_release);
    check(cb.refs == 1, "callback back to baseline once the worker ended", "refs %ld", cb.refs);
    CHECK_HR(can, S_OK, "DllCanUnloadNow once the worker ended");
    check(cb.synchronize_completed_calls == 0, "no SynchronizeCompleted after the release", "%ld",
          cb.synchronize_completed_calls);
    printf("calls on another thread: %ld\n", cb.wrong_thread);
    if (sta && plain)
        check(cb.wrong_thread == 0, "every callback call on the STA thread", "%ld calls on other threads",
              cb.wrong_thread);
    return 1;
}

int wmain(int argc, WCHAR **argv)
{
    GUID clsid;
    const WCHAR *scenario;
    int cancel_index = 1;
    if (argc < 4) {
        fprintf(stderr, "usage: mobsync_host <handler.dll> <{CLSID}> sequence <n>|cancelall|edge|reentrant [plain] [mta|sta]\n");
        return 2;
    }
    for (int i = 4; i < argc; i++) {
        if (!wcscmp(argv[i], L"plain"))
            plain = 1;
        else if (!wcscmp(argv[i], L"sta"))
            sta = 1;
        else if (!wcscmp(argv[i], L"mta"))
            sta = 0;
        else
            cancel_index = _wtoi(argv[i]);
    }
    if (FAILED(CLSIDFromString(argv[2], &clsid))) {
        fprintf(stderr, "not a CLSID: %ls\n", argv[2]);
        return 2;
    }
    scenario = argv[3];
    printf("host: %s callbacks in the %s\n", plain ? "plain" : "free-threaded", sta ? "STA" : "MTA");
    sta_thread = GetCurrentThreadId();
    if (sta)
        CHECK_HR(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED), S_OK, "CoInitializeEx(STA)");
    else
        CHECK_HR(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK, "CoInitializeEx(MTA)");
    if (load(argv[1])) {
        if (!wcscmp(scenario, L"sequence"))
            sequence(&clsid, cancel_index, 0);
        else if (!wcscmp(scenario, L"cancelall"))
            sequence(&clsid, -1, 1);
        else if (!wcscmp(scenario, L"edge"))
            edge(&clsid);
        else if (!wcscmp(scenario, L"reentrant"))
            reentrant(&clsid);
        else
            check(0, "scenario", "unknown scenario %ls", scenario);
        if (wcscmp(scenario, L"reentrant"))
            unload();
    }
    CoUninitialize();
    printf("host: %u checks, %u failed\n", checks, failures);
    return failures ? 1 : 0;
}
