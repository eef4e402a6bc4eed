// The backend choice without a device: the real probe on this machine (a report,
// never a throw), and probe_with driven by fake CUDA API tables for the cases a
// machine cannot be made to show on demand (devices, failing calls, old drivers).
#include <cstdlib>
#include <string>

#include "cuda/device_probe.h"
#include "test_harness.h"

using namespace tome::cuda;

namespace {

// A fake runtime: n devices of 80 GiB, optional failures.
struct Fake {
  int count = 1;
  int count_error = 0;
  int info_error = 0;
  int mem_error = 0;
  int driver = 13000, runtime = 13000;
  uint64_t used = 3ull << 30, total = 80ull << 30;
};

CudaApi fake_api(Fake* f) {
  CudaApi api;
  api.ctx = f;
  api.device_count = [](void* c, int* n) {
    Fake* f = static_cast<Fake*>(c);
    if (f->count_error) return f->count_error;
    *n = f->count;
    return 0;
  };
  api.device_info = [](void* c, int index, DeviceInfo* d) {
    Fake* f = static_cast<Fake*>(c);
    if (f->info_error) return f->info_error;
    d->name = "Fake GPU " + std::to_string(index);
    d->cc_major = 9;
    d->cc_minor = 0;
    d->multiprocessors = 132;
    return 0;
  };
  api.memory_used = [](void* c, int, uint64_t* used, uint64_t* total) {
    Fake* f = static_cast<Fake*>(c);
    if (f->mem_error) return f->mem_error;
    *used = f->used;
    *total = f->total;
    return 0;
  };
  api.versions = [](void* c, int* d, int* r) {
    Fake* f = static_cast<Fake*>(c);
    *d = f->driver;
    *r = f->runtime;
    return 0;
  };
  api.error_text = [](void*, int code) { return std::string("fakeError") + std::to_string(code); };
  return api;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// This machine: whatever it has, the probe answers with a report and a reason.
TEST(probe_here_reports_without_throwing) {
  DeviceReport r = probe_devices();
  std::printf("     probe here: %s\n", describe(r).c_str());
  if (r.available) {
    CHECK(!r.devices.empty());
    CHECK(r.reason.empty());
  } else {
    CHECK(!r.reason.empty());
    CHECK(r.devices.empty());
    CHECK(contains(describe(r), "CUDA unavailable: "));
  }
}

TEST(probe_missing_libraries_names_each) {
  ProbeOptions o;
  o.libraries = {"libtome-no-such-cudart.so", "libtome-no-such-cuda.so.1"};
  DeviceReport r = probe_devices(o);
  CHECK(!r.available);
  CHECK(contains(r.reason, "no CUDA library could be loaded"));
  CHECK(contains(r.reason, "libtome-no-such-cudart.so"));
  CHECK(contains(r.reason, "libtome-no-such-cuda.so.1"));
}

TEST(probe_disabled_by_environment) {
  setenv("TOME_DISABLE_CUDA", "1", 1);
  DeviceReport r = probe_devices();
  unsetenv("TOME_DISABLE_CUDA");
  CHECK(!r.available);
  CHECK_EQ(r.reason, std::string("disabled by TOME_DISABLE_CUDA"));
}

TEST(fake_device_is_reported_with_memory) {
  Fake f;
  f.count = 2;
  DeviceReport r = probe_with(fake_api(&f), "libfake.so", ProbeOptions{});
  CHECK(r.available);
  CHECK(r.reason.empty());
  CHECK_EQ(r.devices.size(), size_t(2));
  CHECK_EQ(r.devices[1].name, std::string("Fake GPU 1"));
  CHECK_EQ(r.devices[0].memory_total, 80ull << 30);
  CHECK_EQ(r.devices[0].memory_used, 3ull << 30);
  CHECK_EQ(r.driver_version, 13000);
  const std::string d = describe(r);
  CHECK(contains(d, "Fake GPU 0 (sm_90, 132 SMs), 3.0 of 80.0 GiB used"));
  CHECK(contains(d, "libfake.so, driver 13.0, runtime 13.0"));
}

TEST(memory_not_asked_is_zero) {
  Fake f;
  ProbeOptions o;
  o.query_memory = false;
  f.mem_error = 2;  // would fail if asked
  DeviceReport r = probe_with(fake_api(&f), "libfake.so", o);
  CHECK(r.available);
  CHECK_EQ(r.devices[0].memory_used, uint64_t(0));
}

TEST(no_device_gives_reason) {
  Fake f;
  f.count = 0;
  DeviceReport r = probe_with(fake_api(&f), "libfake.so", ProbeOptions{});
  CHECK(!r.available);
  CHECK(contains(r.reason, "no CUDA device"));
}

TEST(failing_calls_give_reason_with_error_text) {
  Fake f;
  f.count_error = 100;
  DeviceReport r = probe_with(fake_api(&f), "libfake.so", ProbeOptions{});
  CHECK(!r.available);
  CHECK(contains(r.reason, "device count failed: fakeError100"));

  Fake g;
  g.info_error = 999;
  r = probe_with(fake_api(&g), "libfake.so", ProbeOptions{});
  CHECK(!r.available);
  CHECK(r.devices.empty());
  CHECK(contains(r.reason, "properties of device 0 failed: fakeError999"));

  Fake h;
  h.mem_error = 2;
  r = probe_with(fake_api(&h), "libfake.so", ProbeOptions{});
  CHECK(!r.available);
  CHECK(contains(r.reason, "memory of device 0 failed: fakeError2"));
}

TEST(old_driver_is_unavailable) {
  Fake f;
  f.driver = 12040;
  ProbeOptions o;
  o.min_driver_version = 13000;
  DeviceReport r = probe_with(fake_api(&f), "libfake.so", o);
  CHECK(!r.available);
  CHECK(contains(r.reason, "the driver supports CUDA 12.4, CUDA 13.0 is needed"));
  f.driver = 13010;
  CHECK(probe_with(fake_api(&f), "libfake.so", o).available);
}

TEST(table_without_entry_points) {
  CudaApi empty;
  DeviceReport r = probe_with(empty, "libempty.so", ProbeOptions{});
  CHECK(!r.available);
  CHECK(contains(r.reason, "no device-count entry point"));
}

TOME_TEST_MAIN()
