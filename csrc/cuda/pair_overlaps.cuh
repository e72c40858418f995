// The CUDA twin of pair_overlaps_cpu. Plain C++ declarations only: the pybind11 module
// that includes this header is compiled by the host compiler, not by nvcc.
#pragma once

#include <cstdint>
#include <vector>

#include "pair_overlaps.hpp"

namespace dglgene {

// Same contract and bit-identical output as pair_overlaps_cpu, computed on the current
// CUDA device. Bad input throws std::invalid_argument; CUDA failures std::runtime_error.
PackedOverlaps pair_overlaps_cuda(const std::vector<GraphView>& graphs, uint64_t seed);

// CUDA devices visible to this process; 0 (not an error) without a driver or device.
int cuda_device_count();

}  // namespace dglgene
