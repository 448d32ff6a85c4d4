#pragma once
// Data-loading time per iteration and the stall it causes. Demand = samples x bytes per sample
// (tokenised: tokens x bytes per token id; raw: encoded image/audio size). Supply comes from the
// node-local NVMe cache once the node's shard has been read once and fits, else from the data
// source (parallel FS or object store). With prefetching (a DataLoader with workers reading the
// next batches while the GPUs compute), loading overlaps compute:
//   stall = max(0, load - iteration_s);  without prefetch: stall = load.
#include <string>

#include "models/storage/storage_spec.hpp"

namespace trainsim {

struct DataLoadDemand {
  double samples_per_iteration = 0;  ///< global batch, samples
  double bytes_per_sample = 0;
  double samples_per_file = 1;  ///< 1 = one file per sample; large for packed shards
  double dataset_bytes = 0;     ///< whole data set (sharded evenly over the nodes)
  int epoch = 0;                ///< 0-based; from epoch 1 on a fitting shard comes from NVMe
  int nodes = 1;
  int readers_per_node = 8;  ///< concurrently read files per node (loader workers)
};

struct DataLoadResult {
  std::string tier;        ///< "parallel_fs", "nvme" or "object_store"
  double per_node_bw = 0;  ///< bytes/s one node can pull from that tier
  double transfer_s = 0;   ///< bytes per node / per_node_bw
  double overhead_s = 0;   ///< metadata opens (parallel FS) or request latency (object store)
  double load_s = 0;       ///< transfer_s + overhead_s
  double stall_s = 0;
};

double data_stall_s(double load_s, double iteration_s, bool prefetch);

/// Time to supply one iteration's samples and the resulting stall for an iteration whose GPU
/// work takes `iteration_s`.
DataLoadResult data_loading(const StorageSpec& s, const DataLoadDemand& d, double iteration_s, bool prefetch = true);

}  // namespace trainsim
