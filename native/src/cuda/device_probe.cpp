// device_probe: dlopen the CUDA runtime (or the driver), ask for devices, never
// throw. Two adapters fill the same CudaApi table; probe_with holds the logic.
#include "cuda/device_probe.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/windows_api.h"

#ifndef _WIN32
#include <dlfcn.h>
#endif

namespace tome::cuda {

namespace {

// --- a loaded shared library -------------------------------------------------
class Library {
 public:
  explicit Library(const std::string& name) {
#ifdef _WIN32
    handle_ = reinterpret_cast<void*>(LoadLibraryA(name.c_str()));
    if (!handle_) error_ = "LoadLibrary failed (error " + std::to_string(GetLastError()) + ")";
#else
    handle_ = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
      const char* e = dlerror();
      error_ = e ? e : "dlopen failed";
    }
#endif
  }
  // A library that answered is never closed (the caller releases its Library):
  // the runtime keeps threads and a context alive that closing would pull away.
  ~Library() {
    if (handle_) {
#ifdef _WIN32
      FreeLibrary(reinterpret_cast<HMODULE>(handle_));
#else
      dlclose(handle_);
#endif
    }
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  bool ok() const { return handle_ != nullptr; }
  const std::string& error() const { return error_; }
  template <class Fn>
  Fn sym(const char* name) const {
#ifdef _WIN32
    return reinterpret_cast<Fn>(GetProcAddress(reinterpret_cast<HMODULE>(handle_), name));
#else
    return reinterpret_cast<Fn>(dlsym(handle_, name));
#endif
  }

 private:
  void* handle_ = nullptr;
  std::string error_;
};

// Attribute numbers shared by the runtime (cudaDevAttr*) and the driver
// (CU_DEVICE_ATTRIBUTE_*); stable since CUDA 4.
constexpr int kAttrMultiprocessors = 16;
constexpr int kAttrCcMajor = 75;
constexpr int kAttrCcMinor = 76;

// --- runtime adapter (libcudart) ---------------------------------------------
struct Cudart {
  int (*GetDeviceCount)(int*) = nullptr;
  int (*GetDeviceProperties)(void*, int) = nullptr;  // cudaDeviceProp starts with char name[256]
  int (*DeviceGetAttribute)(int*, int, int) = nullptr;
  int (*SetDevice)(int) = nullptr;
  int (*MemGetInfo)(size_t*, size_t*) = nullptr;
  int (*DriverGetVersion)(int*) = nullptr;
  int (*RuntimeGetVersion)(int*) = nullptr;
  const char* (*GetErrorName)(int) = nullptr;
  const char* (*GetErrorString)(int) = nullptr;

  bool load(const Library& lib) {
    GetDeviceCount = lib.sym<decltype(GetDeviceCount)>("cudaGetDeviceCount");
    // CUDA 12 renamed the struct's entry point (the header maps the old name to _v2).
    GetDeviceProperties = lib.sym<decltype(GetDeviceProperties)>("cudaGetDeviceProperties_v2");
    if (!GetDeviceProperties) GetDeviceProperties = lib.sym<decltype(GetDeviceProperties)>("cudaGetDeviceProperties");
    DeviceGetAttribute = lib.sym<decltype(DeviceGetAttribute)>("cudaDeviceGetAttribute");
    SetDevice = lib.sym<decltype(SetDevice)>("cudaSetDevice");
    MemGetInfo = lib.sym<decltype(MemGetInfo)>("cudaMemGetInfo");
    DriverGetVersion = lib.sym<decltype(DriverGetVersion)>("cudaDriverGetVersion");
    RuntimeGetVersion = lib.sym<decltype(RuntimeGetVersion)>("cudaRuntimeGetVersion");
    GetErrorName = lib.sym<decltype(GetErrorName)>("cudaGetErrorName");
    GetErrorString = lib.sym<decltype(GetErrorString)>("cudaGetErrorString");
    return GetDeviceCount && DeviceGetAttribute && GetErrorName && GetErrorString;
  }
};

CudaApi cudart_api(Cudart* rt) {
  CudaApi api;
  api.ctx = rt;
  api.device_count = [](void* c, int* n) { return static_cast<Cudart*>(c)->GetDeviceCount(n); };
  api.device_info = [](void* c, int index, DeviceInfo* info) {
    Cudart* rt = static_cast<Cudart*>(c);
    if (rt->GetDeviceProperties) {
      // cudaDeviceProp is about 1 KB and grows between versions; only its first
      // field (the name) is read, so a generous buffer serves every version.
      std::unique_ptr<char[]> prop(new char[16384]());
      int err = rt->GetDeviceProperties(prop.get(), index);
      if (err) return err;
      info->name.assign(prop.get(), strnlen(prop.get(), 256));
    }
    int err = rt->DeviceGetAttribute(&info->cc_major, kAttrCcMajor, index);
    if (!err) err = rt->DeviceGetAttribute(&info->cc_minor, kAttrCcMinor, index);
    if (!err) err = rt->DeviceGetAttribute(&info->multiprocessors, kAttrMultiprocessors, index);
    return err;
  };
  if (rt->SetDevice && rt->MemGetInfo)
    api.memory_used = [](void* c, int index, uint64_t* used, uint64_t* total) {
      Cudart* rt = static_cast<Cudart*>(c);
      int err = rt->SetDevice(index);
      size_t free_b = 0, total_b = 0;
      if (!err) err = rt->MemGetInfo(&free_b, &total_b);
      if (err) return err;
      *used = total_b - free_b;
      *total = total_b;
      return 0;
    };
  api.versions = [](void* c, int* driver, int* runtime) {
    Cudart* rt = static_cast<Cudart*>(c);
    int err = rt->DriverGetVersion ? rt->DriverGetVersion(driver) : 0;
    if (!err && rt->RuntimeGetVersion) err = rt->RuntimeGetVersion(runtime);
    return err;
  };
  api.error_text = [](void* c, int code) {
    Cudart* rt = static_cast<Cudart*>(c);
    const char* name = rt->GetErrorName(code);
    const char* text = rt->GetErrorString(code);
    return std::string(name ? name : "cudaError") + " (" + (text ? text : "?") + ")";
  };
  return api;
}

// --- driver adapter (libcuda) ------------------------------------------------
struct Driver {
  int (*Init)(unsigned) = nullptr;
  int (*DeviceGetCount)(int*) = nullptr;
  int (*DeviceGet)(int*, int) = nullptr;
  int (*DeviceGetName)(char*, int, int) = nullptr;
  int (*DeviceGetAttribute)(int*, int, int) = nullptr;
  int (*DeviceTotalMem)(size_t*, int) = nullptr;
  int (*DriverGetVersion)(int*) = nullptr;
  int (*PrimaryCtxRetain)(void**, int) = nullptr;
  int (*PrimaryCtxRelease)(int) = nullptr;
  int (*CtxPushCurrent)(void*) = nullptr;
  int (*CtxPopCurrent)(void**) = nullptr;
  int (*MemGetInfo)(size_t*, size_t*) = nullptr;
  int (*GetErrorName)(int, const char**) = nullptr;
  int (*GetErrorString)(int, const char**) = nullptr;
  int init_status = -1;

  bool load(const Library& lib) {
    Init = lib.sym<decltype(Init)>("cuInit");
    DeviceGetCount = lib.sym<decltype(DeviceGetCount)>("cuDeviceGetCount");
    DeviceGet = lib.sym<decltype(DeviceGet)>("cuDeviceGet");
    DeviceGetName = lib.sym<decltype(DeviceGetName)>("cuDeviceGetName");
    DeviceGetAttribute = lib.sym<decltype(DeviceGetAttribute)>("cuDeviceGetAttribute");
    DeviceTotalMem = lib.sym<decltype(DeviceTotalMem)>("cuDeviceTotalMem_v2");
    DriverGetVersion = lib.sym<decltype(DriverGetVersion)>("cuDriverGetVersion");
    PrimaryCtxRetain = lib.sym<decltype(PrimaryCtxRetain)>("cuDevicePrimaryCtxRetain");
    PrimaryCtxRelease = lib.sym<decltype(PrimaryCtxRelease)>("cuDevicePrimaryCtxRelease_v2");
    CtxPushCurrent = lib.sym<decltype(CtxPushCurrent)>("cuCtxPushCurrent_v2");
    CtxPopCurrent = lib.sym<decltype(CtxPopCurrent)>("cuCtxPopCurrent_v2");
    MemGetInfo = lib.sym<decltype(MemGetInfo)>("cuMemGetInfo_v2");
    GetErrorName = lib.sym<decltype(GetErrorName)>("cuGetErrorName");
    GetErrorString = lib.sym<decltype(GetErrorString)>("cuGetErrorString");
    return Init && DeviceGetCount && DeviceGet && DeviceGetName && DeviceGetAttribute && DeviceTotalMem;
  }
};

CudaApi driver_api(Driver* drv) {
  CudaApi api;
  api.ctx = drv;
  api.device_count = [](void* c, int* n) {
    Driver* d = static_cast<Driver*>(c);
    if (d->init_status != 0) d->init_status = d->Init(0);
    return d->init_status ? d->init_status : d->DeviceGetCount(n);
  };
  api.device_info = [](void* c, int index, DeviceInfo* info) {
    Driver* d = static_cast<Driver*>(c);
    int dev = 0;
    int err = d->DeviceGet(&dev, index);
    char name[256] = {0};
    if (!err) err = d->DeviceGetName(name, int(sizeof name) - 1, dev);
    if (!err) info->name = name;
    if (!err) err = d->DeviceGetAttribute(&info->cc_major, kAttrCcMajor, dev);
    if (!err) err = d->DeviceGetAttribute(&info->cc_minor, kAttrCcMinor, dev);
    if (!err) err = d->DeviceGetAttribute(&info->multiprocessors, kAttrMultiprocessors, dev);
    size_t total = 0;
    if (!err) err = d->DeviceTotalMem(&total, dev);
    if (!err) info->memory_total = total;
    return err;
  };
  if (drv->PrimaryCtxRetain && drv->PrimaryCtxRelease && drv->CtxPushCurrent && drv->CtxPopCurrent && drv->MemGetInfo)
    api.memory_used = [](void* c, int index, uint64_t* used, uint64_t* total) {
      Driver* d = static_cast<Driver*>(c);
      int dev = 0;
      int err = d->DeviceGet(&dev, index);
      void* ctx = nullptr;
      if (!err) err = d->PrimaryCtxRetain(&ctx, dev);
      if (err) return err;
      size_t free_b = 0, total_b = 0;
      err = d->CtxPushCurrent(ctx);
      if (!err) {
        err = d->MemGetInfo(&free_b, &total_b);
        void* popped = nullptr;
        d->CtxPopCurrent(&popped);
      }
      d->PrimaryCtxRelease(dev);
      if (err) return err;
      *used = total_b - free_b;
      *total = total_b;
      return 0;
    };
  api.versions = [](void* c, int* driver, int* runtime) {
    Driver* d = static_cast<Driver*>(c);
    *runtime = 0;
    return d->DriverGetVersion ? d->DriverGetVersion(driver) : 0;
  };
  api.error_text = [](void* c, int code) {
    Driver* d = static_cast<Driver*>(c);
    const char* name = nullptr;
    const char* text = nullptr;
    if (d->GetErrorName) d->GetErrorName(code, &name);
    if (d->GetErrorString) d->GetErrorString(code, &text);
    return std::string(name ? name : ("CUresult " + std::to_string(code)).c_str()) + " (" + (text ? text : "?") + ")";
  };
  return api;
}

bool is_driver_library(const std::string& name) {
  return name.find("cudart") == std::string::npos;  // libcuda.so.1, nvcuda.dll
}

std::string version_text(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }

DeviceReport require_driver(DeviceReport r, int min_version) {
  if (r.available && min_version > 0 && r.driver_version < min_version) {
    r.available = false;
    r.reason = r.library + ": the driver supports CUDA " + version_text(r.driver_version) + ", CUDA " +
               version_text(min_version) + " is needed (update the NVIDIA driver)";
  }
  return r;
}

}  // namespace

std::vector<std::string> default_cuda_libraries() {
#ifdef _WIN32
  return {"cudart64_13.dll", "cudart64_12.dll", "nvcuda.dll"};
#else
  return {"libcudart.so.13", "libcudart.so.12", "libcudart.so", "libcuda.so.1"};
#endif
}

DeviceReport probe_with(const CudaApi& api, const std::string& library, const ProbeOptions& options) {
  DeviceReport r;
  r.library = library;
  auto fail = [&](const std::string& what, int code) {
    r.available = false;
    r.devices.clear();
    r.reason = library + ": " + what + " failed: " + (api.error_text ? api.error_text(api.ctx, code) : std::to_string(code));
    return r;
  };
  if (!api.device_count) {
    r.reason = library + ": no device-count entry point";
    return r;
  }
  if (api.versions) api.versions(api.ctx, &r.driver_version, &r.runtime_version);  // informative only
  int n = 0;
  if (int err = api.device_count(api.ctx, &n)) return fail("device count", err);
  if (n <= 0) {
    r.reason = library + ": no CUDA device (device count is 0)";
    return r;
  }
  for (int i = 0; i < n; ++i) {
    DeviceInfo d;
    d.index = i;
    if (api.device_info)
      if (int err = api.device_info(api.ctx, i, &d)) return fail("properties of device " + std::to_string(i), err);
    if (options.query_memory && api.memory_used) {
      uint64_t used = 0, total = 0;
      if (int err = api.memory_used(api.ctx, i, &used, &total)) return fail("memory of device " + std::to_string(i), err);
      d.memory_used = used;
      d.memory_total = total;
    }
    r.devices.push_back(d);
  }
  r.available = true;
  return require_driver(r, options.min_driver_version);
}

DeviceReport probe_devices(const ProbeOptions& options) {
  DeviceReport r;
  if (const char* off = std::getenv("TOME_DISABLE_CUDA"); off && *off && std::strcmp(off, "0") != 0) {
    r.reason = "disabled by TOME_DISABLE_CUDA";
    return r;
  }
  const std::vector<std::string> names = options.libraries.empty() ? default_cuda_libraries() : options.libraries;
  // The first library that reports a device wins. A runtime that opens but finds
  // none ends the runtime candidates; the driver library is still asked, and every
  // failure goes into the reason ("...InsufficientDriver; libcuda.so.1: cannot
  // open..." says: no NVIDIA driver is installed).
  std::string reasons;
  bool runtime_answered = false;
  DeviceReport first_answer;
  for (const std::string& name : names) {
    const bool driver = is_driver_library(name);
    if (!driver && runtime_answered) continue;
    auto lib = std::make_unique<Library>(name);
    if (!lib->ok()) {
      reasons += (reasons.empty() ? "" : "; ") + name + ": " + lib->error();
      continue;
    }
    DeviceReport answer;
    if (driver) {
      static Driver drv;  // adapter state, one per process
      if (!drv.load(*lib)) {
        reasons += (reasons.empty() ? "" : "; ") + name + ": missing driver entry points";
        continue;
      }
      lib.release();  // stays loaded (see ~Library)
      answer = probe_with(driver_api(&drv), name, options);
    } else {
      static Cudart rt;
      if (!rt.load(*lib)) {
        reasons += (reasons.empty() ? "" : "; ") + name + ": missing runtime entry points";
        continue;
      }
      lib.release();
      runtime_answered = true;
      answer = probe_with(cudart_api(&rt), name, options);
    }
    if (answer.available) return answer;
    if (first_answer.library.empty()) first_answer = answer;
    reasons += (reasons.empty() ? "" : "; ") + answer.reason;
  }
  r = first_answer;  // versions of the first library that answered, if any
  r.available = false;
  r.devices.clear();
  r.reason = reasons.empty() ? "no CUDA library to try" : reasons;
  if (first_answer.library.empty()) r.reason = "no CUDA library could be loaded (" + reasons + ")";
  return r;
}

std::string describe(const DeviceReport& r) {
  if (!r.available) return "CUDA unavailable: " + r.reason;
  std::string s;
  char buf[160];
  for (const DeviceInfo& d : r.devices) {
    if (!s.empty()) s += "; ";
    std::snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs)", d.name.empty() ? "CUDA device" : d.name.c_str(),
                  d.cc_major, d.cc_minor, d.multiprocessors);
    s += buf;
    if (d.memory_total) {
      std::snprintf(buf, sizeof buf, ", %.1f of %.1f GiB used", double(d.memory_used) / (1u << 30),
                    double(d.memory_total) / (1u << 30));
      s += buf;
    }
  }
  s += " [" + r.library;
  if (r.driver_version) s += ", driver " + version_text(r.driver_version);
  if (r.runtime_version) s += ", runtime " + version_text(r.runtime_version);
  return s + "]";
}

}  // namespace tome::cuda
