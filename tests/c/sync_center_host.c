/* A Sync Center host written in C against the SDK's Sync Center interfaces
 * (declared in sync_center.h: mingw-w64 has no syncmgr.h), built into
 * sync_center_host.exe by scripts/test-windows.sh and run by
 * tests/com_sync_center_dll.rs:
 *
 *     sync_center_host.exe <handler.dll> <{CLSID}> mta|sta <cancel-index>|all
 *
 * It loads the handler DLL with LoadLibrary, gets its class factory through
 * DllGetClassObject (no registry), and then does what Sync Center does with
 * a handler: reads its name and ISyncMgrHandlerInfo, walks its item
 * container and enumerator (Next, Skip, Reset, Clone, GetSyncItem for known
 * and unknown ids, GetSyncItemCount), and calls Synchronize with a session
 * creator of its own, whose CreateSession hands out a callback of its own.
 * Both are plain COM objects (IUnknown and their interface only: no
 * IMarshal, no IAgileObject), bound to the host's apartment.
 *
 * The callback answers SYNCMGR_CR_CANCEL_ITEM to every report of item
 * <cancel-index> until the item acknowledges with CANCELED (or, with `all`,
 * SYNCMGR_CR_CANCEL_ALL to every report), and records every report. The
 * host checks one terminal status per item, the CANCELED acknowledgement,
 * no report after a terminal status other than FAILED, that every call on
 * its objects arrives on its own thread, that every string it is handed is
 * CoTaskMemAlloc-ed (IMalloc::DidAlloc), that the reference counts of its
 * objects are back to their baseline, the final Releases, and
 * DllCanUnloadNow. In the STA it pumps messages whenever it waits.
 *
 * Every check prints "PASS name" or "FAIL name: details"; the last line is
 * "host: N checks, M failed" and the exit code is 1 when any failed.
 */
#include "sync_center.h"

static unsigned checks, failures;
static int sta;
static DWORD host_thread;
static IMalloc *task_malloc;

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

/* A string handed out to the host: CoTaskMemAlloc-ed (checked), equal to
 * `want` when it is not NULL, then freed. */
static void check_string(HRESULT hr, LPWSTR text, const WCHAR *want, const char *name)
{
    char label[128];
    snprintf(label, sizeof label, "%s answers S_OK", name);
    check_hr(hr, S_OK, label);
    if (!text) {
        check(0, name, "no string");
        return;
    }
    snprintf(label, sizeof label, "%s is CoTaskMemAlloc-ed", name);
    check(IMalloc_DidAlloc(task_malloc, text) == 1, label, "DidAlloc answered %d",
          IMalloc_DidAlloc(task_malloc, text));
    if (want) {
        snprintf(label, sizeof label, "%s text", name);
        check(!wcscmp(text, want), label, "got \"%ls\", expected \"%ls\"", text, want);
    }
    printf("%s: %ls\n", name, text);
    CoTaskMemFree(text);
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

/* ---- the host's callback ---- */

#define N_ITEMS 3
static const WCHAR *const item_ids[N_ITEMS] = {L"holidays", L"family", L"garden"};

typedef struct item_record {
    unsigned reports, terminals, after_terminal;
    SYNCMGR_PROGRESS_STATUS last;
    int cancel_answered, acknowledged;
    ULONG first_max;
} item_record;

typedef struct host_callback {
    ISyncMgrSyncCallback iface;
    LONG refs, wrong_thread;
    item_record items[N_ITEMS];
    int cancel_index, cancel_all;
    int cancel_all_answered; /* CANCEL_ALL answered once: sticky for every item */
    unsigned unknown_items;
} host_callback;

static host_callback *cb_from(ISyncMgrSyncCallback *iface)
{
    host_callback *cb = CONTAINING_RECORD(iface, host_callback, iface);
    if (GetCurrentThreadId() != host_thread)
        InterlockedIncrement(&cb->wrong_thread);
    return cb;
}

static HRESULT STDMETHODCALLTYPE cb_QueryInterface(ISyncMgrSyncCallback *This, REFIID riid, void **ppv)
{
    cb_from(This);
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrSyncCallback)) {
        *ppv = This;
        This->lpVtbl->AddRef(This);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cb_AddRef(ISyncMgrSyncCallback *This)
{
    return InterlockedIncrement(&cb_from(This)->refs);
}

/* The host owns the objects (static storage): the count only goes to 0. */
static ULONG STDMETHODCALLTYPE cb_Release(ISyncMgrSyncCallback *This)
{
    return InterlockedDecrement(&cb_from(This)->refs);
}

static int is_terminal(SYNCMGR_PROGRESS_STATUS status)
{
    return status == SYNCMGR_PS_SUCCEEDED || status == SYNCMGR_PS_FAILED || status == SYNCMGR_PS_CANCELED ||
           status == SYNCMGR_PS_DISCONNECTED;
}

static HRESULT STDMETHODCALLTYPE cb_ReportProgress(ISyncMgrSyncCallback *This, LPCWSTR id, LPCWSTR text,
                                                   SYNCMGR_PROGRESS_STATUS status, ULONG current, ULONG max,
                                                   SYNCMGR_CANCEL_REQUEST *cancel)
{
    host_callback *cb = cb_from(This);
    item_record *item = NULL;
    int index = -1;
    (void)text, (void)current;
    if (!id)
        return E_POINTER;
    for (int i = 0; i < N_ITEMS; i++)
        if (!wcscmp(id, item_ids[i]))
            index = i, item = &cb->items[i];
    if (!item) {
        cb->unknown_items++;
        return E_INVALIDARG;
    }
    if (item->reports++ == 0)
        item->first_max = max;
    if (item->terminals > 0 && status != SYNCMGR_PS_FAILED)
        item->after_terminal++;
    if (is_terminal(status))
        item->terminals++;
    if (status == SYNCMGR_PS_CANCELED && (item->cancel_answered || cb->cancel_all_answered))
        item->acknowledged = 1;
    item->last = status;
    if (cancel) {
        *cancel = SYNCMGR_CR_NONE;
        if (cb->cancel_all) {
            *cancel = SYNCMGR_CR_CANCEL_ALL;
            item->cancel_answered = 1;
            cb->cancel_all_answered = 1;
        } else if (index == cb->cancel_index && !item->acknowledged && !is_terminal(status)) {
            *cancel = SYNCMGR_CR_CANCEL_ITEM;
            item->cancel_answered = 1;
        }
    }
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE cb_SetHandlerProgressText(ISyncMgrSyncCallback *This, LPCWSTR text,
                                                           SYNCMGR_CANCEL_REQUEST *cancel)
{
    host_callback *cb = cb_from(This);
    (void)text;
    if (cancel)
        *cancel = cb->cancel_all ? SYNCMGR_CR_CANCEL_ALL : SYNCMGR_CR_NONE;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE cb_ReportEvent(ISyncMgrSyncCallback *This, LPCWSTR item, SYNCMGR_EVENT_LEVEL level,
                                                SYNCMGR_EVENT_FLAGS flags, LPCWSTR name, LPCWSTR description,
                                                LPCWSTR link_text, LPCWSTR link_reference, LPCWSTR context,
                                                GUID *event_id)
{
    (void)cb_from(This), (void)item, (void)level, (void)flags, (void)name, (void)description;
    (void)link_text, (void)link_reference, (void)context;
    if (!event_id)
        return E_POINTER;
    return CoCreateGuid(event_id);
}

static HRESULT STDMETHODCALLTYPE cb_CanContinue(ISyncMgrSyncCallback *This, LPCWSTR id)
{
    host_callback *cb = cb_from(This);
    if (cb->cancel_all)
        return S_FALSE;
    for (int i = 0; id && i < N_ITEMS; i++)
        if (!wcscmp(id, item_ids[i]))
            return i == cb->cancel_index && !cb->items[i].acknowledged ? S_FALSE : S_OK;
    return id && *id ? E_INVALIDARG : S_OK;
}

static HRESULT STDMETHODCALLTYPE cb_QueryForAdditionalItems(ISyncMgrSyncCallback *This, IEnumString **ids,
                                                            IEnumUnknown **punks)
{
    (void)cb_from(This);
    if (ids)
        *ids = NULL;
    if (punks)
        *punks = NULL;
    return S_FALSE;
}

static HRESULT STDMETHODCALLTYPE cb_AddItemToSession(ISyncMgrSyncCallback *This, LPCWSTR id)
{
    (void)cb_from(This), (void)id;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE cb_AddIUnknownToSession(ISyncMgrSyncCallback *This, IUnknown *punk)
{
    (void)cb_from(This), (void)punk;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE cb_ProposeItem(ISyncMgrSyncCallback *This, IUnknown *item)
{
    (void)cb_from(This), (void)item;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE cb_CommitItem(ISyncMgrSyncCallback *This, LPCWSTR id)
{
    (void)cb_from(This), (void)id;
    return E_NOTIMPL;
}

static HRESULT STDMETHODCALLTYPE cb_ReportManualSync(ISyncMgrSyncCallback *This)
{
    (void)cb_from(This);
    return S_OK;
}

static const ISyncMgrSyncCallbackVtbl cb_vtbl = {
    cb_QueryInterface,   cb_AddRef,      cb_Release,           cb_ReportProgress,       cb_SetHandlerProgressText,
    cb_ReportEvent,      cb_CanContinue, cb_QueryForAdditionalItems, cb_AddItemToSession, cb_AddIUnknownToSession,
    cb_ProposeItem,      cb_CommitItem,  cb_ReportManualSync,
};

/* ---- the host's session creator ---- */

typedef struct host_creator {
    ISyncMgrSessionCreator iface;
    LONG refs, wrong_thread, sessions;
    host_callback *callback;
    WCHAR handler_id[64];
    ULONG items;
} host_creator;

static host_creator *cr_from(ISyncMgrSessionCreator *iface)
{
    host_creator *cr = CONTAINING_RECORD(iface, host_creator, iface);
    if (GetCurrentThreadId() != host_thread)
        InterlockedIncrement(&cr->wrong_thread);
    return cr;
}

static HRESULT STDMETHODCALLTYPE cr_QueryInterface(ISyncMgrSessionCreator *This, REFIID riid, void **ppv)
{
    cr_from(This);
    if (!ppv)
        return E_POINTER;
    if (IsEqualIID(riid, &IID_IUnknown) || IsEqualIID(riid, &IID_ISyncMgrSessionCreator)) {
        *ppv = This;
        This->lpVtbl->AddRef(This);
        return S_OK;
    }
    *ppv = NULL;
    return E_NOINTERFACE;
}

static ULONG STDMETHODCALLTYPE cr_AddRef(ISyncMgrSessionCreator *This)
{
    return InterlockedIncrement(&cr_from(This)->refs);
}

static ULONG STDMETHODCALLTYPE cr_Release(ISyncMgrSessionCreator *This)
{
    return InterlockedDecrement(&cr_from(This)->refs);
}

static HRESULT STDMETHODCALLTYPE cr_CreateSession(ISyncMgrSessionCreator *This, LPCWSTR handler, LPCWSTR *ids,
                                                  ULONG count, ISyncMgrSyncCallback **callback)
{
    host_creator *cr = cr_from(This);
    (void)ids;
    if (!callback)
        return E_POINTER;
    *callback = NULL;
    if (!handler)
        return E_POINTER;
    cr->sessions++;
    cr->items = count;
    lstrcpynW(cr->handler_id, handler, 64);
    *callback = &cr->callback->iface;
    cb_AddRef(*callback);
    return S_OK;
}

static const ISyncMgrSessionCreatorVtbl cr_vtbl = {cr_QueryInterface, cr_AddRef, cr_Release, cr_CreateSession};

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

/* ---- what Sync Center asks before a sync ---- */

static void describe(ISyncMgrHandler *handler)
{
    LPWSTR text = NULL;
    ISyncMgrHandlerInfo *info = NULL;
    SYNCMGR_HANDLER_TYPE type = -1;
    SYNCMGR_HANDLER_CAPABILITIES caps = -1;
    FILETIME time;
    GUID object = {1, 2, 3, {4}};
    void *out = (void *)1;
    HRESULT hr;

    check_hr(SC(handler, GetName, NULL), E_POINTER, "GetName(NULL)");
    hr = SC(handler, GetName, &text);
    check_string(hr, text, NULL, "handler");
    check_hr(SC(handler, GetObject, &object, &IID_IUnknown, &out), E_NOTIMPL, "GetObject answers E_NOTIMPL");
    check(out == NULL, "GetObject clears its out pointer", "got %p", out);
    check_hr(SC(handler, GetCapabilities, &caps), S_OK, "GetCapabilities");
    check_hr(SC(handler, GetHandlerInfo, NULL), E_POINTER, "GetHandlerInfo(NULL)");
    check_hr(SC(handler, GetHandlerInfo, &info), S_OK, "GetHandlerInfo");
    if (!info)
        return;
    check_hr(SC(info, GetType, &type), S_OK, "GetType");
    check(type == 2, "handler type is DEVICE", "got %d", type);
    text = NULL;
    hr = SC(info, GetTypeLabel, &text);
    check_string(hr, text, L"Camera", "type label");
    text = NULL;
    hr = SC(info, GetComment, &text);
    check_string(hr, text, NULL, "comment");
    check_hr(SC(info, GetLastSyncTime, &time), E_NOTIMPL, "GetLastSyncTime answers E_NOTIMPL");
    check_hr(SC0(info, IsActive), S_OK, "IsActive");
    check_hr(SC0(info, IsEnabled), S_OK, "IsEnabled");
    check_hr(SC0(info, IsConnected), S_OK, "IsConnected");
    check(SC0(info, Release) > 0, "info released", "the handler is gone");
}

/* The id of an item, checked to be CoTaskMemAlloc-ed; compared with `want`. */
static void check_item(ISyncMgrSyncItem *item, const WCHAR *want, const char *name)
{
    LPWSTR text = NULL;
    ISyncMgrSyncItemInfo *info = NULL;
    HRESULT hr = SC(item, GetItemID, &text);
    check_string(hr, text, want, name);
    text = NULL;
    hr = SC(item, GetName, &text);
    check_string(hr, text, NULL, "item name");
    check_hr(SC(item, GetItemInfo, &info), S_OK, "GetItemInfo");
    if (info) {
        text = NULL;
        hr = SC(info, GetComment, &text);
        check_string(hr, text, NULL, "item comment");
        check_hr(SC0(info, IsEnabled), S_OK, "item IsEnabled");
        SC0(info, Release);
    }
}

static void walk(ISyncMgrHandler *handler)
{
    ISyncMgrSyncItemContainer *container = NULL;
    IEnumSyncMgrSyncItems *items = NULL, *clone = NULL;
    ISyncMgrSyncItem *item = NULL, *batch[4] = {NULL};
    ULONG count = 0, fetched = 99;
    WCHAR long_id[80];

    check_hr(SC(handler, QueryInterface, &IID_ISyncMgrSyncItemContainer, (void **)&container), S_OK,
             "QueryInterface(ISyncMgrSyncItemContainer)");
    if (!container)
        return;
    check_hr(SC(container, GetSyncItemCount, &count), S_OK, "GetSyncItemCount");
    check(count == N_ITEMS, "three items", "got %lu", count);
    check_hr(SC(container, GetSyncItemCount, NULL), E_POINTER, "GetSyncItemCount(NULL)");

    check_hr(SC(container, GetSyncItem, L"family", &item), S_OK, "GetSyncItem(known)");
    if (item) {
        check_item(item, L"family", "known item");
        SC0(item, Release);
    }
    item = (ISyncMgrSyncItem *)1;
    check_hr(SC(container, GetSyncItem, L"nope", &item), E_INVALIDARG, "GetSyncItem(unknown)");
    check(item == NULL, "GetSyncItem(unknown) clears its out pointer", "got %p", (void *)item);
    check_hr(SC(container, GetSyncItem, NULL, &item), E_POINTER, "GetSyncItem(NULL id)");
    check_hr(SC(container, GetSyncItem, L"family", NULL), E_POINTER, "GetSyncItem(NULL out)");
    for (int i = 0; i < 70; i++)
        long_id[i] = L'x';
    long_id[70] = 0;
    check_hr(SC(container, GetSyncItem, long_id, &item), E_INVALIDARG, "GetSyncItem(over-long id)");

    check_hr(SC(container, GetSyncItemEnumerator, &items), S_OK, "GetSyncItemEnumerator");
    if (items) {
        check_hr(SC(items, Next, 0, NULL, &fetched), S_OK, "Next(0)");
        check(fetched == 0, "Next(0) fetches nothing", "fetched %lu", fetched);
        check_hr(SC(items, Next, 2, NULL, &fetched), E_POINTER, "Next(2, NULL)");
        check_hr(SC(items, Next, 2, batch, NULL), E_POINTER, "Next(2) without a count");
        check_hr(SC(items, Next, 2, batch, &fetched), S_OK, "Next(2)");
        check(fetched == 2, "Next(2) fetches 2", "fetched %lu", fetched);
        for (ULONG i = 0; i < fetched && i < 2; i++) {
            check_item(batch[i], item_ids[i], "enumerated item");
            SC0(batch[i], Release);
        }
        check_hr(SC(items, Clone, &clone), S_OK, "Clone");
        check_hr(SC(items, Clone, NULL), E_POINTER, "Clone(NULL)");
        check_hr(SC(items, Next, 3, batch, &fetched), S_FALSE, "Next past the end");
        check(fetched == 1, "Next past the end fetches the last", "fetched %lu", fetched);
        if (fetched == 1) {
            check_item(batch[0], item_ids[2], "last item");
            SC0(batch[0], Release);
        }
        if (clone) {
            batch[0] = NULL;
            check_hr(SC(clone, Next, 1, batch, NULL), S_OK, "the clone's Next(1)");
            if (batch[0]) {
                check_item(batch[0], item_ids[2], "the clone is where it was made");
                SC0(batch[0], Release);
            }
            check(SC0(clone, Release) == 0, "clone released", "still referenced");
        }
        check_hr(SC(items, Skip, 1), S_FALSE, "Skip at the end");
        check_hr(SC0(items, Reset), S_OK, "Reset");
        check_hr(SC(items, Skip, 3), S_OK, "Skip(3)");
        check_hr(SC(items, Next, 1, batch, NULL), S_FALSE, "Next(1) at the end");
        check(SC0(items, Release) == 0, "enumerator released", "still referenced");
    }
    SC0(container, Release);
}

/* ---- the sync ---- */

static void synchronize(ISyncMgrHandler *handler, const GUID *clsid, int cancel_index, int cancel_all)
{
    static host_callback cb;
    static host_creator cr;
    LPCWSTR ids[N_ITEMS] = {item_ids[0], item_ids[1], item_ids[2]};
    WCHAR clsid_text[64];
    HRESULT hr;

    cb.iface.lpVtbl = &cb_vtbl;
    cb.refs = 1;
    cb.cancel_index = cancel_index;
    cb.cancel_all = cancel_all;
    cr.iface.lpVtbl = &cr_vtbl;
    cr.refs = 1;
    cr.callback = &cb;

    check_hr(SC(handler, Synchronize, ids, N_ITEMS, NULL, NULL, NULL), E_POINTER,
             "Synchronize without a session creator");
    check_hr(SC(handler, Synchronize, NULL, N_ITEMS, NULL, &cr.iface, NULL), E_POINTER,
             "Synchronize with a NULL id array");
    check(cr.sessions == 0, "no session for a refused Synchronize", "%ld sessions", cr.sessions);

    hr = SC(handler, Synchronize, ids, N_ITEMS, NULL, &cr.iface, NULL);
    check_hr(hr, S_OK, "Synchronize");
    if (sta)
        pump();
    check(cr.sessions == 1, "one CreateSession", "%ld sessions", cr.sessions);
    check(cr.items == N_ITEMS, "CreateSession names the items", "%lu items", cr.items);
    StringFromGUID2(clsid, clsid_text, 64);
    check(!_wcsicmp(cr.handler_id, clsid_text), "the handler id is the CLSID in braces", "got %ls",
          cr.handler_id);
    for (int i = 0; i < N_ITEMS; i++) {
        item_record *item = &cb.items[i];
        int cancelled = cancel_all || i == cancel_index;
        printf("item %d: %u reports, last status %d, first max %lu, cancel answered %d\n", i, item->reports,
               item->last, item->first_max, item->cancel_answered);
        check(item->terminals == 1, "one terminal status per item", "item %d: %u", i, item->terminals);
        check(item->after_terminal == 0, "no report after a terminal status but FAILED", "item %d: %u", i,
              item->after_terminal);
        check(item->last == (cancelled ? SYNCMGR_PS_CANCELED : SYNCMGR_PS_SUCCEEDED), "the item's end",
              "item %d ended %d", i, item->last);
        if (cancelled)
            check(item->acknowledged, "the cancel is acknowledged with CANCELED", "item %d", i);
        if (item->reports > 0 && !(cancel_all && i > 0))
            check(item->first_max == 3, "the maximum is reported first", "item %d: %lu", i, item->first_max);
    }
    check(cb.unknown_items == 0, "no unknown item reported", "%u", cb.unknown_items);
    check(cb.wrong_thread == 0, "every call on the callback on the host's thread", "%ld elsewhere",
          cb.wrong_thread);
    check(cr.wrong_thread == 0, "every call on the session creator on the host's thread", "%ld elsewhere",
          cr.wrong_thread);
    check(cb.refs == 1, "callback back to baseline", "refs %ld", cb.refs);
    check(cr.refs == 1, "session creator back to baseline", "refs %ld", cr.refs);
}

static void run(const GUID *clsid, int cancel_index, int cancel_all)
{
    IClassFactory *factory = NULL;
    ISyncMgrHandler *handler = NULL;
    HRESULT can = S_FALSE;

    check_hr(get_class_object(clsid, &IID_IClassFactory, (void **)&factory), S_OK, "DllGetClassObject");
    if (!factory)
        return;
    check_hr(IClassFactory_CreateInstance(factory, NULL, &IID_ISyncMgrHandler, (void **)&handler), S_OK,
             "CreateInstance(ISyncMgrHandler)");
    if (handler) {
        describe(handler);
        walk(handler);
        synchronize(handler, clsid, cancel_index, cancel_all);
        check_hr(can_unload(), S_FALSE, "DllCanUnloadNow while objects live");
        check(SC0(handler, Release) == 0, "final Release of the handler", "still referenced");
    }
    check(IClassFactory_Release(factory) == 0, "final Release of the factory", "still referenced");
    /* Anything the DLL posted to this thread (an apartment window's end)
     * runs when the host pumps. */
    for (int i = 0; i < 100 && (can = can_unload()) != S_OK; i++)
        MsgWaitForMultipleObjectsEx(0, NULL, 10, QS_ALLINPUT, MWMO_INPUTAVAILABLE), pump();
    check_hr(can, S_OK, "DllCanUnloadNow after the final Release");
}

int wmain(int argc, WCHAR **argv)
{
    GUID clsid;
    int cancel_index = -1, cancel_all = 0;
    if (argc < 5) {
        fprintf(stderr, "usage: sync_center_host <handler.dll> <{CLSID}> mta|sta <cancel-index>|all\n");
        return 2;
    }
    if (FAILED(CLSIDFromString(argv[2], &clsid))) {
        fprintf(stderr, "not a CLSID: %ls\n", argv[2]);
        return 2;
    }
    sta = !wcscmp(argv[3], L"sta");
    if (!wcscmp(argv[4], L"all"))
        cancel_all = 1;
    else
        cancel_index = _wtoi(argv[4]);
    printf("host: plain objects in the %s\n", sta ? "STA" : "MTA");
    host_thread = GetCurrentThreadId();
    if (sta)
        check_hr(CoInitializeEx(NULL, COINIT_APARTMENTTHREADED), S_OK, "CoInitializeEx(STA)");
    else
        check_hr(CoInitializeEx(NULL, COINIT_MULTITHREADED), S_OK, "CoInitializeEx(MTA)");
    check_hr(CoGetMalloc(1, &task_malloc), S_OK, "CoGetMalloc");
    if (load(argv[1]))
        run(&clsid, cancel_index, cancel_all);
    IMalloc_Release(task_malloc);
    CoUninitialize();
    printf("host: %u checks, %u failed\n", checks, failures);
    return failures ? 1 : 0;
}
