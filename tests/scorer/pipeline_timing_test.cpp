// The scorer's pipeline timing (sim/scorer/pipeline_timing.hpp): the extension past the warm-up
// against the step-by-step replay of the same steps at the full micro-batch count, on random stage
// costs (seeded), and the memo.
#include "sim/scorer/pipeline_timing.hpp"

#include <gtest/gtest.h>

#include <random>

namespace trainsim {
namespace {

PipelineInput random_input(std::mt19937_64& rng, ScheduleKind kind, int P, int V, bool blocking, bool last) {
  std::uniform_real_distribution<double> f(0.5, 1.5), send(0.0, 0.05), tail(1.0, 1.6);
  PipelineInput in;
  in.schedule = kind;
  in.stages = P;
  in.chunks = V;
  in.blocking_sends = blocking;
  for (int vs = 0; vs < P * V; ++vs) {
    in.fwd.push_back(f(rng));
    in.bwd.push_back(2 * f(rng));
    in.send_fwd.push_back(send(rng));
    in.send_bwd.push_back(send(rng));
    if (last) in.last_bwd.push_back(in.bwd.back() * tail(rng));
  }
  return in;
}

/// A model's pipeline: the inner stages alike, the first and last (embedding, output layer) heavier
/// by up to 10% in each pass.
PipelineInput model_like_input(std::mt19937_64& rng, int P, bool last) {
  std::uniform_real_distribution<double> f(0.5, 1.5), heavier(1.0, 1.1);
  PipelineInput in;
  in.stages = P;
  const double F = f(rng), B = 2 * f(rng), L = B * heavier(rng);
  for (int s = 0; s < P; ++s) {
    const bool edge = s == 0 || s == P - 1;
    in.fwd.push_back(edge ? F * heavier(rng) : F);
    in.bwd.push_back(edge ? B * heavier(rng) : B);
    if (last) in.last_bwd.push_back(edge ? in.bwd.back() * L / B * heavier(rng) : L);
    in.send_fwd.push_back(0.01);
    in.send_bwd.push_back(0.01);
  }
  return in;
}

// 1F1B with blocking sends, past the warm-up. A pipeline settles to its cycle (the busiest stage's
// forward and backward) over a few times its depth when its stages are nearly alike, so the
// extension from a run just past the warm-up is not exact: stages alike but for first and last
// stages heavier by up to 10% (a model's pipeline) come within 1.5% of the full replay in every
// stage's end; unlike stages (0.5x to 1.5x each) within 5% of its makespan.
TEST(PipelineTiming, OneFOneBExtensionIsTheReplay) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 200; ++trial) {
    const int P = 2 + static_cast<int>(rng() % 16);
    const int m = P + 4 + static_cast<int>(rng() % 60);
    const PipelineInput in = model_like_input(rng, P, trial % 2 == 1);
    const PipelineTimes fast = time_pipeline_steady(in, m), replay = time_pipeline(in, m);
    for (int p = 0; p < P; ++p)
      EXPECT_NEAR(fast.end[p], replay.end[p], 0.015 * replay.makespan) << "P=" << P << " m=" << m << " stage " << p;
  }
  for (int trial = 0; trial < 100; ++trial) {
    const int P = 3 + static_cast<int>(rng() % 10);
    const int m = P + static_cast<int>(rng() % 60);
    const PipelineInput in = random_input(rng, ScheduleKind::OneFOneB, P, 1, true, trial % 2 == 1);
    EXPECT_NEAR(time_pipeline_steady(in, m).makespan, time_pipeline(in, m).makespan,
                0.05 * time_pipeline(in, m).makespan)
        << "P=" << P << " m=" << m;
  }
}

// Past the warm-up each micro-batch adds one cycle: the extension from a short run matches the
// replay at the full count (interleaved, non-blocking sends and GPipe), within 0.5%.
TEST(PipelineTiming, ExtensionPastTheWarmUpIsTheReplay) {
  std::mt19937_64 rng(5);
  struct Case {
    ScheduleKind kind;
    int P, V, m;
    bool blocking;
  };
  const Case cases[] = {
      {ScheduleKind::Interleaved1F1B, 4, 2, 64, true},   {ScheduleKind::Interleaved1F1B, 8, 4, 96, false},
      {ScheduleKind::Interleaved1F1B, 16, 2, 128, true}, {ScheduleKind::OneFOneB, 8, 1, 100, false},
      {ScheduleKind::OneFOneB, 16, 1, 200, false},       {ScheduleKind::GPipe, 4, 1, 64, true}};
  for (const Case& c : cases) {
    const PipelineInput in = random_input(rng, c.kind, c.P, c.V, c.blocking, false);
    const PipelineTimes fast = time_pipeline_steady(in, c.m), replay = time_pipeline(in, c.m);
    EXPECT_TRUE(fast.extended) << to_string(c.kind) << " P=" << c.P;
    EXPECT_NEAR(fast.makespan, replay.makespan, 0.005 * replay.makespan) << to_string(c.kind) << " P=" << c.P;
  }
}

// A memoised timing is the timing of its input; another input gets its own.
TEST(PipelineTiming, MemoKeepsOneTimingPerInput) {
  std::mt19937_64 rng(3);
  PipelineInput a = random_input(rng, ScheduleKind::OneFOneB, 4, 1, true, false);
  PipelineInput b = a;
  b.bwd[2] *= 1.5;
  PipelineMemo memo;
  const double ta = memo.time(a, 16).makespan, tb = memo.time(b, 16).makespan;
  EXPECT_DOUBLE_EQ(ta, time_pipeline(a, 16).makespan);
  EXPECT_DOUBLE_EQ(tb, time_pipeline(b, 16).makespan);
  EXPECT_GT(tb, ta + 0.4);  // stage 2's backward is on the critical path 16 times
  EXPECT_DOUBLE_EQ(memo.time(a, 16).makespan, ta);
}

}  // namespace
}  // namespace trainsim
