// CPU kernel: common / different genes, Jaccard weights and neighbour draws for every
// unordered pair of gene graphs, OpenMP over graphs and then over pairs.
#include "pair_overlaps.hpp"

#include <algorithm>
#include <climits>
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

// Genes sorted by global id (with their local ids); a repeated gene id is an error.
void sort_genes(const GraphView& g, int64_t k, PreparedGraph& p) {
  p.n = g.n;
  p.sorted_local.resize(g.n);
  std::iota(p.sorted_local.begin(), p.sorted_local.end(), 0);
  std::sort(p.sorted_local.begin(), p.sorted_local.end(),
            [&](int64_t a, int64_t b) { return g.gene_ids[a] < g.gene_ids[b]; });
  p.sorted_gene_ids.resize(g.n);
  for (int64_t r = 0; r < g.n; ++r) p.sorted_gene_ids[r] = g.gene_ids[p.sorted_local[r]];
  for (int64_t r = 1; r < g.n; ++r)
    if (p.sorted_gene_ids[r] == p.sorted_gene_ids[r - 1])
      fail(k, "gene id " + std::to_string(p.sorted_gene_ids[r]) +
                  " appears twice; each gene must appear once per graph");
}

// Sorted distinct values of `values`, optionally without `skip`, appended to dst.
template <class T>
void append_sorted_unique(std::vector<T>& dst, std::vector<T>& values, T skip) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  for (T x : values)
    if (x != skip) dst.push_back(x);
}

// Per node: distinct neighbour ranks, and distinct other neighbours for the draw.
void build_neighbour_lists(const GraphView& g, const std::vector<int64_t>& vocabulary,
                           PreparedGraph& p) {
  std::vector<int32_t>& rank = p.gene_rank;
  std::vector<int32_t> ranks;
  rank.resize(g.n);
  for (int64_t r = 0; r < g.n; ++r)
    rank[p.sorted_local[r]] = static_cast<int32_t>(
        std::lower_bound(vocabulary.begin(), vocabulary.end(), p.sorted_gene_ids[r]) -
        vocabulary.begin());
  std::vector<int64_t> locals;
  p.nbr_ptr.assign(1, 0);
  p.draw_ptr.assign(1, 0);
  p.nbr_rank.reserve(g.nnz);
  p.draw_local.reserve(g.nnz);
  for (int64_t u = 0; u < g.n; ++u) {
    locals.assign(g.indices + g.indptr[u], g.indices + g.indptr[u + 1]);
    ranks.resize(locals.size());
    for (size_t e = 0; e < locals.size(); ++e) ranks[e] = rank[locals[e]];
    append_sorted_unique<int32_t>(p.nbr_rank, ranks, -1);  // ranks are >= 0: keeps all
    append_sorted_unique<int64_t>(p.draw_local, locals, u);
    p.nbr_ptr.push_back(static_cast<int64_t>(p.nbr_rank.size()));
    p.draw_ptr.push_back(static_cast<int64_t>(p.draw_local.size()));
  }
}

// Runs body(k) for every graph in parallel; exceptions must not cross the OpenMP region,
// so the first message is kept and thrown afterwards.
template <class Body>
void for_each_graph(int64_t T, Body body) {
  std::vector<std::string> errors(T);
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t k = 0; k < T; ++k) {
    try {
      body(k);
    } catch (const std::exception& e) {
      errors[k] = e.what();
    }
  }
  for (const auto& e : errors)
    if (!e.empty()) throw std::invalid_argument(e);
}

// Neighbour lists of a prepared graph as (pointer, length) over vocabulary ranks.
struct RankList {
  const int32_t* ranks;
  int64_t size;
};

RankList neighbours(const PreparedGraph& g, int64_t u) {
  return {g.nbr_rank.data() + g.nbr_ptr[u], g.nbr_ptr[u + 1] - g.nbr_ptr[u]};
}

// A byte per vocabulary rank (20 kB for 20,000 genes: it stays in L1). Flagging one list
// and counting the flags another list hits gives |A ∩ B| without branches, and one flagged
// list serves every partner graph.
class RankFlags {
 public:
  explicit RankFlags(int64_t vocab_size) : flag_(vocab_size, 0) {}
  void set(RankList list, uint8_t value) {
    for (int64_t k = 0; k < list.size; ++k) flag_[list.ranks[k]] = value;
  }
  int64_t count(RankList list) const {
    int64_t hits = 0;
    for (int64_t k = 0; k < list.size; ++k) hits += flag_[list.ranks[k]];
    return hits;
  }

 private:
  std::vector<uint8_t> flag_;
};

// Local id of each vocabulary rank in one graph at a time. Reloading touches only the
// ranks of the two graphs involved, and consecutive pairs (i, j), (i, j + 1), ... reuse it.
class RankIndex {
 public:
  explicit RankIndex(int64_t vocab_size) : local_(vocab_size, -1) {}

  const RankIndex& load(const PreparedGraph& g) {
    if (loaded_ == &g) return *this;
    if (loaded_ != nullptr)
      for (int32_t r : loaded_->gene_rank) local_[r] = -1;
    for (int64_t u = 0; u < g.n; ++u) local_[g.gene_rank[u]] = static_cast<int32_t>(u);
    loaded_ = &g;
    return *this;
  }
  int32_t operator[](int32_t rank) const { return local_[rank]; }

 private:
  std::vector<int32_t> local_;
  const PreparedGraph* loaded_ = nullptr;
};

}  // namespace

PreparedCollection prepare_graphs(const std::vector<GraphView>& graphs) {
  const int64_t T = static_cast<int64_t>(graphs.size());
  PreparedCollection out;
  out.graphs.resize(T);
  for_each_graph(T, [&](int64_t k) {
    validate_graph(graphs[k], k);
    sort_genes(graphs[k], k, out.graphs[k]);
  });
  std::vector<int64_t> vocabulary;
  for (const auto& p : out.graphs)
    vocabulary.insert(vocabulary.end(), p.sorted_gene_ids.begin(), p.sorted_gene_ids.end());
  std::sort(vocabulary.begin(), vocabulary.end());
  vocabulary.erase(std::unique(vocabulary.begin(), vocabulary.end()), vocabulary.end());
  if (vocabulary.size() >= static_cast<size_t>(INT32_MAX))
    throw std::invalid_argument("more than 2^31 - 1 distinct genes are not supported");
  out.vocab_size = static_cast<int64_t>(vocabulary.size());
  for_each_graph(T, [&](int64_t k) {
    build_neighbour_lists(graphs[k], vocabulary, out.graphs[k]);
  });
  return out;
}

PackedOverlaps pair_overlaps_cpu(const std::vector<GraphView>& graphs, uint64_t seed) {
  const PreparedCollection prepared = prepare_graphs(graphs);
  const std::vector<PreparedGraph>& g = prepared.graphs;
  const int64_t T = static_cast<int64_t>(g.size()), P = pair_count(T);

  PackedOverlaps out;
  out.pairs = lexicographic_pairs(T);

  // Pass 1: sizes, so that pass 2 writes straight into the packed arrays.
  std::vector<int64_t> n_common(P), n_diff_i(P), n_diff_j(P);
#pragma omp parallel
  {
    RankIndex index(prepared.vocab_size);
#pragma omp for schedule(dynamic, 16)
    for (int64_t p = 0; p < P; ++p) {
      const PreparedGraph &a = g[out.pairs[2 * p]], &b = g[out.pairs[2 * p + 1]];
      const RankIndex& in_a = index.load(a);
      int64_t common = 0;
      for (int64_t v = 0; v < b.n; ++v) common += in_a[b.gene_rank[v]] >= 0;
      n_common[p] = common;
      n_diff_i[p] = a.n - common;
      n_diff_j[p] = b.n - common;
    }
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

  // Pass 2, one graph i at a time with all its partners j > i: match genes through the
  // rank index and walk each graph in local order (so common and different genes come out
  // sorted by local index), then fill the weights gene by gene of i, flagging each gene's
  // neighbours once for all partners.
#pragma omp parallel
  {
    std::vector<int64_t> match_in_j;  // per local gene of i: its local id in j, or -1
    std::vector<char> matched_j;
    std::vector<int64_t> slot;  // [u * partners + (j - i - 1)]: u's common entry, or -1
    RankIndex index(prepared.vocab_size);
    RankFlags flags(prepared.vocab_size);
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < T; ++i) {
      const PreparedGraph& a = g[i];
      const RankIndex& in_a = index.load(a);
      const int64_t partners = T - i - 1;
      slot.assign(a.n * partners, -1);
      for (int64_t j = i + 1; j < T; ++j) {
        const PreparedGraph& b = g[j];
        const int64_t p = i * T - i * (i + 1) / 2 + (j - i - 1);
        match_in_j.assign(a.n, -1);
        matched_j.assign(b.n, 0);
        for (int64_t v = 0; v < b.n; ++v) {
          const int32_t u = in_a[b.gene_rank[v]];
          if (u >= 0) {
            match_in_j[u] = v;
            matched_j[v] = 1;
          }
        }
        const uint64_t key_i = pair_key(seed, i, j, 0), key_j = pair_key(seed, i, j, 1);
        int64_t c = out.common_offsets[p], d = out.diff_i_offsets[p];
        for (int64_t u = 0; u < a.n; ++u) {
          const int64_t v = match_in_j[u];
          if (v >= 0) {
            out.common_i[c] = u;
            out.common_j[c] = v;
            slot[u * partners + (j - i - 1)] = c++;
          } else {
            out.diff_i[d] = u;
            out.diff_i_neighbor[d++] = draw_neighbor(a.draw_ptr.data(), a.draw_local.data(),
                                                     u, draw_key(key_i, u));
          }
        }
        d = out.diff_j_offsets[p];
        for (int64_t v = 0; v < b.n; ++v) {
          if (matched_j[v]) continue;
          out.diff_j[d] = v;
          out.diff_j_neighbor[d++] = draw_neighbor(b.draw_ptr.data(), b.draw_local.data(), v,
                                                   draw_key(key_j, v));
        }
      }
      for (int64_t u = 0; u < a.n; ++u) {
        const int64_t* slots = slot.data() + u * partners;
        const RankList mine = neighbours(a, u);
        flags.set(mine, 1);
        for (int64_t k = 0; k < partners; ++k) {
          const int64_t c = slots[k];
          if (c < 0) continue;
          const RankList theirs = neighbours(g[i + 1 + k], out.common_j[c]);
          out.weights[c] = jaccard_from_counts(flags.count(theirs), mine.size, theirs.size);
        }
        flags.set(mine, 0);
      }
    }
  }
  return out;
}

}  // namespace dglgene
