// Seeded Lloyd k-means (L2) for the IVF baseline: centroids are initialised on
// distinct random rows of a random sample, then `iters` rounds of assign
// (knn_batch with bias -|c|^2/2: the top-1 inner product is the L2-nearest
// centroid) and update (mean of the members). An emptied centroid is re-seeded
// on a random member of the largest cluster with a tiny perturbation (as faiss).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tome {

class ThreadPool;

struct KMeansParams {
  int k = 0;                // clusters (clamped to the sample size)
  int iters = 10;
  int64_t max_sample = 0;   // rows trained on; 0 = 64 per cluster
  uint64_t seed = 1;
};

// X: (n, d) rows ld apart. Returns centroids (k', d) with k' = min(k, sample).
std::vector<float> kmeans_l2(const float* X, int64_t n, size_t ld, int d, const KMeansParams& p, ThreadPool* pool);

// out[i] = index of the L2-nearest of the k centroids C (k, d) to row i of X.
void assign_nearest_l2(const float* X, int64_t n, size_t ld, const float* C, int k, int d, int32_t* out,
                       ThreadPool* pool);

}  // namespace tome
