// A stand-in vmcompute.dll, for tests only (never installed): the one
// function of it berth calls, NameToGuid (HCS's id of a layer folder), which
// Wine does not have. Its GUID is made from the name by FNV-1a, so the same
// name always gives the same id; it is not the id Windows computes.
#include <windows.h>

#include <cstdint>

extern "C" HRESULT WINAPI NameToGuid(PCWSTR name, GUID* guid) {
  if (!name || !guid) return E_INVALIDARG;
  uint64_t a = 1469598103934665603ull, b = 1099511628211ull;
  for (PCWSTR p = name; *p; ++p) {
    a = (a ^ static_cast<uint16_t>(*p)) * 1099511628211ull;
    b = (b ^ static_cast<uint16_t>(*p)) * 1469598103934665603ull;
  }
  guid->Data1 = static_cast<uint32_t>(a >> 32);
  guid->Data2 = static_cast<uint16_t>(a >> 16);
  guid->Data3 = static_cast<uint16_t>(a);
  for (int i = 0; i < 8; ++i) guid->Data4[i] = static_cast<uint8_t>(b >> (8 * i));
  return S_OK;
}
