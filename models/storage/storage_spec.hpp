#pragma once
// Storage a training job reads its data set from and writes its checkpoints to: a parallel file
// system (Lustre/BeeGFS-like: object storage servers with targets, a metadata server), a
// node-local NVMe cache, or an object store (S3-like). Defaults cited in storage_spec.cpp.
#include "models/util/json_reader.hpp"

namespace trainsim {

struct ParallelFsSpec {
  int servers = 0;                 ///< object storage servers (OSS / appliances)
  double read_bw_per_server = 0;   ///< bytes/s
  double write_bw_per_server = 0;  ///< bytes/s
  int targets_per_server = 0;      ///< storage targets (OSTs) per server; one stripe lives on one target
  int stripe_count = 0;            ///< targets one file is striped over
  double metadata_ops_per_s = 0;   ///< file opens/stats the metadata server sustains (whole FS)

  double aggregate_read_bw() const { return servers * read_bw_per_server; }
  double aggregate_write_bw() const { return servers * write_bw_per_server; }
  /// One file's read bandwidth: its stripes (at most the targets there are) x one target's share.
  double per_file_read_bw() const;
};

struct NvmeCacheSpec {
  bool enabled = true;
  double read_bw = 0;         ///< bytes/s per node
  double capacity_bytes = 0;  ///< per node
};

struct ObjectStoreSpec {
  double request_latency_s = 0;  ///< time to first byte of one GET/PUT
  double per_connection_bw = 0;  ///< bytes/s
  int connections_per_node = 0;
};

enum class DataSource { ParallelFs, ObjectStore };

struct StorageSpec {
  DataSource source = DataSource::ParallelFs;  ///< where the data set and checkpoints live
  double client_nic_bw = 0;                    ///< bytes/s per node toward storage
  /// Whether the storage traffic crosses the compute fabric (the SimGrid engine then simulates it
  /// there, docs/simgrid-engine.md#storage-traffic). Default: true for a parallel FS (Lustre/BeeGFS
  /// servers hang off the InfiniBand fabric, as in the DGX SuperPOD reference design), false for an
  /// object store (reached over a separate front-end Ethernet network).
  bool on_fabric = true;
  ParallelFsSpec pfs;
  NvmeCacheSpec nvme;
  ObjectStoreSpec object_store;
};

/// Cited defaults for a job of `nodes` nodes (one parallel-FS appliance per 32 nodes).
StorageSpec default_storage_spec(int nodes);

/// Reads the cluster's "storage" object over the defaults. Keys (all optional): source
/// ("parallel_fs" | "object_store"), on_fabric (default: source is parallel_fs), client_nic_gbps, parallel_fs {servers,
/// read_gbytes_per_s_per_server, write_gbytes_per_s_per_server, targets_per_server, stripe_count,
/// metadata_ops_per_s}, nvme {enabled, read_gbytes_per_s, capacity_tb}, object_store
/// {request_latency_ms, per_connection_mbytes_per_s, connections_per_node}.
StorageSpec parse_storage(const JsonReader& r, int nodes);

}  // namespace trainsim
