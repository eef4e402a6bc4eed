// <windows.h> for the Windows-only parts of the native code, without its min/max macros
// (NOMINMAX: they break std::min / std::max) and its rarely used APIs
// (WIN32_LEAN_AND_MEAN). Include this in place of <windows.h>; elsewhere it is empty.
#pragma once
#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#endif
