// dglgene._C_cuda: the CUDA kernels. Built by the host compiler; the CUDA code lives in
// pair_overlaps.cu behind the plain C++ declarations of pair_overlaps.cuh.
#include "numpy_bridge.hpp"
#include "pair_overlaps.cuh"

namespace py = pybind11;
using namespace dglgene;

namespace {

py::dict pair_overlaps(const std::vector<Int64Array>& indptrs,
                       const std::vector<Int64Array>& indices,
                       const std::vector<Int64Array>& gene_ids, uint64_t seed) {
  const std::vector<GraphView> views = graph_views(indptrs, indices, gene_ids);
  PackedOverlaps packed;
  {
    py::gil_scoped_release release;
    packed = pair_overlaps_cuda(views, seed);
  }
  return to_python(std::move(packed));
}

}  // namespace

PYBIND11_MODULE(_C_cuda, m) {
  m.doc() = "dglgene native CUDA kernels";
  m.def("pair_overlaps", &pair_overlaps, py::arg("indptrs"), py::arg("indices"),
        py::arg("gene_ids"), py::arg("seed") = 0,
        "Common/different genes, Jaccard weights and neighbour draws for all graph pairs, "
        "on the current CUDA device.");
  m.def("device_count", &cuda_device_count,
        "CUDA devices visible to this process (0 without a driver or device).");
}
