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
#include <utility>
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

// An allocator whose resize() leaves new elements uninitialised: the output arrays are
// overwritten in full, and zeroing ~100 MB first would cost a quarter of the run.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <class T>
using Buffer = std::vector<T, UninitialisedAllocator<T>>;

// Everything for all pairs (i, j), i < j in lexicographic order, packed flat.
// Pair p owns common_*[common_offsets[p] : common_offsets[p + 1]], and likewise for
// diff_i_* / diff_j_*.
struct PackedOverlaps {
  std::vector<int64_t> pairs;  // 2 * P
  std::vector<int64_t> common_offsets, diff_i_offsets, diff_j_offsets;
  Buffer<int64_t> common_i, common_j, diff_i, diff_i_neighbor, diff_j, diff_j_neighbor;
  Buffer<double> weights;
};

// A graph reorganised for the kernels: genes sorted by global id, and per node the sorted
// distinct neighbours as vocabulary ranks (self-loop kept; the rank of a gene is its
// position among all genes of the collection, so ranks compare like global ids and fit in
// 32 bits) and the sorted distinct local neighbours other than the node itself (the
// candidates of the random draw).
struct PreparedGraph {
  int64_t n = 0;
  std::vector<int64_t> sorted_gene_ids;  // ascending global ids
  std::vector<int64_t> sorted_local;     // local id of each entry of sorted_gene_ids
  std::vector<int32_t> gene_rank;        // vocabulary rank of each local gene
  std::vector<int64_t> nbr_ptr;
  std::vector<int32_t> nbr_rank;
  std::vector<int64_t> draw_ptr, draw_local;
};

struct PreparedCollection {
  std::vector<PreparedGraph> graphs;
  int64_t vocab_size = 0;  // distinct genes over all graphs: ranks lie in [0, vocab_size)
};

// Validates and prepares every graph (OpenMP over graphs). Bad input throws
// std::invalid_argument (ValueError in Python) naming the graph and the problem.
PreparedCollection prepare_graphs(const std::vector<GraphView>& graphs);

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
// values, so it is the same for any thread count, schedule or device:
// key = mix64(pair_key(seed, i, j, side) ^ u).
DGLGENE_HD inline uint64_t pair_key(uint64_t seed, int64_t i, int64_t j, int64_t side) {
  uint64_t h = mix64(seed);
  h = mix64(h ^ static_cast<uint64_t>(i));
  h = mix64(h ^ static_cast<uint64_t>(j));
  return mix64(h ^ static_cast<uint64_t>(side));
}

DGLGENE_HD inline uint64_t draw_key(uint64_t pair_key, int64_t u) {
  return mix64(pair_key ^ static_cast<uint64_t>(u));
}

// floor(key * n / 2^64): a uniform index in [0, n) without a division (Lemire 2019).
DGLGENE_HD inline uint64_t scale_key(uint64_t key, uint64_t n) {
#if defined(__CUDA_ARCH__)
  return __umul64hi(key, n);
#else
  return static_cast<uint64_t>((static_cast<unsigned __int128>(key) * n) >> 64);
#endif
}

// One neighbour of u drawn uniformly from its candidates, or u itself when it has none.
DGLGENE_HD inline int64_t draw_neighbor(const int64_t* ptr, const int64_t* cand, int64_t u,
                                        uint64_t key) {
  const int64_t begin = ptr[u], deg = ptr[u + 1] - begin;
  if (deg == 0) return u;
  return cand[begin + static_cast<int64_t>(scale_key(key, static_cast<uint64_t>(deg)))];
}

// |A ∩ B| / |A ∪ B| from |A ∩ B|, |A| and |B|, computed one way for every backend.
DGLGENE_HD inline double jaccard_from_counts(int64_t inter, int64_t na, int64_t nb) {
  const int64_t uni = na + nb - inter;
  return uni == 0 ? 0.0 : static_cast<double>(inter) / static_cast<double>(uni);
}

// |A ∩ B| / |A ∪ B| of two sorted distinct id lists; 0 when both are empty.
template <class Id>
DGLGENE_HD inline double sorted_jaccard(const Id* a, int64_t na, const Id* b, int64_t nb) {
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
  return jaccard_from_counts(inter, na, nb);
}

// The CPU kernel: OpenMP over pairs.
PackedOverlaps pair_overlaps_cpu(const std::vector<GraphView>& graphs, uint64_t seed);

}  // namespace dglgene
