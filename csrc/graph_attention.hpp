// The graph transformer layer's attention, fused per node (CPU, OpenMP).
//
// For each destination node i and head h, over its incoming edges e = (j -> i):
//   s_e = scale * <q_i, k_j>,  alpha_e = softmax_e(s_e),  out_i = sum_e alpha_e v_j
// in one pass over i's edges (what DGL does with u_dot_v, edge_softmax and u_mul_e_sum,
// three passes with the (E, H) intermediates in between). The backward pass runs once
// over the destinations (grad q and the score gradients) and once over the sources
// (grad k and grad v), so every output row is written by one thread: no atomics, and the
// same sums in the same order for any thread count.
#pragma once

#include <cstdint>

namespace dglgene {

// A graph's edges grouped by one endpoint: node n's edges are positions
// [indptr[n], indptr[n + 1]), with the other endpoint in `other` and the edge id in `eid`.
struct EdgeGroups {
  const int64_t* indptr;
  const int64_t* other;
  const int64_t* eid;
  int64_t n_nodes;
};

// q: (n_dst, heads, dim); k, v: (n_src, heads, dim); out: (n_dst, heads, dim);
// alpha: (n_edges, heads) in edge-id order. `in` groups the edges by destination.
template <class T>
void attention_forward(const EdgeGroups& in, const T* q, const T* k, const T* v, int64_t heads,
                       int64_t dim, T scale, T* out, T* alpha);

// Gradients of attention_forward's out (grad_out) with respect to q, k and v; `in` groups
// the edges by destination and `out_edges` by source; grad_score (n_edges, heads) is scratch.
template <class T>
void attention_backward(const EdgeGroups& in, const EdgeGroups& out_edges, const T* q,
                        const T* k, const T* v, const T* alpha, const T* grad_out,
                        int64_t heads, int64_t dim, T scale, T* grad_q, T* grad_k, T* grad_v,
                        T* grad_score);

}  // namespace dglgene
