#include "common/system_memory.h"

#include <cstdio>
#include <cstring>

#include "common/windows_api.h"

#ifndef _WIN32
#include <unistd.h>
#endif

namespace tome {

uint64_t available_memory_bytes() {
#ifdef _WIN32
  MEMORYSTATUSEX s;
  s.dwLength = sizeof(s);
  return GlobalMemoryStatusEx(&s) ? uint64_t(s.ullAvailPhys) : 0;
#else
  if (FILE* f = std::fopen("/proc/meminfo", "r")) {  // "MemAvailable:   12345678 kB"
    char line[256];
    unsigned long long kb = 0;
    bool found = false;
    while (!found && std::fgets(line, sizeof line, f))
      found = std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
    std::fclose(f);
    if (found) return uint64_t(kb) * 1024;
  }
#if defined(_SC_AVPHYS_PAGES)
  const long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) return uint64_t(pages) * uint64_t(page);
#endif
  return 0;
#endif
}

}  // namespace tome
