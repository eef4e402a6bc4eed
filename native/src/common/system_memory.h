// How much memory the system could give this process now without swapping: Linux's
// MemAvailable (free memory plus the page cache and slabs it can reclaim), Windows'
// available physical memory; sysconf's free pages elsewhere. 0 when unknown.
#pragma once
#include <cstdint>

namespace tome {

uint64_t available_memory_bytes();

}  // namespace tome
