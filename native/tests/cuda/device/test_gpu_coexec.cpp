// Co-execution on a device: the decode-layer schedule run by the CUDA stream
// executor, with the static set's attention on the GPU, the retrieved keys'
// attention on the CPU (pinned buffers between them) and the GPU merge; the
// result equals attention over the union, and the measured intervals make sense.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "attention/partial_attention.h"
#include "cuda/coexec_buffers.h"
#include "cuda/coexec_schedule.h"
#include "cuda/decode_attention.h"
#include "cuda/device_buffer.h"
#include "cuda/merge_attention.h"
#include "cuda/stream_executor_cuda.h"
#include "gpu_test_util.h"
#include "kv_fixture.h"

using namespace tome;
using namespace tome::cuda;
using namespace tome::coexec;
using namespace gpu_test;

TEST(stream_executor_orders_copies) {
  require_device();
  StreamExecutor ex;
  const size_t n = 1 << 20;
  DeviceBuffer<float> a(n), b(n);
  PinnedBuffer<float> host(n);
  ex.enqueue(Stream::Compute, {"fill", Lane::Gpu, {}, {"a"}},
             [&](void* s) { CUDA_CHECK(cudaMemsetAsync(a.get(), 0x3F, a.bytes(), static_cast<cudaStream_t>(s))); });
  ex.stream_wait(Stream::Copy, ex.record(Stream::Compute));
  ex.enqueue(Stream::Copy, {"d2d", Lane::Transfer, {"a"}, {"b"}}, [&](void* s) {
    CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), a.bytes(), cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(s)));
    CUDA_CHECK(cudaMemcpyAsync(host.get(), b.get(), b.bytes(), cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(s)));
  });
  ex.host_wait(ex.record(Stream::Copy));
  uint32_t bits;
  std::memcpy(&bits, &host[n - 1], 4);
  CHECK_EQ(bits, 0x3F3F3F3Fu);
  const auto iv = ex.finish();
  CHECK_EQ(iv.size(), size_t(2));
  for (const auto& i : iv) CHECK(i.t1_ms >= i.t0_ms && i.t0_ms >= -0.01);
}

TEST(decode_layer_coexecution_matches_full_attention) {
  require_device();
  std::mt19937 g(seed());
  const int hd = 128, n_head = 32, n_kv = 8, n_gqa = n_head / n_kv;
  const int64_t n_ctx = 6000, sinks = 64, window = 1024;
  const KvData kv(n_kv, n_ctx, hd, n_ctx, false, g);  // the whole context, host side
  // static set on the device: rows [0, sinks) and [n_ctx - window, n_ctx) of every head
  const int64_t n_static = sinks + window;
  std::vector<uint16_t> sk(size_t(n_kv * n_static * hd)), sv(sk.size());
  std::vector<int32_t> static_rows, retrieved;
  for (int64_t j = 0; j < n_ctx; ++j) (j < sinks || j >= n_ctx - window ? static_rows : retrieved).push_back(int32_t(j));
  std::shuffle(retrieved.begin(), retrieved.end(), g);
  retrieved.resize(300);  // what an index search would return
  for (int h = 0; h < n_kv; ++h)
    for (int64_t r = 0; r < n_static; ++r)
      for (int d = 0; d < hd; ++d) {
        sk[size_t((h * n_static + r) * hd + d)] = kv.k[size_t((h * n_ctx + static_rows[size_t(r)]) * hd + d)];
        sv[size_t((h * n_static + r) * hd + d)] = kv.v[size_t((h * n_ctx + static_rows[size_t(r)]) * hd + d)];
      }
  const std::vector<float> q = randn(size_t(n_head * hd), g);
  const float scale = 1.0f / std::sqrt(float(hd));

  auto dq = upload(q);
  auto dsk = upload(sk), dsv = upload(sv);
  DeviceBuffer<float> d_out(q.size()), d_lse(static_cast<size_t>(n_head));
  CoexecBuffers buf(n_head, hd);
  DeviceBuffer<uint8_t> scratch(decode_attention_scratch_bytes(n_static, n_head, n_kv, hd) + 16);

  DecodeAttentionArgs da;
  da.q = dq.get();
  da.kv.k = dsk.get();
  da.kv.v = dsv.get();
  da.kv.head_stride = n_static * hd;
  da.kv.row_stride = hd;
  da.n = n_static;
  da.n_head = n_head;
  da.n_head_kv = n_kv;
  da.hd = hd;
  da.scale = scale;
  da.out = d_out.get();
  da.lse = d_lse.get();

  std::vector<float> cpu_scratch;
  DecodeLayerWork w;
  w.static_attention = [&](void* s) {
    decode_attention(da, scratch.get(), scratch.size(), static_cast<cudaStream_t>(s));
  };
  w.query_to_host = buf.query_to_host(dq.get());
  w.retrieval = [&] {
    for (int gi = 0; gi < n_kv; ++gi) {
      const KvRows rows{kv.k.data() + size_t(gi * n_ctx * hd), kv.v.data() + size_t(gi * n_ctx * hd), size_t(hd)};
      attend_gather(buf.q_host.get() + gi * n_gqa * hd, n_gqa, rows, retrieved.data(), int64_t(retrieved.size()), hd,
                    scale, buf.retrieved_out_host() + gi * n_gqa * hd, buf.retrieved_lse_host() + gi * n_gqa,
                    cpu_scratch);
    }
  };
  w.partial_to_device = buf.partial_to_device();
  w.merge = [&](void* s) {
    merge_attention(d_out.get(), d_lse.get(), buf.retrieved_out_dev(), buf.retrieved_lse_dev(), n_head, hd,
                    static_cast<cudaStream_t>(s));
  };

  StreamExecutor ex;
  for (Overlap mode : {Overlap::Concurrent, Overlap::Serial}) {
    poison(d_out);
    schedule_decode_layer(ex, w, mode);
    const CoexecStats st = summarize(ex.finish());
    std::printf("     %s: wall %.3f ms, gpu %.3f, cpu %.3f, transfer %.3f, overlap %.3f\n",
                mode == Overlap::Concurrent ? "concurrent" : "serial", st.wall_ms, st.gpu_ms, st.cpu_ms,
                st.transfer_ms, st.overlap_ms);
    CHECK(st.wall_ms > 0 && st.cpu_ms > 0 && st.gpu_ms > 0);
    CHECK(st.overlap_ms <= std::min(st.gpu_ms, st.cpu_ms) + 1e-3);
    CHECK_EQ(st.op_ms.size(), size_t(5));

    std::vector<int32_t> all = static_rows;
    all.insert(all.end(), retrieved.begin(), retrieved.end());
    std::vector<double> ref(q.size()), ref_lse(static_cast<size_t>(n_head));
    std::vector<float> ref_f(q.size()), ref_lse_f(static_cast<size_t>(n_head));
    for (int gi = 0; gi < n_kv; ++gi) {
      const KvRows rows{kv.k.data() + size_t(gi * n_ctx * hd), kv.v.data() + size_t(gi * n_ctx * hd), size_t(hd)};
      attend_gather(q.data() + gi * n_gqa * hd, n_gqa, rows, all.data(), int64_t(all.size()), hd, scale,
                    ref_f.data() + gi * n_gqa * hd, ref_lse_f.data() + gi * n_gqa, cpu_scratch);
    }
    // attend_gather rounds p to f16 after normalizing over its own key set, so
    // the merged parts and the whole differ by that rounding
    check_close(download(d_out.get(), q.size()), ref_f, 3e-3, "co-executed out vs attention over the union");
    check_close(download(d_lse.get(), size_t(n_head)), ref_lse_f, 1e-5, "co-executed lse");
  }
}

TOME_TEST_MAIN()
