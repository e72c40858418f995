// dglgene._C: the CPU kernels. Inputs are validated here; the work runs without the GIL.
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

py::dict pair_overlaps(const std::vector<Int64Array>& indptrs,
                       const std::vector<Int64Array>& indices,
                       const std::vector<Int64Array>& gene_ids, uint64_t seed, int num_threads) {
  const std::vector<GraphView> views = graph_views(indptrs, indices, gene_ids);
  PackedOverlaps packed;
  {
    py::gil_scoped_release release;
#ifdef _OPENMP
    const int previous = omp_get_max_threads();
    if (num_threads > 0) omp_set_num_threads(num_threads);
    try {
      packed = pair_overlaps_cpu(views, seed);
    } catch (...) {
      omp_set_num_threads(previous);
      throw;
    }
    omp_set_num_threads(previous);
#else
    (void)num_threads;
    packed = pair_overlaps_cpu(views, seed);
#endif
  }
  return to_python(std::move(packed));
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "dglgene native CPU kernels (C++17, OpenMP)";
  m.def("pair_overlaps", &pair_overlaps, py::arg("indptrs"), py::arg("indices"),
        py::arg("gene_ids"), py::arg("seed") = 0, py::arg("num_threads") = 0,
        "Common/different genes, Jaccard weights and neighbour draws for all graph pairs.");
  m.def("max_threads", &max_threads, "OpenMP threads a parallel region uses by default.");
#ifdef _OPENMP
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
}
