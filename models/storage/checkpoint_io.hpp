#pragma once
// Checkpoint write and restore times from the state size (weights + optimizer state, bytes).
// Write bandwidth = min(aggregate storage write bandwidth, nodes x client NIC bandwidth); restore
// likewise with read bandwidth. With an asynchronous checkpoint (e.g. PyTorch DCP async_save,
// Megatron async checkpointing) only the GPU->host copy blocks training; the file write runs in
// the background and must finish before the next checkpoint starts.
#include "models/storage/storage_spec.hpp"

namespace trainsim {

struct CheckpointIo {
  double write_bw = 0;    ///< bytes/s
  double read_bw = 0;     ///< bytes/s
  double write_s = 0;     ///< state_bytes / write_bw
  double restore_s = 0;   ///< state_bytes / read_bw
  double blocking_s = 0;  ///< training time lost per checkpoint (write_s, or the D2H copy if async)
};

/// `d2h_bw_per_gpu`: device-to-host copy bandwidth per GPU (bytes/s; H100 pinned: 47 GB/s measured,
/// shared/reference/h100-measured.md). The state is assumed spread evenly over the GPUs.
CheckpointIo checkpoint_io(const StorageSpec& s, double state_bytes, int nodes, int gpus, double d2h_bw_per_gpu,
                           bool async);

}  // namespace trainsim
