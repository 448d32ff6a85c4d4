#pragma once
// MPI for the in-process tests: initialised once (singleton, no mpirun) for the whole binary.
#include <gtest/gtest.h>
#include <mpi.h>

namespace trainsim::hw::test {

class MpiEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(nullptr, nullptr);
  }
  void TearDown() override {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
  }
};

}  // namespace trainsim::hw::test
