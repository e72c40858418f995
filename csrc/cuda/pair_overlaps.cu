// CUDA twin of pair_overlaps_cpu: one thread block per pair of graphs.
//
// The host prepares the graphs exactly as the CPU kernel does (prepare_graphs) and packs
// them into concatenated device arrays. Kernel 1 counts the common genes of every pair, the
// host turns the counts into the packed offsets, and kernel 2 walks both graphs of a pair in
// local order, placing each gene by a block-wide scan of the "common" flags so that the
// output order is the CPU kernel's sequential order.
#include "pair_overlaps.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cuda/std/utility>
#include <stdexcept>
#include <string>

namespace dglgene {
namespace {

constexpr int kBlock = 256;
using Reduce = cub::BlockReduce<int64_t, kBlock>;
using Scan = cub::BlockScan<int64_t, kBlock>;

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw std::runtime_error(std::string("CUDA error in ") + what + ": " +
                             cudaGetErrorString(status));
}

// One device array; size 0 allocates nothing and leaves a null pointer.
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t size) : size_(size) {
    if (size_ > 0) check(cudaMalloc(&ptr_, size_ * sizeof(T)), "cudaMalloc");
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    if (size_ > 0)
      check(cudaMemcpy(ptr_, host.data(), size_ * sizeof(T), cudaMemcpyHostToDevice),
            "cudaMemcpy to device");
  }
  ~DeviceArray() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  T* get() const { return ptr_; }
  template <class Vector>
  void copy_to(Vector& host) const {
    host.resize(size_);
    if (size_ > 0)
      check(cudaMemcpy(host.data(), ptr_, size_ * sizeof(T), cudaMemcpyDeviceToHost),
            "cudaMemcpy to host");
  }

 private:
  T* ptr_ = nullptr;
  size_t size_;
};

// All graphs concatenated: graph k owns the flat rows [gene_off[k], gene_off[k + 1]).
// nbr_ptr / draw_ptr are row pointers over all flat rows into the concatenated nbr_rank /
// draw_local, whose values stay vocabulary ranks / local node ids.
struct FlatGraphs {
  const int64_t* gene_off;      // T + 1
  const int64_t* gene_ids;      // N: global id of each local gene
  const int64_t* sorted_ids;    // N: each graph's ids ascending
  const int64_t* sorted_local;  // N: local id of each sorted_ids entry
  const int64_t* nbr_ptr;       // N + 1
  const int32_t* nbr_rank;
  const int64_t* draw_ptr;      // N + 1
  const int64_t* draw_local;
};

struct DeviceOutput {
  const int64_t *common_offsets, *diff_i_offsets, *diff_j_offsets;
  int64_t *common_i, *common_j, *diff_i, *diff_i_neighbor, *diff_j, *diff_j_neighbor;
  double* weights;
};

// Local id of global gene `gene` in the graph owning flat rows [off, off + n), or -1.
__device__ int64_t find_local(const FlatGraphs& f, int64_t off, int64_t n, int64_t gene) {
  int64_t lo = 0, hi = n;  // lower bound
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (f.sorted_ids[off + mid] < gene)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && f.sorted_ids[off + lo] == gene ? f.sorted_local[off + lo] : -1;
}

__global__ void __launch_bounds__(kBlock)
    count_common_kernel(FlatGraphs f, const int64_t* pairs, int64_t P, int64_t* n_common) {
  __shared__ typename Reduce::TempStorage temp;
  for (int64_t p = blockIdx.x; p < P; p += gridDim.x) {
    int64_t a = pairs[2 * p], b = pairs[2 * p + 1];
    // Search the larger graph for the genes of the smaller one: fewer searches.
    if (f.gene_off[a + 1] - f.gene_off[a] > f.gene_off[b + 1] - f.gene_off[b])
      cuda::std::swap(a, b);
    const int64_t a_off = f.gene_off[a], n_a = f.gene_off[a + 1] - a_off;
    const int64_t b_off = f.gene_off[b], n_b = f.gene_off[b + 1] - b_off;
    int64_t found = 0;
    for (int64_t x = threadIdx.x; x < n_a; x += kBlock)
      found += find_local(f, b_off, n_b, f.sorted_ids[a_off + x]) >= 0;
    const int64_t total = Reduce(temp).Sum(found);  // valid in thread 0 only
    if (threadIdx.x == 0) n_common[p] = total;
    __syncthreads();  // temp is reused by the next pair
  }
}

// Walks genes 0..n-1 of one side (0: graph i, 1: graph j) of pair p in local order. A
// gene's slot among the common genes is the number of common genes before it (a block scan
// carried across chunks); its slot among the different genes is its index minus that.
template <int kSide>
__device__ void walk_side(const FlatGraphs& f, const DeviceOutput& o,
                          typename Scan::TempStorage& temp, int64_t p, int64_t i, int64_t j,
                          uint64_t seed) {
  const int64_t self = kSide == 0 ? i : j, other = kSide == 0 ? j : i;
  const int64_t s_off = f.gene_off[self], n_s = f.gene_off[self + 1] - s_off;
  const int64_t o_off = f.gene_off[other], n_o = f.gene_off[other + 1] - o_off;
  const int64_t diff_begin = kSide == 0 ? o.diff_i_offsets[p] : o.diff_j_offsets[p];
  int64_t* diff = kSide == 0 ? o.diff_i : o.diff_j;
  int64_t* neighbor = kSide == 0 ? o.diff_i_neighbor : o.diff_j_neighbor;
  int64_t common_before = 0;  // common genes in the chunks already walked
  for (int64_t base = 0; base < n_s; base += kBlock) {
    const int64_t u = base + threadIdx.x;
    const int64_t v = u < n_s ? find_local(f, o_off, n_o, f.gene_ids[s_off + u]) : -1;
    int64_t rank, chunk_common;
    Scan(temp).ExclusiveSum(v >= 0 ? int64_t{1} : int64_t{0}, rank, chunk_common);
    __syncthreads();  // temp is reused by the next chunk, side or pair
    if (u < n_s) {
      rank += common_before;
      if (v < 0) {
        const int64_t d = diff_begin + u - rank;
        diff[d] = u;
        neighbor[d] = draw_neighbor(f.draw_ptr + s_off, f.draw_local, u,
                                    draw_key(pair_key(seed, i, j, kSide), u));
      } else if (kSide == 0) {
        const int64_t c = o.common_offsets[p] + rank;
        const int64_t* ps = f.nbr_ptr + s_off;
        const int64_t* po = f.nbr_ptr + o_off;
        o.common_i[c] = u;
        o.common_j[c] = v;
        o.weights[c] = sorted_jaccard(f.nbr_rank + ps[u], ps[u + 1] - ps[u],
                                      f.nbr_rank + po[v], po[v + 1] - po[v]);
      }
    }
    common_before += chunk_common;
  }
}

__global__ void __launch_bounds__(kBlock)
    fill_pairs_kernel(FlatGraphs f, const int64_t* pairs, int64_t P, uint64_t seed,
                      DeviceOutput o) {
  __shared__ typename Scan::TempStorage temp;
  for (int64_t p = blockIdx.x; p < P; p += gridDim.x) {
    const int64_t i = pairs[2 * p], j = pairs[2 * p + 1];
    walk_side<0>(f, o, temp, p, i, j, seed);
    walk_side<1>(f, o, temp, p, i, j, seed);
  }
}

// Appends one graph's CSR rows (all but the closing pointer) rebased onto `values`.
template <class T>
void append_rows(std::vector<int64_t>& ptr, std::vector<T>& values,
                 const std::vector<int64_t>& graph_ptr, const std::vector<T>& graph_values,
                 int64_t n) {
  const int64_t base = static_cast<int64_t>(values.size());
  for (int64_t u = 0; u < n; ++u) ptr.push_back(base + graph_ptr[u]);
  values.insert(values.end(), graph_values.begin(), graph_values.end());
}

}  // namespace

PackedOverlaps pair_overlaps_cuda(const std::vector<GraphView>& graphs, uint64_t seed) {
  const PreparedCollection prepared = prepare_graphs(graphs);
  const std::vector<PreparedGraph>& g = prepared.graphs;
  const int64_t T = static_cast<int64_t>(g.size()), P = pair_count(T);

  PackedOverlaps out;
  out.pairs = lexicographic_pairs(T);
  if (P == 0) {  // no pair: nothing to launch, and the device is never touched
    out.common_offsets = out.diff_i_offsets = out.diff_j_offsets = {0};
    return out;
  }

  std::vector<int64_t> gene_off(T + 1, 0);
  for (int64_t k = 0; k < T; ++k) gene_off[k + 1] = gene_off[k] + g[k].n;
  std::vector<int64_t> gene_ids, sorted_ids, sorted_local, nbr_ptr, draw_ptr, draw_local;
  std::vector<int32_t> nbr_rank;
  for (int64_t k = 0; k < T; ++k) {
    gene_ids.insert(gene_ids.end(), graphs[k].gene_ids, graphs[k].gene_ids + g[k].n);
    sorted_ids.insert(sorted_ids.end(), g[k].sorted_gene_ids.begin(), g[k].sorted_gene_ids.end());
    sorted_local.insert(sorted_local.end(), g[k].sorted_local.begin(), g[k].sorted_local.end());
    append_rows(nbr_ptr, nbr_rank, g[k].nbr_ptr, g[k].nbr_rank, g[k].n);
    append_rows(draw_ptr, draw_local, g[k].draw_ptr, g[k].draw_local, g[k].n);
  }
  nbr_ptr.push_back(static_cast<int64_t>(nbr_rank.size()));
  draw_ptr.push_back(static_cast<int64_t>(draw_local.size()));

  const DeviceArray<int64_t> d_gene_off(gene_off), d_gene_ids(gene_ids),
      d_sorted_ids(sorted_ids), d_sorted_local(sorted_local), d_nbr_ptr(nbr_ptr),
      d_draw_ptr(draw_ptr), d_draw_local(draw_local), d_pairs(out.pairs);
  const DeviceArray<int32_t> d_nbr_rank(nbr_rank);
  const FlatGraphs flat{d_gene_off.get(),   d_gene_ids.get(), d_sorted_ids.get(),
                        d_sorted_local.get(), d_nbr_ptr.get(),  d_nbr_rank.get(),
                        d_draw_ptr.get(),     d_draw_local.get()};
  // Blocks stride over the pairs, so any P fits the grid limit.
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(P, INT_MAX));

  // Pass 1: sizes, so that pass 2 writes straight into the packed arrays.
  std::vector<int64_t> n_common;
  {
    const DeviceArray<int64_t> d_n_common(static_cast<size_t>(P));
    count_common_kernel<<<blocks, kBlock>>>(flat, d_pairs.get(), P, d_n_common.get());
    check(cudaGetLastError(), "count_common_kernel launch");
    check(cudaDeviceSynchronize(), "count_common_kernel");
    d_n_common.copy_to(n_common);
  }
  std::vector<int64_t> n_diff_i(P), n_diff_j(P);
  for (int64_t p = 0; p < P; ++p) {
    n_diff_i[p] = g[out.pairs[2 * p]].n - n_common[p];
    n_diff_j[p] = g[out.pairs[2 * p + 1]].n - n_common[p];
  }
  out.common_offsets = exclusive_offsets(n_common);
  out.diff_i_offsets = exclusive_offsets(n_diff_i);
  out.diff_j_offsets = exclusive_offsets(n_diff_j);

  // Pass 2: the packed arrays.
  const size_t n_c = static_cast<size_t>(out.common_offsets[P]);
  const size_t n_di = static_cast<size_t>(out.diff_i_offsets[P]);
  const size_t n_dj = static_cast<size_t>(out.diff_j_offsets[P]);
  const DeviceArray<int64_t> d_common_offsets(out.common_offsets),
      d_diff_i_offsets(out.diff_i_offsets), d_diff_j_offsets(out.diff_j_offsets);
  const DeviceArray<int64_t> d_common_i(n_c), d_common_j(n_c), d_diff_i(n_di),
      d_diff_i_neighbor(n_di), d_diff_j(n_dj), d_diff_j_neighbor(n_dj);
  const DeviceArray<double> d_weights(n_c);
  const DeviceOutput o{d_common_offsets.get(), d_diff_i_offsets.get(), d_diff_j_offsets.get(),
                       d_common_i.get(),       d_common_j.get(),       d_diff_i.get(),
                       d_diff_i_neighbor.get(), d_diff_j.get(),        d_diff_j_neighbor.get(),
                       d_weights.get()};
  fill_pairs_kernel<<<blocks, kBlock>>>(flat, d_pairs.get(), P, seed, o);
  check(cudaGetLastError(), "fill_pairs_kernel launch");
  check(cudaDeviceSynchronize(), "fill_pairs_kernel");
  d_common_i.copy_to(out.common_i);
  d_common_j.copy_to(out.common_j);
  d_weights.copy_to(out.weights);
  d_diff_i.copy_to(out.diff_i);
  d_diff_i_neighbor.copy_to(out.diff_i_neighbor);
  d_diff_j.copy_to(out.diff_j);
  d_diff_j_neighbor.copy_to(out.diff_j_neighbor);
  return out;
}

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // no driver or no device: clear the error, report none
    return 0;
  }
  return count;
}

}  // namespace dglgene
