// Shared-neighbour bookkeeping for every unordered pair of gene graphs.
//
// The contract (the NumPy reference in dglgene/ops/reference.py is the readable
// specification) is shared by the CPU kernel (pair_overlaps.cpp) and the CUDA twin
// (cuda/pair_overlaps.cu). This header holds what both need: the input view, the packed
// output, the per-graph preprocessing and the counter-based random draw.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(__CUDACC__)
#define DGLGENE_HD __host__ __device__
#else
#define DGLGENE_HD
#endif

namespace dglgene {

// One graph as the caller hands it over: CSR over local node ids plus local -> global ids.
struct GraphView {
  const int64_t* indptr;   // n + 1
  const int64_t* indices;  // nnz, local ids
  const int64_t* gene_ids; // n, global ids, unique within the graph
  int64_t indptr_size;     // must be n + 1
  int64_t n;
  int64_t nnz;
};

// Everything for all pairs (i, j), i < j in lexicographic order, packed flat.
// Pair p owns common_*[common_offsets[p] : common_offsets[p + 1]], and likewise for
// diff_i_* / diff_j_*.
struct PackedOverlaps {
  std::vector<int64_t> pairs;  // 2 * P
  std::vector<int64_t> common_offsets, common_i, common_j;
  std::vector<double> weights;
  std::vector<int64_t> diff_i_offsets, diff_i, diff_i_neighbor;
  std::vector<int64_t> diff_j_offsets, diff_j, diff_j_neighbor;
};

// A graph reorganised for merging: genes sorted by global id, and per node the sorted
// distinct neighbour global ids (self-loop kept) and sorted distinct local neighbours
// other than the node itself (the candidates of the random draw).
struct PreparedGraph {
  int64_t n = 0;
  std::vector<int64_t> sorted_gene_ids;  // ascending global ids
  std::vector<int64_t> sorted_local;     // local id of each entry of sorted_gene_ids
  std::vector<int64_t> nbr_gid_ptr, nbr_gid;
  std::vector<int64_t> draw_ptr, draw_local;
};

// Validates and prepares every graph (OpenMP over graphs). Bad input throws
// std::invalid_argument (ValueError in Python) naming the graph and the problem.
std::vector<PreparedGraph> prepare_graphs(const std::vector<GraphView>& graphs);

// Number of common genes of two prepared graphs (a merge of their sorted id lists).
int64_t count_common(const PreparedGraph& a, const PreparedGraph& b);

inline int64_t pair_count(int64_t T) { return T * (T - 1) / 2; }

// (i, j), i < j, in lexicographic order, flattened: the `pairs` of PackedOverlaps.
inline std::vector<int64_t> lexicographic_pairs(int64_t T) {
  std::vector<int64_t> pairs;
  pairs.reserve(2 * pair_count(T));
  for (int64_t i = 0; i < T; ++i)
    for (int64_t j = i + 1; j < T; ++j) {
      pairs.push_back(i);
      pairs.push_back(j);
    }
  return pairs;
}

// Offsets of packed segments of the given sizes: {0, c0, c0 + c1, ...}.
inline std::vector<int64_t> exclusive_offsets(const std::vector<int64_t>& counts) {
  std::vector<int64_t> offsets(counts.size() + 1, 0);
  for (size_t k = 0; k < counts.size(); ++k) offsets[k + 1] = offsets[k] + counts[k];
  return offsets;
}

// splitmix64's finaliser: a bijective 64-bit mix, the same on host and device.
DGLGENE_HD inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The draw for node u of graph side (0: i, 1: j) in pair (i, j) depends only on these
// values, so it is the same for any thread count, schedule or device.
DGLGENE_HD inline uint64_t draw_key(uint64_t seed, int64_t i, int64_t j, int64_t side, int64_t u) {
  uint64_t h = mix64(seed);
  h = mix64(h ^ static_cast<uint64_t>(i));
  h = mix64(h ^ static_cast<uint64_t>(j));
  h = mix64(h ^ static_cast<uint64_t>(side));
  return mix64(h ^ static_cast<uint64_t>(u));
}

// One neighbour of u drawn uniformly from its candidates, or u itself when it has none.
DGLGENE_HD inline int64_t draw_neighbor(const int64_t* ptr, const int64_t* cand, int64_t u,
                                        uint64_t key) {
  const int64_t begin = ptr[u], deg = ptr[u + 1] - begin;
  if (deg == 0) return u;
  return cand[begin + static_cast<int64_t>(key % static_cast<uint64_t>(deg))];
}

// |A ∩ B| / |A ∪ B| of two sorted distinct id lists; 0 when both are empty.
DGLGENE_HD inline double sorted_jaccard(const int64_t* a, int64_t na, const int64_t* b, int64_t nb) {
  int64_t x = 0, y = 0, inter = 0;
  while (x < na && y < nb) {
    if (a[x] < b[y]) {
      ++x;
    } else if (b[y] < a[x]) {
      ++y;
    } else {
      ++inter; ++x; ++y;
    }
  }
  const int64_t uni = na + nb - inter;
  return uni == 0 ? 0.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

// The CPU kernel: OpenMP over pairs.
PackedOverlaps pair_overlaps_cpu(const std::vector<GraphView>& graphs, uint64_t seed);

}  // namespace dglgene
