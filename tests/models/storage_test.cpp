// Storage and data loading: hand-worked stall and checkpoint times from the cited defaults
// (models/storage/storage_spec.cpp): DDN AI400X2 90 GB/s read / 65 GB/s write per appliance,
// one appliance per 32 nodes, 4 targets, stripe count 1, 50k opens/s, 400 Gb/s client NIC,
// 8 x 7 GB/s local NVMe of 30.72 TB, S3 100 ms latency and 85 MB/s per connection x 64.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "models/storage/checkpoint_io.hpp"
#include "models/storage/data_loading.hpp"
#include "models/storage/storage_spec.hpp"
#include "models/util/errors.hpp"

using namespace trainsim;
using ::testing::HasSubstr;

TEST(Storage, DefaultsSizing) {
  StorageSpec s = default_storage_spec(64);
  EXPECT_EQ(s.pfs.servers, 2);
  EXPECT_NEAR(s.pfs.aggregate_read_bw(), 180e9, 1);
  EXPECT_NEAR(s.pfs.aggregate_write_bw(), 130e9, 1);
  EXPECT_NEAR(s.pfs.per_file_read_bw(), 22.5e9, 1);  // 1 stripe x 90/4 GB/s
  EXPECT_NEAR(s.client_nic_bw, 50e9, 1);
  EXPECT_EQ(default_storage_spec(33).pfs.servers, 2);
  EXPECT_EQ(default_storage_spec(1).pfs.servers, 1);
}

// 4 nodes, 1 appliance: per node min(50 GB/s NIC, 90/4 = 22.5 GB/s share, 8 x 22.5 GB/s) = 22.5 GB/s.
// 1024 images of 2 MB, one file each: 512 MB per node -> 0.0227556 s; 1024 opens / 50,000/s =
// 0.02048 s; load 0.0432356 s. With a 0.03 s iteration and prefetch: stall 0.0132356 s.
TEST(DataLoading, ParallelFsStall) {
  StorageSpec s = default_storage_spec(4);
  DataLoadDemand d;
  d.samples_per_iteration = 1024;
  d.bytes_per_sample = 2e6;
  d.samples_per_file = 1;
  d.dataset_bytes = 1e12;
  d.epoch = 0;
  d.nodes = 4;
  DataLoadResult r = data_loading(s, d, 0.03, true);
  EXPECT_EQ(r.tier, "parallel_fs");
  EXPECT_NEAR(r.per_node_bw, 22.5e9, 1);
  EXPECT_NEAR(r.transfer_s, 0.0227556, 1e-6);
  EXPECT_NEAR(r.overhead_s, 0.02048, 1e-9);
  EXPECT_NEAR(r.load_s, 0.0432356, 1e-6);
  EXPECT_NEAR(r.stall_s, 0.0132356, 1e-6);
  EXPECT_NEAR(data_loading(s, d, 0.03, false).stall_s, 0.0432356, 1e-6);
  // Iteration longer than the load: fully hidden by prefetch.
  EXPECT_NEAR(data_loading(s, d, 0.05, true).stall_s, 0.0, 1e-12);
  // Epoch 1: the 250 GB shard per node fits the 30.72 TB NVMe -> 512 MB / 56 GB/s = 0.00914286 s.
  d.epoch = 1;
  DataLoadResult c = data_loading(s, d, 0.03, true);
  EXPECT_EQ(c.tier, "nvme");
  EXPECT_NEAR(c.load_s, 0.00914286, 1e-7);
  EXPECT_NEAR(c.stall_s, 0.0, 1e-12);
  // A data set too large for the caches stays on the parallel FS: 4 x 31 TB shards.
  d.dataset_bytes = 4 * 31e12;
  EXPECT_EQ(data_loading(s, d, 0.03, true).tier, "parallel_fs");
}

// Tokenised text: 1024 sequences x 4096 tokens x 4 bytes = 16.78 MB per iteration, packed 1e5
// sequences per shard file: negligible next to a 1 s iteration.
TEST(DataLoading, TokenisedTextNeverStalls) {
  StorageSpec s = default_storage_spec(128);
  DataLoadDemand d{1024, 4096 * 4.0, 1e5, 1e13, 0, 128, 8};
  DataLoadResult r = data_loading(s, d, 1.0, true);
  EXPECT_LT(r.load_s, 1e-3);
  EXPECT_NEAR(r.stall_s, 0.0, 1e-12);
}

// Object store, 2 nodes: per node min(50 GB/s, 64 x 85 MB/s = 5.44 GB/s) = 5.44 GB/s.
// 256 samples of 10 MB, 10 per object: 1.28 GB per node -> 0.235294 s; 12.8 GETs per node x 0.1 s
// / 64 connections = 0.02 s; load 0.255294 s; 0.2 s iteration -> stall 0.055294 s.
TEST(DataLoading, ObjectStore) {
  StorageSpec s = default_storage_spec(2);
  s.source = DataSource::ObjectStore;
  DataLoadDemand d{256, 10e6, 10, 1e12, 0, 2, 8};
  DataLoadResult r = data_loading(s, d, 0.2, true);
  EXPECT_EQ(r.tier, "object_store");
  EXPECT_NEAR(r.per_node_bw, 5.44e9, 1);
  EXPECT_NEAR(r.transfer_s, 0.235294, 1e-6);
  EXPECT_NEAR(r.overhead_s, 0.02, 1e-9);
  EXPECT_NEAR(r.stall_s, 0.055294, 1e-6);
}

// 70e9 parameters x 14 bytes (bf16 weights 2 + fp32 master 4 + Adam moments 8, Rajbhandari et al.
// 2020 "ZeRO" Sec. 3.1 without gradients) = 980 GB on 64 nodes / 512 GPUs:
// write min(130 GB/s, 64 x 50 GB/s) = 130 GB/s -> 7.53846 s; restore 180 GB/s -> 5.44444 s;
// async blocks only the D2H copy: 980e9/512 = 1.914 GB at 47 GB/s (H100 measured) = 0.0407247 s.
TEST(Checkpoint, WriteRestoreAsync) {
  StorageSpec s = default_storage_spec(64);
  CheckpointIo c = checkpoint_io(s, 980e9, 64, 512, 47e9, false);
  EXPECT_NEAR(c.write_bw, 130e9, 1);
  EXPECT_NEAR(c.write_s, 7.53846, 1e-5);
  EXPECT_NEAR(c.restore_s, 5.44444, 1e-5);
  EXPECT_NEAR(c.blocking_s, 7.53846, 1e-5);
  CheckpointIo a = checkpoint_io(s, 980e9, 64, 512, 47e9, true);
  EXPECT_NEAR(a.blocking_s, 0.0407247, 1e-6);
  EXPECT_NEAR(a.write_s, 7.53846, 1e-5);
  // NIC-limited: 2 nodes, 20 appliances (1.3 TB/s) -> 2 x 50 GB/s = 100 GB/s -> 9.8 s.
  s.pfs.servers = 20;
  EXPECT_NEAR(checkpoint_io(s, 980e9, 2, 16, 47e9, false).write_s, 9.8, 1e-9);
}

TEST(StorageJson, OnFabricDefaultsBySource) {
  auto parse = [](const char* text) {
    return parse_storage(JsonReader(nlohmann::json::parse(text), "<inline>", "$.cluster.storage"), 16);
  };
  EXPECT_TRUE(parse(R"({})").on_fabric);                           // parallel FS: servers on the InfiniBand fabric
  EXPECT_FALSE(parse(R"({"source": "object_store"})").on_fabric);  // front-end network
  EXPECT_FALSE(parse(R"({"source": "parallel_fs", "on_fabric": false})").on_fabric);
  EXPECT_TRUE(parse(R"({"source": "object_store", "on_fabric": true})").on_fabric);
  EXPECT_TRUE(default_storage_spec(16).on_fabric);
}

TEST(StorageJson, OverridesAndErrors) {
  nlohmann::json j = nlohmann::json::parse(R"({"source": "parallel_fs", "client_nic_gbps": 200,
      "parallel_fs": {"servers": 4, "stripe_count": 8}, "nvme": {"enabled": false},
      "object_store": {"request_latency_ms": 20}})");
  StorageSpec s = parse_storage(JsonReader(j, "<inline>", "$.cluster.storage"), 64);
  EXPECT_NEAR(s.client_nic_bw, 25e9, 1);
  EXPECT_EQ(s.pfs.servers, 4);
  EXPECT_NEAR(s.pfs.per_file_read_bw(), 8 * 22.5e9, 1);
  EXPECT_FALSE(s.nvme.enabled);
  EXPECT_NEAR(s.object_store.request_latency_s, 0.02, 1e-12);
  nlohmann::json bad = nlohmann::json::parse(R"({"parallel_fs": {"stripe_count": 0}})");
  try {
    parse_storage(JsonReader(bad, "<inline>", "$.cluster.storage"), 4);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.storage.parallel_fs.stripe_count"));
    EXPECT_THAT(e.what(), HasSubstr("an integer in [1,"));
  }
  nlohmann::json unk = nlohmann::json::parse(R"({"nvme": {"size_tb": 3}})");
  try {
    parse_storage(JsonReader(unk, "<inline>", "$.cluster.storage"), 4);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.cluster.storage.nvme.size_tb"));
  }
}
