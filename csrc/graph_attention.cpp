#include "graph_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dglgene {
namespace {

template <class T>
inline T dot(const T* a, const T* b, int64_t n) {
  T s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t c = 0; c < n; ++c) s += a[c] * b[c];
  return s;
}

template <class T>
inline void axpy(T a, const T* x, T* y, int64_t n) {
#pragma omp simd
  for (int64_t c = 0; c < n; ++c) y[c] += a * x[c];
}

}  // namespace

// One build runs everywhere: GCC compiles each kernel for AVX-512, AVX2 and the baseline
// and picks the best the CPU has when the module loads.
#define DGLGENE_TARGETS __attribute__((target_clones("avx512f", "avx2", "default")))

template <class T>
DGLGENE_TARGETS void attention_forward(const EdgeGroups& in, const T* q, const T* k, const T* v, int64_t heads,
                       int64_t dim, T scale, T* out, T* alpha) {
  const int64_t width = heads * dim;
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < in.n_nodes; ++i) {
    const int64_t begin = in.indptr[i], end = in.indptr[i + 1];
    for (int64_t h = 0; h < heads; ++h) {
      const T* qi = q + i * width + h * dim;
      T* oi = out + i * width + h * dim;
      std::fill(oi, oi + dim, T(0));
      if (begin == end) continue;  // no incoming edge: out is 0
      T top = -std::numeric_limits<T>::infinity();
      for (int64_t p = begin; p < end; ++p) {
        const T s = scale * dot(qi, k + in.other[p] * width + h * dim, dim);
        alpha[in.eid[p] * heads + h] = s;
        top = std::max(top, s);
      }
      T total = 0;
      for (int64_t p = begin; p < end; ++p) {
        T& a = alpha[in.eid[p] * heads + h];
        a = std::exp(a - top);
        total += a;
      }
      const T inverse = T(1) / total;
      for (int64_t p = begin; p < end; ++p) {
        T& a = alpha[in.eid[p] * heads + h];
        a *= inverse;
        axpy(a, v + in.other[p] * width + h * dim, oi, dim);
      }
    }
  }
}

template <class T>
DGLGENE_TARGETS void attention_backward(const EdgeGroups& in, const EdgeGroups& out_edges, const T* q,
                        const T* k, const T* v, const T* alpha, const T* grad_out,
                        int64_t heads, int64_t dim, T scale, T* grad_q, T* grad_k, T* grad_v,
                        T* grad_score) {
  const int64_t width = heads * dim;
  // destinations: d alpha_e = <grad_out_i, v_j>, the softmax's backward, grad q
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t i = 0; i < in.n_nodes; ++i) {
    const int64_t begin = in.indptr[i], end = in.indptr[i + 1];
    for (int64_t h = 0; h < heads; ++h) {
      const T* gi = grad_out + i * width + h * dim;
      T* gq = grad_q + i * width + h * dim;
      std::fill(gq, gq + dim, T(0));
      T weighted = 0;
      for (int64_t p = begin; p < end; ++p) {
        const int64_t e = in.eid[p] * heads + h;
        const T d_alpha = dot(gi, v + in.other[p] * width + h * dim, dim);
        grad_score[e] = d_alpha;
        weighted += alpha[e] * d_alpha;
      }
      for (int64_t p = begin; p < end; ++p) {
        const int64_t e = in.eid[p] * heads + h;
        grad_score[e] = scale * alpha[e] * (grad_score[e] - weighted);
        axpy(grad_score[e], k + in.other[p] * width + h * dim, gq, dim);
      }
    }
  }
  // sources: grad k and grad v gather over each source's outgoing edges
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t j = 0; j < out_edges.n_nodes; ++j) {
    T* gk = grad_k + j * width;
    T* gv = grad_v + j * width;
    std::fill(gk, gk + width, T(0));
    std::fill(gv, gv + width, T(0));
    for (int64_t p = out_edges.indptr[j]; p < out_edges.indptr[j + 1]; ++p) {
      const int64_t e = out_edges.eid[p] * heads, i = out_edges.other[p];
      for (int64_t h = 0; h < heads; ++h) {
        axpy(grad_score[e + h], q + i * width + h * dim, gk + h * dim, dim);
        axpy(alpha[e + h], grad_out + i * width + h * dim, gv + h * dim, dim);
      }
    }
  }
}

template void attention_forward<float>(const EdgeGroups&, const float*, const float*,
                                       const float*, int64_t, int64_t, float, float*, float*);
template void attention_forward<double>(const EdgeGroups&, const double*, const double*,
                                        const double*, int64_t, int64_t, double, double*,
                                        double*);
template void attention_backward<float>(const EdgeGroups&, const EdgeGroups&, const float*,
                                        const float*, const float*, const float*, const float*,
                                        int64_t, int64_t, float, float*, float*, float*,
                                        float*);
template void attention_backward<double>(const EdgeGroups&, const EdgeGroups&, const double*,
                                         const double*, const double*, const double*,
                                         const double*, int64_t, int64_t, double, double*,
                                         double*, double*, double*);

}  // namespace dglgene
