// The backend choice: is there a CUDA device tome can use, and how much of its
// memory is in use? Answered without linking CUDA: the CUDA runtime (libcudart)
// is loaded with dlopen, and when no runtime is installed (an end user's machine
// has the driver only; tome_cuda.node carries its runtime statically) the driver
// library (libcuda) answers instead. So the CPU build and tome_cpu.node never
// depend on CUDA, and `tome inspect --devices` can say why the GPU is not used.
//
// The calls behind the report are a table of function pointers (CudaApi), so the
// logic is tested here, without a device, with fake tables.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tome::cuda {

struct DeviceInfo {
  int index = 0;
  std::string name;            // "NVIDIA H200"
  int cc_major = 0, cc_minor = 0;
  int multiprocessors = 0;
  uint64_t memory_total = 0;   // bytes
  uint64_t memory_used = 0;    // bytes (total - free), 0 when not asked
};

struct DeviceReport {
  bool available = false;      // at least one device answered
  std::string reason;          // why not (empty when available)
  std::string library;         // the library that answered ("libcudart.so.13", "libcuda.so.1")
  int driver_version = 0;      // CUDA's encoding: 13000 = 13.0
  int runtime_version = 0;     // 0 when the driver library answered
  std::vector<DeviceInfo> devices;
};

// The subset of the runtime (or driver) API the probe needs; every call returns
// 0 on success (cudaSuccess / CUDA_SUCCESS) and another code on failure.
struct CudaApi {
  void* ctx = nullptr;  // passed back to each call (the fake's state in tests)
  int (*device_count)(void* ctx, int* n) = nullptr;
  int (*device_info)(void* ctx, int index, DeviceInfo* info) = nullptr;  // name, cc, SMs, total
  int (*memory_used)(void* ctx, int index, uint64_t* used, uint64_t* total) = nullptr;  // may be null
  int (*versions)(void* ctx, int* driver, int* runtime) = nullptr;  // may be null
  std::string (*error_text)(void* ctx, int code) = nullptr;  // "cudaErrorNoDevice (no CUDA-capable device is detected)"
};

struct ProbeOptions {
  // Library names tried in order; empty: the defaults (libcudart.so.13, .so.12,
  // libcudart.so, then the driver libcuda.so.1; DLL names on Windows).
  std::vector<std::string> libraries;
  // Memory in use needs a context on the device (a few hundred MB of device
  // memory while the process lives): off when only existence matters.
  bool query_memory = true;
  // The driver must support at least this CUDA version (CUDA's encoding, e.g.
  // 13000; the CUDART_VERSION tome_cuda.node was built with), else unavailable.
  int min_driver_version = 0;
};

// Loads the first library that opens and asks it. Never throws: every failure
// (no library, no driver, no device, a call failing) is a report with a reason.
// TOME_DISABLE_CUDA=1 in the environment reports unavailable without loading.
DeviceReport probe_devices(const ProbeOptions& options = {});

// The logic once a library is loaded (what the tests drive with fake tables);
// options.libraries is not used here.
DeviceReport probe_with(const CudaApi& api, const std::string& library, const ProbeOptions& options);

// One line for people: "NVIDIA H200 (sm_90, 132 SMs), 1.1 of 139.8 GiB used
// [libcudart.so.13, driver 13.0]" or "CUDA unavailable: <reason>".
std::string describe(const DeviceReport& report);

// The default library names, in the order tried.
std::vector<std::string> default_cuda_libraries();

}  // namespace tome::cuda
