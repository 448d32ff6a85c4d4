#include "models/storage/checkpoint_io.hpp"

#include <algorithm>

#include "models/util/errors.hpp"

namespace trainsim {

CheckpointIo checkpoint_io(const StorageSpec& s, double state_bytes, int nodes, int gpus, double d2h_bw_per_gpu,
                           bool async) {
  if (state_bytes < 0 || nodes < 1 || gpus < 1 || d2h_bw_per_gpu <= 0)
    throw InternalError("checkpoint_io: invalid arguments");
  CheckpointIo c;
  const double nic = nodes * s.client_nic_bw;
  if (s.source == DataSource::ParallelFs) {
    c.write_bw = std::min(s.pfs.aggregate_write_bw(), nic);
    c.read_bw = std::min(s.pfs.aggregate_read_bw(), nic);
  } else {
    // Object stores scale out behind the endpoint; each node is limited by its connections and NIC.
    const double per_node =
        std::min(s.client_nic_bw, s.object_store.connections_per_node * s.object_store.per_connection_bw);
    c.write_bw = c.read_bw = nodes * per_node;
  }
  c.write_s = c.write_bw > 0 ? state_bytes / c.write_bw : 0.0;
  c.restore_s = c.read_bw > 0 ? state_bytes / c.read_bw : 0.0;
  c.blocking_s = async ? (state_bytes / gpus) / d2h_bw_per_gpu : c.write_s;
  return c;
}

}  // namespace trainsim
