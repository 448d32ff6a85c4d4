#include "models/storage/data_loading.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim {

double data_stall_s(double load_s, double iteration_s, bool prefetch) {
  return prefetch ? std::max(0.0, load_s - iteration_s) : load_s;
}

DataLoadResult data_loading(const StorageSpec& s, const DataLoadDemand& d, double iteration_s, bool prefetch) {
  if (d.nodes < 1 || d.readers_per_node < 1 || d.samples_per_file <= 0 || d.samples_per_iteration < 0 ||
      d.bytes_per_sample < 0 || d.dataset_bytes < 0 || d.epoch < 0)
    throw InternalError("data_loading: invalid demand");
  DataLoadResult r;
  const double bytes_per_node = d.samples_per_iteration * d.bytes_per_sample / d.nodes;
  const double files_global = d.samples_per_iteration / d.samples_per_file;
  const double shard_bytes = d.dataset_bytes / d.nodes;

  if (s.nvme.enabled && d.epoch >= 1 && shard_bytes <= s.nvme.capacity_bytes) {
    // The first epoch copied the node's shard to local NVMe; local file opens are negligible.
    r.tier = "nvme";
    r.per_node_bw = s.nvme.read_bw;
  } else if (s.source == DataSource::ParallelFs) {
    // A node gets at most its NIC, its fair share of the servers, and what its concurrent
    // readers' stripes deliver; every file open is one metadata operation on the shared MDS.
    r.tier = "parallel_fs";
    r.per_node_bw =
        std::min({s.client_nic_bw, s.pfs.aggregate_read_bw() / d.nodes, d.readers_per_node * s.pfs.per_file_read_bw()});
    r.overhead_s = files_global / s.pfs.metadata_ops_per_s;
  } else {
    // Object store: throughput scales with connections up to the NIC; each GET pays the
    // first-byte latency, overlapped across the node's connections.
    r.tier = "object_store";
    const auto& o = s.object_store;
    r.per_node_bw = std::min(s.client_nic_bw, o.connections_per_node * o.per_connection_bw);
    r.overhead_s = (files_global / d.nodes) * o.request_latency_s / o.connections_per_node;
  }
  r.transfer_s = r.per_node_bw > 0 ? bytes_per_node / r.per_node_bw : 0.0;
  r.load_s = r.transfer_s + r.overhead_s;
  r.stall_s = data_stall_s(r.load_s, iteration_s, prefetch);
  return r;
}

}  // namespace trainsim
