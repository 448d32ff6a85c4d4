#include "models/storage/storage_spec.hpp"

#include <algorithm>

namespace trainsim {

namespace {
constexpr double GB = 1e9;
// Parallel FS server: DDN AI400X2 appliance, 90 GB/s read and 65 GB/s write per 2U appliance
// (DDN AI400X2 datasheet, 2022); the DGX SuperPOD reference storage. Sizing: one appliance per
// 32 nodes (one DGX SuperPOD scalable unit). Assumed sizing; set "servers" for a real system.
constexpr double kReadPerServer = 90 * GB;
constexpr double kWritePerServer = 65 * GB;
constexpr int kNodesPerServer = 32;
// Targets per server: 4 OSTs. Assumed (an appliance exports a few RAID-protected NVMe pools).
constexpr int kTargetsPerServer = 4;
// Stripe count 1: Lustre's default layout (Lustre Operations Manual, "Managing File Layout
// (Striping)": default stripe_count 1, stripe_size 1 MiB).
constexpr int kStripeCount = 1;
// Metadata: 50,000 opens/s. Assumed order of magnitude of mdtest file-open rates of one Lustre MDT
// on NVMe (tens of thousands per second, IO500 results 2022-2024).
constexpr double kMetadataOpsPerS = 50000;
// Client NIC: 400 Gb/s = 50 GB/s per node. DGX H100 datasheet: two dual-port ConnectX-7 adapters
// for storage and in-band management, "up to 400 Gb/s".
constexpr double kClientNicBw = 400e9 / 8;
// Node-local NVMe: DGX H100 datasheet, internal storage 8 x 3.84 TB NVMe U.2 (30.72 TB); read
// 8 x 7 GB/s (PCIe Gen4 x4 enterprise drives, e.g. Samsung PM1733 datasheet: 7,000 MB/s sequential).
constexpr double kNvmeReadBw = 8 * 7.0 * GB;
constexpr double kNvmeCapacity = 8 * 3.84e12;
// Object store: AWS S3 performance guidelines ("Performance design patterns for Amazon S3", 2024):
// small-object first-byte latency 100-200 ms; "one concurrent request for each 85-90 MB/s of
// desired network throughput". 64 connections per node assumed (8 loader workers x 8 streams).
constexpr double kObjLatencyS = 0.100;
constexpr double kObjPerConnBw = 85e6;
constexpr int kObjConnectionsPerNode = 64;
}  // namespace

double ParallelFsSpec::per_file_read_bw() const {
  const int targets = servers * targets_per_server;
  if (targets <= 0) return 0;
  return std::min(stripe_count, targets) * (read_bw_per_server / targets_per_server);
}

StorageSpec default_storage_spec(int nodes) {
  StorageSpec s;
  s.client_nic_bw = kClientNicBw;
  s.pfs.servers = std::max(1, (nodes + kNodesPerServer - 1) / kNodesPerServer);
  s.pfs.read_bw_per_server = kReadPerServer;
  s.pfs.write_bw_per_server = kWritePerServer;
  s.pfs.targets_per_server = kTargetsPerServer;
  s.pfs.stripe_count = kStripeCount;
  s.pfs.metadata_ops_per_s = kMetadataOpsPerS;
  s.nvme.read_bw = kNvmeReadBw;
  s.nvme.capacity_bytes = kNvmeCapacity;
  s.object_store.request_latency_s = kObjLatencyS;
  s.object_store.per_connection_bw = kObjPerConnBw;
  s.object_store.connections_per_node = kObjConnectionsPerNode;
  return s;
}

StorageSpec parse_storage(const JsonReader& r, int nodes) {
  r.reject_unknown({"source", "on_fabric", "client_nic_gbps", "parallel_fs", "nvme", "object_store"});
  StorageSpec s = default_storage_spec(nodes);
  if (auto src = r.opt_choice("source", {"parallel_fs", "object_store"}))
    s.source = *src == "object_store" ? DataSource::ObjectStore : DataSource::ParallelFs;
  // A parallel FS shares the compute fabric (its servers are InfiniBand clients of the same leaf
  // switches); an object store is reached over the front-end network.
  s.on_fabric = r.opt_boolean("on_fabric").value_or(s.source == DataSource::ParallelFs);
  if (auto g = r.opt_number("client_nic_gbps", 0.001, 1e5)) s.client_nic_bw = *g * 1e9 / 8;
  if (auto p = r.opt_object("parallel_fs")) {
    p->reject_unknown({"servers", "read_gbytes_per_s_per_server", "write_gbytes_per_s_per_server", "targets_per_server",
                       "stripe_count", "metadata_ops_per_s"});
    s.pfs.servers = static_cast<int>(p->opt_integer("servers", 1, 100000).value_or(s.pfs.servers));
    if (auto v = p->opt_number("read_gbytes_per_s_per_server", 0.001, 1e4)) s.pfs.read_bw_per_server = *v * GB;
    if (auto v = p->opt_number("write_gbytes_per_s_per_server", 0.001, 1e4)) s.pfs.write_bw_per_server = *v * GB;
    s.pfs.targets_per_server =
        static_cast<int>(p->opt_integer("targets_per_server", 1, 1024).value_or(s.pfs.targets_per_server));
    s.pfs.stripe_count = static_cast<int>(p->opt_integer("stripe_count", 1, 100000).value_or(s.pfs.stripe_count));
    s.pfs.metadata_ops_per_s = p->opt_number("metadata_ops_per_s", 1, 1e9).value_or(s.pfs.metadata_ops_per_s);
  }
  if (auto n = r.opt_object("nvme")) {
    n->reject_unknown({"enabled", "read_gbytes_per_s", "capacity_tb"});
    s.nvme.enabled = n->opt_boolean("enabled").value_or(s.nvme.enabled);
    if (auto v = n->opt_number("read_gbytes_per_s", 0.001, 1e4)) s.nvme.read_bw = *v * GB;
    if (auto v = n->opt_number("capacity_tb", 0, 1e6)) s.nvme.capacity_bytes = *v * 1e12;
  }
  if (auto o = r.opt_object("object_store")) {
    o->reject_unknown({"request_latency_ms", "per_connection_mbytes_per_s", "connections_per_node"});
    if (auto v = o->opt_number("request_latency_ms", 0, 1e5)) s.object_store.request_latency_s = *v / 1000;
    if (auto v = o->opt_number("per_connection_mbytes_per_s", 0.001, 1e6)) s.object_store.per_connection_bw = *v * 1e6;
    s.object_store.connections_per_node = static_cast<int>(
        o->opt_integer("connections_per_node", 1, 100000).value_or(s.object_store.connections_per_node));
  }
  return s;
}

}  // namespace trainsim
