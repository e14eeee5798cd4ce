/* The Sync Center interfaces (syncmgr.h, Windows Vista+) the C fixtures
 * need, declared from the Windows SDK metadata (windows-rs's generated
 * Win32::UI::Shell module: same IIDs, same vtable order): mingw-w64 ships
 * no syncmgr.h. Only what the fixtures call is given a C macro. */
#ifndef SYNCMGR_TESTS_SYNC_CENTER_H
#define SYNCMGR_TESTS_SYNC_CENTER_H

#include "common.h"
/* <windows.h> maps GetObject to GetObjectW; the SDK header has the same wart. */
#undef GetObject

typedef enum { SYNCMGR_PS_UPDATING = 1, SYNCMGR_PS_UPDATING_INDETERMINATE, SYNCMGR_PS_SUCCEEDED,
               SYNCMGR_PS_FAILED, SYNCMGR_PS_CANCELED, SYNCMGR_PS_DISCONNECTED } SYNCMGR_PROGRESS_STATUS;
typedef enum { SYNCMGR_CR_NONE, SYNCMGR_CR_CANCEL_ITEM, SYNCMGR_CR_CANCEL_ALL } SYNCMGR_CANCEL_REQUEST;
typedef int SYNCMGR_HANDLER_TYPE, SYNCMGR_EVENT_LEVEL, SYNCMGR_EVENT_FLAGS;
typedef int SYNCMGR_HANDLER_CAPABILITIES, SYNCMGR_HANDLER_POLICIES;
typedef int SYNCMGR_ITEM_CAPABILITIES, SYNCMGR_ITEM_POLICIES;

DEFINE_GUID(IID_ISyncMgrHandler, 0x04ec2e43, 0xac77, 0x49f9, 0x9b, 0x98, 0x03, 0x07, 0xef, 0x7a, 0x72, 0xa2);
DEFINE_GUID(IID_ISyncMgrHandlerInfo, 0x4ff1d798, 0xecf7, 0x4524, 0xaa, 0x81, 0x1e, 0x36, 0x2a, 0x0a, 0xef, 0x3a);
DEFINE_GUID(IID_ISyncMgrSyncItemContainer, 0x90701133, 0xbe32, 0x4129, 0xa6, 0x5c, 0x99, 0xe6, 0x16, 0xca, 0xff, 0xf4);
DEFINE_GUID(IID_IEnumSyncMgrSyncItems, 0x54b3abf3, 0xf085, 0x4181, 0xb5, 0x46, 0xe2, 0x9c, 0x40, 0x3c, 0x72, 0x6b);
DEFINE_GUID(IID_ISyncMgrSyncItem, 0xb20b24ce, 0x2593, 0x4f04, 0xbd, 0x8b, 0x7a, 0xd6, 0xc4, 0x50, 0x51, 0xcd);
DEFINE_GUID(IID_ISyncMgrSyncItemInfo, 0xe7fd9502, 0xbe0c, 0x4464, 0x90, 0xa1, 0x2b, 0x52, 0x77, 0x03, 0x12, 0x32);
DEFINE_GUID(IID_ISyncMgrSessionCreator, 0x17f48517, 0xf305, 0x4321, 0xa0, 0x8d, 0xb2, 0x5a, 0x83, 0x49, 0x18, 0xfd);
DEFINE_GUID(IID_ISyncMgrSyncCallback, 0x884ccd87, 0xb139, 0x4937, 0xa4, 0xba, 0x4f, 0x8e, 0x19, 0x51, 0x3f, 0xbe);

#define SC_IUNKNOWN(T)                                                   \
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(T *, REFIID, void **);    \
    ULONG(STDMETHODCALLTYPE *AddRef)(T *);                               \
    ULONG(STDMETHODCALLTYPE *Release)(T *)

typedef struct ISyncMgrSyncCallback ISyncMgrSyncCallback;
typedef struct ISyncMgrSyncCallbackVtbl {
    SC_IUNKNOWN(ISyncMgrSyncCallback);
    HRESULT(STDMETHODCALLTYPE *ReportProgress)(ISyncMgrSyncCallback *, LPCWSTR, LPCWSTR, SYNCMGR_PROGRESS_STATUS,
                                               ULONG, ULONG, SYNCMGR_CANCEL_REQUEST *);
    HRESULT(STDMETHODCALLTYPE *SetHandlerProgressText)(ISyncMgrSyncCallback *, LPCWSTR, SYNCMGR_CANCEL_REQUEST *);
    HRESULT(STDMETHODCALLTYPE *ReportEvent)(ISyncMgrSyncCallback *, LPCWSTR, SYNCMGR_EVENT_LEVEL, SYNCMGR_EVENT_FLAGS,
                                            LPCWSTR, LPCWSTR, LPCWSTR, LPCWSTR, LPCWSTR, GUID *);
    HRESULT(STDMETHODCALLTYPE *CanContinue)(ISyncMgrSyncCallback *, LPCWSTR);
    HRESULT(STDMETHODCALLTYPE *QueryForAdditionalItems)(ISyncMgrSyncCallback *, IEnumString **, IEnumUnknown **);
    HRESULT(STDMETHODCALLTYPE *AddItemToSession)(ISyncMgrSyncCallback *, LPCWSTR);
    HRESULT(STDMETHODCALLTYPE *AddIUnknownToSession)(ISyncMgrSyncCallback *, IUnknown *);
    HRESULT(STDMETHODCALLTYPE *ProposeItem)(ISyncMgrSyncCallback *, IUnknown *);
    HRESULT(STDMETHODCALLTYPE *CommitItem)(ISyncMgrSyncCallback *, LPCWSTR);
    HRESULT(STDMETHODCALLTYPE *ReportManualSync)(ISyncMgrSyncCallback *);
} ISyncMgrSyncCallbackVtbl;
struct ISyncMgrSyncCallback { const ISyncMgrSyncCallbackVtbl *lpVtbl; };

typedef struct ISyncMgrSessionCreator ISyncMgrSessionCreator;
typedef struct ISyncMgrSessionCreatorVtbl {
    SC_IUNKNOWN(ISyncMgrSessionCreator);
    HRESULT(STDMETHODCALLTYPE *CreateSession)(ISyncMgrSessionCreator *, LPCWSTR, LPCWSTR *, ULONG,
                                              ISyncMgrSyncCallback **);
} ISyncMgrSessionCreatorVtbl;
struct ISyncMgrSessionCreator { const ISyncMgrSessionCreatorVtbl *lpVtbl; };

typedef struct ISyncMgrHandlerInfo ISyncMgrHandlerInfo;
typedef struct ISyncMgrHandlerInfoVtbl {
    SC_IUNKNOWN(ISyncMgrHandlerInfo);
    HRESULT(STDMETHODCALLTYPE *GetType)(ISyncMgrHandlerInfo *, SYNCMGR_HANDLER_TYPE *);
    HRESULT(STDMETHODCALLTYPE *GetTypeLabel)(ISyncMgrHandlerInfo *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetComment)(ISyncMgrHandlerInfo *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetLastSyncTime)(ISyncMgrHandlerInfo *, FILETIME *);
    HRESULT(STDMETHODCALLTYPE *IsActive)(ISyncMgrHandlerInfo *);
    HRESULT(STDMETHODCALLTYPE *IsEnabled)(ISyncMgrHandlerInfo *);
    HRESULT(STDMETHODCALLTYPE *IsConnected)(ISyncMgrHandlerInfo *);
} ISyncMgrHandlerInfoVtbl;
struct ISyncMgrHandlerInfo { const ISyncMgrHandlerInfoVtbl *lpVtbl; };

typedef struct ISyncMgrHandler ISyncMgrHandler;
typedef struct ISyncMgrHandlerVtbl {
    SC_IUNKNOWN(ISyncMgrHandler);
    HRESULT(STDMETHODCALLTYPE *GetName)(ISyncMgrHandler *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetHandlerInfo)(ISyncMgrHandler *, ISyncMgrHandlerInfo **);
    HRESULT(STDMETHODCALLTYPE *GetObject)(ISyncMgrHandler *, REFGUID, REFIID, void **);
    HRESULT(STDMETHODCALLTYPE *GetCapabilities)(ISyncMgrHandler *, SYNCMGR_HANDLER_CAPABILITIES *);
    HRESULT(STDMETHODCALLTYPE *GetPolicies)(ISyncMgrHandler *, SYNCMGR_HANDLER_POLICIES *);
    HRESULT(STDMETHODCALLTYPE *Activate)(ISyncMgrHandler *, BOOL);
    HRESULT(STDMETHODCALLTYPE *Enable)(ISyncMgrHandler *, BOOL);
    HRESULT(STDMETHODCALLTYPE *Synchronize)(ISyncMgrHandler *, LPCWSTR *, ULONG, HWND, ISyncMgrSessionCreator *,
                                            IUnknown *);
} ISyncMgrHandlerVtbl;
struct ISyncMgrHandler { const ISyncMgrHandlerVtbl *lpVtbl; };

typedef struct ISyncMgrSyncItemInfo ISyncMgrSyncItemInfo;
typedef struct ISyncMgrSyncItemInfoVtbl {
    SC_IUNKNOWN(ISyncMgrSyncItemInfo);
    HRESULT(STDMETHODCALLTYPE *GetTypeLabel)(ISyncMgrSyncItemInfo *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetComment)(ISyncMgrSyncItemInfo *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetLastSyncTime)(ISyncMgrSyncItemInfo *, FILETIME *);
    HRESULT(STDMETHODCALLTYPE *IsEnabled)(ISyncMgrSyncItemInfo *);
    HRESULT(STDMETHODCALLTYPE *IsConnected)(ISyncMgrSyncItemInfo *);
} ISyncMgrSyncItemInfoVtbl;
struct ISyncMgrSyncItemInfo { const ISyncMgrSyncItemInfoVtbl *lpVtbl; };

typedef struct ISyncMgrSyncItem ISyncMgrSyncItem;
typedef struct ISyncMgrSyncItemVtbl {
    SC_IUNKNOWN(ISyncMgrSyncItem);
    HRESULT(STDMETHODCALLTYPE *GetItemID)(ISyncMgrSyncItem *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetName)(ISyncMgrSyncItem *, LPWSTR *);
    HRESULT(STDMETHODCALLTYPE *GetItemInfo)(ISyncMgrSyncItem *, ISyncMgrSyncItemInfo **);
    HRESULT(STDMETHODCALLTYPE *GetObject)(ISyncMgrSyncItem *, REFGUID, REFIID, void **);
    HRESULT(STDMETHODCALLTYPE *GetCapabilities)(ISyncMgrSyncItem *, SYNCMGR_ITEM_CAPABILITIES *);
    HRESULT(STDMETHODCALLTYPE *GetPolicies)(ISyncMgrSyncItem *, SYNCMGR_ITEM_POLICIES *);
    HRESULT(STDMETHODCALLTYPE *Enable)(ISyncMgrSyncItem *, BOOL);
    HRESULT(STDMETHODCALLTYPE *Delete)(ISyncMgrSyncItem *);
} ISyncMgrSyncItemVtbl;
struct ISyncMgrSyncItem { const ISyncMgrSyncItemVtbl *lpVtbl; };

typedef struct IEnumSyncMgrSyncItems IEnumSyncMgrSyncItems;
typedef struct IEnumSyncMgrSyncItemsVtbl {
    SC_IUNKNOWN(IEnumSyncMgrSyncItems);
    HRESULT(STDMETHODCALLTYPE *Next)(IEnumSyncMgrSyncItems *, ULONG, ISyncMgrSyncItem **, ULONG *);
    HRESULT(STDMETHODCALLTYPE *Skip)(IEnumSyncMgrSyncItems *, ULONG);
    HRESULT(STDMETHODCALLTYPE *Reset)(IEnumSyncMgrSyncItems *);
    HRESULT(STDMETHODCALLTYPE *Clone)(IEnumSyncMgrSyncItems *, IEnumSyncMgrSyncItems **);
} IEnumSyncMgrSyncItemsVtbl;
struct IEnumSyncMgrSyncItems { const IEnumSyncMgrSyncItemsVtbl *lpVtbl; };

typedef struct ISyncMgrSyncItemContainer ISyncMgrSyncItemContainer;
typedef struct ISyncMgrSyncItemContainerVtbl {
    SC_IUNKNOWN(ISyncMgrSyncItemContainer);
    HRESULT(STDMETHODCALLTYPE *GetSyncItem)(ISyncMgrSyncItemContainer *, LPCWSTR, ISyncMgrSyncItem **);
    HRESULT(STDMETHODCALLTYPE *GetSyncItemEnumerator)(ISyncMgrSyncItemContainer *, IEnumSyncMgrSyncItems **);
    HRESULT(STDMETHODCALLTYPE *GetSyncItemCount)(ISyncMgrSyncItemContainer *, ULONG *);
} ISyncMgrSyncItemContainerVtbl;
struct ISyncMgrSyncItemContainer { const ISyncMgrSyncItemContainerVtbl *lpVtbl; };

/* Call method `m` of interface pointer `p`: SC(p, m, args...). */
#define SC(p, m, ...) ((p)->lpVtbl->m((p), ##__VA_ARGS__))
#define SC0(p, m) ((p)->lpVtbl->m(p))

#endif
