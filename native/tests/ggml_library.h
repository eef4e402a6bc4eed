// Test-only: ggml's shared libraries (libggml-base and libggml-cpu-<variant>,
// the llama.cpp build node-llama-cpp ships and the engine's oracle), opened with
// dlopen by the oracle tests (cpu/test_cpu_ggml_oracle.cpp,
// model/test_layer_ggml_oracle.cpp): where they are, binding an entry point, and
// the graph API both call. Defines TOME_ORACLE_POSSIBLE where dlopen of these
// x86-64 Linux builds can work.
#pragma once
#if defined(__linux__) && defined(__x86_64__)
#include <dlfcn.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#define TOME_ORACLE_POSSIBLE 1

namespace ggml_library {

struct ggml_init_params {
  size_t mem_size;
  void* mem_buffer;
  bool no_alloc;
};

// The ggml graph entry points the oracles use (this release's signatures;
// tensors, contexts, graphs and backends are opaque).
struct GraphApi {
  void* (*init)(ggml_init_params);
  void (*free_ctx)(void*);
  void* (*new_tensor_1d)(void*, int, int64_t);
  void* (*new_tensor_2d)(void*, int, int64_t, int64_t);
  void* (*new_tensor_3d)(void*, int, int64_t, int64_t, int64_t);
  void* (*view_4d)(void*, void*, int64_t, int64_t, int64_t, int64_t, size_t, size_t, size_t, size_t);
  void* (*permute)(void*, void*, int, int, int, int);
  void* (*cont_2d)(void*, void*, int64_t, int64_t);
  void* (*mul)(void*, void*, void*);
  void* (*mul_mat)(void*, void*, void*);
  void (*mul_mat_set_prec)(void*, int);
  void* (*rms_norm)(void*, void*, float);
  void* (*norm)(void*, void*, float);
  void* (*rope_ext)(void*, void*, void*, void*, int, int, int, float, float, float, float, float, float);
  void* (*soft_max_ext)(void*, void*, void*, float, float);
  void (*soft_max_add_sinks)(void*, void*);
  void* (*swiglu_split)(void*, void*, void*);
  void* (*new_graph)(void*);
  void (*build_forward_expand)(void*, void*);
  void* (*alloc_ctx_tensors_from_buft)(void*, void*);
  void (*buffer_free)(void*);
  void (*tensor_set)(void*, const void*, size_t, size_t);
  void (*tensor_get)(const void*, void*, size_t, size_t);
  int (*graph_compute)(void*, void*);
  void (*backend_free)(void*);
  void* (*cpu_buffer_type)();
  void* (*cpu_backend_init)();
  void (*cpu_set_n_threads)(void*, int);
  void* (*repack_buffer_type)();  // C++-mangled in libggml-cpu; may be absent
};

// *fn = the library's symbol `name`; false when it has none.
template <class F>
bool bind(F* fn, void* lib, const char* name) {
  *fn = reinterpret_cast<F>(dlsym(lib, name));
  return *fn != nullptr;
}

// $TOME_GGML_LIB_DIR, else node-llama-cpp's prebuilt linux-x64 folder.
inline std::string lib_dir() {
  if (const char* d = std::getenv("TOME_GGML_LIB_DIR")) return d;
  return std::string(TOME_SOURCE_ROOT) + "/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64";
}

// Binds every GraphApi entry point from base (libggml-base) and cpu (a
// libggml-cpu-<variant>); true when all but repack_buffer_type were found.
inline bool bind_graph_api(GraphApi& a, void* base, void* cpu) {
  bind(&a.repack_buffer_type, cpu, "_Z35ggml_backend_cpu_repack_buffer_typev");
  return bind(&a.init, base, "ggml_init") && bind(&a.free_ctx, base, "ggml_free") &&
         bind(&a.new_tensor_1d, base, "ggml_new_tensor_1d") && bind(&a.new_tensor_2d, base, "ggml_new_tensor_2d") &&
         bind(&a.new_tensor_3d, base, "ggml_new_tensor_3d") && bind(&a.view_4d, base, "ggml_view_4d") &&
         bind(&a.permute, base, "ggml_permute") && bind(&a.cont_2d, base, "ggml_cont_2d") &&
         bind(&a.mul, base, "ggml_mul") && bind(&a.mul_mat, base, "ggml_mul_mat") &&
         bind(&a.mul_mat_set_prec, base, "ggml_mul_mat_set_prec") && bind(&a.rms_norm, base, "ggml_rms_norm") &&
         bind(&a.norm, base, "ggml_norm") && bind(&a.rope_ext, base, "ggml_rope_ext") &&
         bind(&a.soft_max_ext, base, "ggml_soft_max_ext") && bind(&a.swiglu_split, base, "ggml_swiglu_split") &&
         bind(&a.soft_max_add_sinks, base, "ggml_soft_max_add_sinks") &&
         bind(&a.new_graph, base, "ggml_new_graph") &&
         bind(&a.build_forward_expand, base, "ggml_build_forward_expand") &&
         bind(&a.alloc_ctx_tensors_from_buft, base, "ggml_backend_alloc_ctx_tensors_from_buft") &&
         bind(&a.buffer_free, base, "ggml_backend_buffer_free") &&
         bind(&a.tensor_set, base, "ggml_backend_tensor_set") &&
         bind(&a.tensor_get, base, "ggml_backend_tensor_get") &&
         bind(&a.graph_compute, base, "ggml_backend_graph_compute") &&
         bind(&a.backend_free, base, "ggml_backend_free") &&
         bind(&a.cpu_buffer_type, base, "ggml_backend_cpu_buffer_type") &&
         bind(&a.cpu_backend_init, cpu, "ggml_backend_cpu_init") &&
         bind(&a.cpu_set_n_threads, cpu, "ggml_backend_cpu_set_n_threads");
}

}  // namespace ggml_library
#endif
