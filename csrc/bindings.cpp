// dglgene._C: the CPU kernels. Inputs are validated here; the work runs without the GIL.
#include "graph_attention.hpp"
#include "numpy_bridge.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using namespace dglgene;

namespace {

int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Runs fn with OpenMP at num_threads (> 0; 0 keeps the default), without the GIL.
template <class Fn>
void with_threads(int num_threads, Fn&& fn) {
  py::gil_scoped_release release;
#ifdef _OPENMP
  const int previous = omp_get_max_threads();
  if (num_threads > 0) omp_set_num_threads(num_threads);
  try {
    fn();
  } catch (...) {
    omp_set_num_threads(previous);
    throw;
  }
  omp_set_num_threads(previous);
#else
  (void)num_threads;
  fn();
#endif
}

py::dict pair_overlaps(const std::vector<Int64Array>& indptrs,
                       const std::vector<Int64Array>& indices,
                       const std::vector<Int64Array>& gene_ids, uint64_t seed, int num_threads) {
  const std::vector<GraphView> views = graph_views(indptrs, indices, gene_ids);
  PackedOverlaps packed;
  with_threads(num_threads, [&] { packed = pair_overlaps_cpu(views, seed); });
  return to_python(std::move(packed));
}

template <class T>
using Array = py::array_t<T, py::array::c_style>;

EdgeGroups edge_groups(const Int64Array& indptr, const Int64Array& other,
                       const Int64Array& eid, int64_t n_edges) {
  if (indptr.ndim() != 1 || indptr.size() < 1 || other.size() != n_edges ||
      eid.size() != n_edges || indptr.at(indptr.size() - 1) != n_edges)
    throw std::invalid_argument("edge groups: indptr, other and eid do not describe the edges");
  return EdgeGroups{indptr.data(), other.data(), eid.data(),
                    static_cast<int64_t>(indptr.size()) - 1};
}

void check_rows(const py::array& a, int64_t rows, int64_t heads, int64_t dim, const char* name) {
  if (a.ndim() != 3 || a.shape(0) != rows || a.shape(1) != heads || a.shape(2) != dim)
    throw std::invalid_argument(std::string(name) + " has the wrong shape");
}

void check_edges(const py::array& a, int64_t n_edges, int64_t heads, const char* name) {
  if (a.ndim() != 2 || a.shape(0) != n_edges || a.shape(1) != heads)
    throw std::invalid_argument(std::string(name) + " has the wrong shape");
}

template <class T>
void attention_forward_py(const Int64Array& indptr, const Int64Array& src,
                          const Int64Array& eid, const Array<T>& q, const Array<T>& k,
                          const Array<T>& v, double scale, Array<T>& out, Array<T>& alpha,
                          int num_threads) {
  const int64_t heads = q.shape(1), dim = q.shape(2), n_edges = alpha.shape(0);
  const EdgeGroups in = edge_groups(indptr, src, eid, n_edges);
  check_rows(q, in.n_nodes, heads, dim, "q");
  check_rows(k, k.shape(0), heads, dim, "k");
  check_rows(v, k.shape(0), heads, dim, "v");
  check_rows(out, in.n_nodes, heads, dim, "out");
  check_edges(alpha, n_edges, heads, "alpha");
  T* o = out.mutable_data();
  T* a = alpha.mutable_data();
  with_threads(num_threads, [&] {
    attention_forward<T>(in, q.data(), k.data(), v.data(), heads, dim, static_cast<T>(scale),
                         o, a);
  });
}

template <class T>
void attention_backward_py(const Int64Array& in_indptr, const Int64Array& in_src,
                           const Int64Array& in_eid, const Int64Array& out_indptr,
                           const Int64Array& out_dst, const Int64Array& out_eid,
                           const Array<T>& q, const Array<T>& k, const Array<T>& v,
                           const Array<T>& alpha, const Array<T>& grad_out, double scale,
                           Array<T>& grad_q, Array<T>& grad_k, Array<T>& grad_v,
                           Array<T>& grad_score, int num_threads) {
  const int64_t heads = q.shape(1), dim = q.shape(2), n_edges = alpha.shape(0);
  const EdgeGroups in = edge_groups(in_indptr, in_src, in_eid, n_edges);
  const EdgeGroups out_edges = edge_groups(out_indptr, out_dst, out_eid, n_edges);
  check_rows(q, in.n_nodes, heads, dim, "q");
  check_rows(grad_out, in.n_nodes, heads, dim, "grad_out");
  check_rows(grad_q, in.n_nodes, heads, dim, "grad_q");
  check_rows(k, out_edges.n_nodes, heads, dim, "k");
  check_rows(v, out_edges.n_nodes, heads, dim, "v");
  check_rows(grad_k, out_edges.n_nodes, heads, dim, "grad_k");
  check_rows(grad_v, out_edges.n_nodes, heads, dim, "grad_v");
  check_edges(alpha, n_edges, heads, "alpha");
  check_edges(grad_score, n_edges, heads, "grad_score");
  T* gq = grad_q.mutable_data();
  T* gk = grad_k.mutable_data();
  T* gv = grad_v.mutable_data();
  T* gs = grad_score.mutable_data();
  with_threads(num_threads, [&] {
    attention_backward<T>(in, out_edges, q.data(), k.data(), v.data(), alpha.data(),
                          grad_out.data(), heads, dim, static_cast<T>(scale), gq, gk, gv, gs);
  });
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "dglgene native CPU kernels (C++17, OpenMP)";
  m.def("pair_overlaps", &pair_overlaps, py::arg("indptrs"), py::arg("indices"),
        py::arg("gene_ids"), py::arg("seed") = 0, py::arg("num_threads") = 0,
        "Common/different genes, Jaccard weights and neighbour draws for all graph pairs.");
  m.def("attention_forward", &attention_forward_py<float>);
  m.def("attention_forward", &attention_forward_py<double>,
        "The graph transformer layer's attention, fused per node (graph_attention.hpp).");
  m.def("attention_backward", &attention_backward_py<float>);
  m.def("attention_backward", &attention_backward_py<double>,
        "Gradients of attention_forward (graph_attention.hpp).");
  m.def("max_threads", &max_threads, "OpenMP threads a parallel region uses by default.");
#ifdef _OPENMP
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
}
