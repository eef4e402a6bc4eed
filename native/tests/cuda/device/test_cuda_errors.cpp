// CUDA errors become tome::Error CUDA_ERROR with the call and its site, and the
// kernel wrappers reject bad arguments before touching the device. Needs the
// CUDA runtime but no device, so unlike the other tests here it runs (and
// passes) on machines without a GPU.
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/decode_attention.h"
#include "cuda/device_buffer.h"
#include "cuda/flash_attention.h"
#include "cuda/matmul.h"
#include "cuda/matvec.h"
#include "cuda/rope.h"
#include "cuda/topk_keys.h"
#include "test_harness.h"

using namespace tome;
using namespace tome::cuda;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(cuda_check_names_call_site_and_error) {
  bool thrown = false;
  try {
    CUDA_CHECK(cudaErrorMemoryAllocation);
  } catch (const Error& e) {
    thrown = true;
    CHECK_EQ(e.code(), std::string("CUDA_ERROR"));
    const std::string what = e.what();
    CHECK(contains(what, "test_cuda_errors.cpp:"));
    CHECK(contains(what, "cudaErrorMemoryAllocation"));
    CHECK(contains(what, "out of memory"));
  }
  CHECK(thrown);
  CUDA_CHECK(cudaSuccess);  // no throw
}

TEST(device_calls_throw_or_work) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  cudaGetLastError();
  if (e != cudaSuccess || n == 0) {
    CHECK_THROWS_CODE(DeviceBuffer<float>(16), "CUDA_ERROR");
  } else {
    DeviceBuffer<float> b(16);
    CHECK(b.get() != nullptr);
  }
}

TEST(wrappers_check_arguments_first) {
  CHECK_THROWS_CODE(matvec(GgmlType::Q5_K, nullptr, 4, 256, nullptr, nullptr, nullptr, nullptr), "UNSUPPORTED_TYPE");
  CHECK_THROWS_CODE(matvec(GgmlType::Q4_K, nullptr, 4, 100, nullptr, nullptr, nullptr, nullptr), "BAD_ARGUMENT");
  CHECK_THROWS_CODE(matmul(GgmlType::IQ4_NL, nullptr, 4, 256, nullptr, 2, nullptr, nullptr), "UNSUPPORTED_TYPE");
  CHECK_THROWS_CODE(matmul(GgmlType::Q8_0, nullptr, 4, 48, nullptr, 2, nullptr, nullptr), "BAD_ARGUMENT");
  RopeParams rp;
  rp.n_rot = 7;
  CHECK_THROWS_CODE(rope(nullptr, 1, 1, 64, 64, 0, rp, nullptr), "BAD_ARGUMENT");
  PrefillAttentionArgs pa;
  pa.n_head = 6;
  pa.n_head_kv = 4;
  pa.hd = 128;
  pa.n_tokens = 1;
  CHECK_THROWS_CODE(flash_attention(pa, AttentionCompute::TensorCores, nullptr), "BAD_ARGUMENT");
  pa.n_head = 8;
  pa.hd = 96;
  CHECK_THROWS_CODE(flash_attention(pa, AttentionCompute::TensorCores, nullptr), "BAD_ARGUMENT");
  DecodeAttentionArgs da;
  da.n_head = 32;
  da.n_head_kv = 2;  // 16 query heads per KV head: over 8
  da.hd = 128;
  CHECK_THROWS_CODE(decode_attention(da, nullptr, 0, nullptr), "BAD_ARGUMENT");
  TopkKeysArgs ta;
  ta.hd = 128;
  ta.k = 0;
  CHECK_THROWS_CODE(topk_keys(ta, nullptr), "BAD_ARGUMENT");
  ta.k = 300;
  CHECK_THROWS_CODE(topk_keys(ta, nullptr), "BAD_ARGUMENT");
}

TOME_TEST_MAIN()
