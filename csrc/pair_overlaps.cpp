// CPU kernel: common / different genes, Jaccard weights and neighbour draws for every
// unordered pair of gene graphs, OpenMP over graphs and then over pairs.
#include "pair_overlaps.hpp"

#include <algorithm>
#include <exception>
#include <numeric>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace dglgene {
namespace {

[[noreturn]] void fail(int64_t graph_index, const std::string& what) {
  throw std::invalid_argument("graph " + std::to_string(graph_index) + ": " + what);
}

void validate_graph(const GraphView& g, int64_t k) {
  if (g.indptr_size != g.n + 1)
    fail(k, "indptr has " + std::to_string(g.indptr_size) + " entries but gene_ids has " +
                std::to_string(g.n) + " genes; indptr must have len(gene_ids) + 1 entries");
  if (g.indptr[0] != 0) fail(k, "indptr[0] must be 0");
  for (int64_t u = 0; u < g.n; ++u)
    if (g.indptr[u + 1] < g.indptr[u]) fail(k, "indptr must be non-decreasing");
  if (g.indptr[g.n] != g.nnz)
    fail(k, "indptr[-1] is " + std::to_string(g.indptr[g.n]) + " but indices has " +
                std::to_string(g.nnz) + " entries");
  for (int64_t e = 0; e < g.nnz; ++e)
    if (g.indices[e] < 0 || g.indices[e] >= g.n)
      fail(k, "indices must lie in [0, " + std::to_string(g.n) + ")");
  for (int64_t u = 0; u < g.n; ++u)
    if (g.gene_ids[u] < 0) fail(k, "gene_ids must be non-negative");
}

// Sorted distinct values of src[begin:end] appended to dst, optionally dropping `skip`.
void append_sorted_unique(std::vector<int64_t>& dst, std::vector<int64_t>& scratch,
                          const int64_t* src, int64_t begin, int64_t end, int64_t skip) {
  scratch.assign(src + begin, src + end);
  std::sort(scratch.begin(), scratch.end());
  scratch.erase(std::unique(scratch.begin(), scratch.end()), scratch.end());
  for (int64_t x : scratch)
    if (x != skip) dst.push_back(x);
}

PreparedGraph prepare_graph(const GraphView& g, int64_t k) {
  validate_graph(g, k);
  PreparedGraph p;
  p.n = g.n;
  std::vector<int64_t> order(g.n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return g.gene_ids[a] < g.gene_ids[b]; });
  p.sorted_local = order;
  p.sorted_gene_ids.resize(g.n);
  for (int64_t r = 0; r < g.n; ++r) p.sorted_gene_ids[r] = g.gene_ids[order[r]];
  for (int64_t r = 1; r < g.n; ++r)
    if (p.sorted_gene_ids[r] == p.sorted_gene_ids[r - 1])
      fail(k, "gene id " + std::to_string(p.sorted_gene_ids[r]) +
                  " appears twice; each gene must appear once per graph");

  std::vector<int64_t> global_nbrs(g.nnz), scratch;
  for (int64_t e = 0; e < g.nnz; ++e) global_nbrs[e] = g.gene_ids[g.indices[e]];
  p.nbr_gid_ptr.assign(1, 0);
  p.draw_ptr.assign(1, 0);
  p.nbr_gid.reserve(g.nnz);
  p.draw_local.reserve(g.nnz);
  for (int64_t u = 0; u < g.n; ++u) {
    // Global ids are unique per graph, so no real id equals -1: nothing is skipped.
    append_sorted_unique(p.nbr_gid, scratch, global_nbrs.data(), g.indptr[u], g.indptr[u + 1], -1);
    append_sorted_unique(p.draw_local, scratch, g.indices, g.indptr[u], g.indptr[u + 1], u);
    p.nbr_gid_ptr.push_back(static_cast<int64_t>(p.nbr_gid.size()));
    p.draw_ptr.push_back(static_cast<int64_t>(p.draw_local.size()));
  }
  return p;
}

}  // namespace

std::vector<PreparedGraph> prepare_graphs(const std::vector<GraphView>& graphs) {
  const int64_t T = static_cast<int64_t>(graphs.size());
  std::vector<PreparedGraph> prepared(T);
  std::vector<std::string> errors(T);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < T; ++k) {
    // Exceptions must not cross the OpenMP region: keep the message, throw afterwards.
    try {
      prepared[k] = prepare_graph(graphs[k], k);
    } catch (const std::exception& e) {
      errors[k] = e.what();
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw std::invalid_argument(e);
  return prepared;
}

int64_t count_common(const PreparedGraph& a, const PreparedGraph& b) {
  int64_t x = 0, y = 0, c = 0;
  while (x < a.n && y < b.n) {
    const int64_t ga = a.sorted_gene_ids[x], gb = b.sorted_gene_ids[y];
    if (ga < gb) {
      ++x;
    } else if (gb < ga) {
      ++y;
    } else {
      ++c; ++x; ++y;
    }
  }
  return c;
}

PackedOverlaps pair_overlaps_cpu(const std::vector<GraphView>& graphs, uint64_t seed) {
  const std::vector<PreparedGraph> g = prepare_graphs(graphs);
  const int64_t T = static_cast<int64_t>(g.size()), P = pair_count(T);

  PackedOverlaps out;
  out.pairs = lexicographic_pairs(T);

  // Pass 1: sizes, so that pass 2 writes straight into the packed arrays.
  std::vector<int64_t> n_common(P), n_diff_i(P), n_diff_j(P);
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t p = 0; p < P; ++p) {
    const PreparedGraph &a = g[out.pairs[2 * p]], &b = g[out.pairs[2 * p + 1]];
    n_common[p] = count_common(a, b);
    n_diff_i[p] = a.n - n_common[p];
    n_diff_j[p] = b.n - n_common[p];
  }
  out.common_offsets = exclusive_offsets(n_common);
  out.diff_i_offsets = exclusive_offsets(n_diff_i);
  out.diff_j_offsets = exclusive_offsets(n_diff_j);
  out.common_i.resize(out.common_offsets[P]);
  out.common_j.resize(out.common_offsets[P]);
  out.weights.resize(out.common_offsets[P]);
  out.diff_i.resize(out.diff_i_offsets[P]);
  out.diff_i_neighbor.resize(out.diff_i_offsets[P]);
  out.diff_j.resize(out.diff_j_offsets[P]);
  out.diff_j_neighbor.resize(out.diff_j_offsets[P]);

  // Pass 2: match genes by merging the sorted id lists, then walk each graph in local
  // order so that common and different genes come out sorted by local index.
#pragma omp parallel
  {
    std::vector<int64_t> match_in_j;  // per local gene of i: its local id in j, or -1
    std::vector<char> matched_j;
#pragma omp for schedule(dynamic, 16)
    for (int64_t p = 0; p < P; ++p) {
      const int64_t i = out.pairs[2 * p], j = out.pairs[2 * p + 1];
      const PreparedGraph &a = g[i], &b = g[j];
      match_in_j.assign(a.n, -1);
      matched_j.assign(b.n, 0);
      for (int64_t x = 0, y = 0; x < a.n && y < b.n;) {
        const int64_t ga = a.sorted_gene_ids[x], gb = b.sorted_gene_ids[y];
        if (ga < gb) {
          ++x;
        } else if (gb < ga) {
          ++y;
        } else {
          match_in_j[a.sorted_local[x]] = b.sorted_local[y];
          matched_j[b.sorted_local[y]] = 1;
          ++x; ++y;
        }
      }
      int64_t c = out.common_offsets[p], d = out.diff_i_offsets[p];
      for (int64_t u = 0; u < a.n; ++u) {
        const int64_t v = match_in_j[u];
        if (v >= 0) {
          out.common_i[c] = u;
          out.common_j[c] = v;
          out.weights[c++] = sorted_jaccard(
              a.nbr_gid.data() + a.nbr_gid_ptr[u], a.nbr_gid_ptr[u + 1] - a.nbr_gid_ptr[u],
              b.nbr_gid.data() + b.nbr_gid_ptr[v], b.nbr_gid_ptr[v + 1] - b.nbr_gid_ptr[v]);
        } else {
          out.diff_i[d] = u;
          out.diff_i_neighbor[d++] = draw_neighbor(a.draw_ptr.data(), a.draw_local.data(), u,
                                                   draw_key(seed, i, j, 0, u));
        }
      }
      d = out.diff_j_offsets[p];
      for (int64_t v = 0; v < b.n; ++v) {
        if (matched_j[v]) continue;
        out.diff_j[d] = v;
        out.diff_j_neighbor[d++] = draw_neighbor(b.draw_ptr.data(), b.draw_local.data(), v,
                                                 draw_key(seed, i, j, 1, v));
      }
    }
  }
  return out;
}

}  // namespace dglgene
