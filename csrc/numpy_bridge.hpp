// NumPy <-> kernel glue shared by the CPU module (_C) and the CUDA module (_C_cuda).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <utility>
#include <vector>

#include "pair_overlaps.hpp"

namespace dglgene {
namespace py = pybind11;

using Int64Array = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;

inline std::vector<GraphView> graph_views(const std::vector<Int64Array>& indptrs,
                                          const std::vector<Int64Array>& indices,
                                          const std::vector<Int64Array>& gene_ids) {
  if (indptrs.size() != indices.size() || indptrs.size() != gene_ids.size())
    throw std::invalid_argument("indptrs, indices and gene_ids must have one array per graph");
  std::vector<GraphView> views;
  for (size_t k = 0; k < indptrs.size(); ++k) {
    if (indptrs[k].ndim() != 1 || indices[k].ndim() != 1 || gene_ids[k].ndim() != 1)
      throw std::invalid_argument("graph " + std::to_string(k) + ": arrays must be 1-D");
    views.push_back(GraphView{indptrs[k].data(), indices[k].data(), gene_ids[k].data(),
                              static_cast<int64_t>(indptrs[k].size()),
                              static_cast<int64_t>(gene_ids[k].size()),
                              static_cast<int64_t>(indices[k].size())});
  }
  return views;
}

// Hands a vector to NumPy without copying: the array owns it through a capsule.
template <class Vector>
py::array_t<typename Vector::value_type> to_numpy(Vector&& values) {
  using T = typename Vector::value_type;
  auto* owned = new Vector(std::move(values));
  py::capsule owner(owned, [](void* p) { delete static_cast<Vector*>(p); });
  return py::array_t<T>({static_cast<py::ssize_t>(owned->size())}, {sizeof(T)}, owned->data(),
                        owner);
}

inline py::dict to_python(PackedOverlaps&& o) {
  py::dict d;
  const auto n_pairs = static_cast<py::ssize_t>(o.pairs.size() / 2);
  d["pairs"] = to_numpy(std::move(o.pairs)).reshape({n_pairs, py::ssize_t{2}});
  d["common_offsets"] = to_numpy(std::move(o.common_offsets));
  d["common_i"] = to_numpy(std::move(o.common_i));
  d["common_j"] = to_numpy(std::move(o.common_j));
  d["weights"] = to_numpy(std::move(o.weights));
  d["diff_i_offsets"] = to_numpy(std::move(o.diff_i_offsets));
  d["diff_i"] = to_numpy(std::move(o.diff_i));
  d["diff_i_neighbor"] = to_numpy(std::move(o.diff_i_neighbor));
  d["diff_j_offsets"] = to_numpy(std::move(o.diff_j_offsets));
  d["diff_j"] = to_numpy(std::move(o.diff_j));
  d["diff_j_neighbor"] = to_numpy(std::move(o.diff_j_neighbor));
  return d;
}

}  // namespace dglgene
