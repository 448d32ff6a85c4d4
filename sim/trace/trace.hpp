#pragma once
// Trace: what an execution (predicted or measured) did — per rank, per op, start and end — and
// the observer interface engines report through. Every backend produces this same type, so the
// metrics code and comparisons are shared (docs/architecture.md).
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/plan/plan.hpp"

namespace trainsim {

struct TraceEvent {
  int rank = 0;
  int op = -1;  ///< index in the rank's stage program (-1: not a plan op)
  OpKind kind = OpKind::Compute;
  Stream stream = Stream::Compute;
  Phase phase = Phase::Forward;
  int micro_batch = -1, chunk = -1;
  double start = 0, end = 0;  ///< seconds from the iteration start
  double bytes = 0;           ///< bytes moved by a communication op
  double inner_comm = 0;      ///< seconds of a compute block spent in inline TP/CP/EP collectives
  std::string name;
};

/// Subscribers to an engine's execution (trace writers, power accounting, link statistics).
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  virtual void on_op_finished(const TraceEvent& e) = 0;
  /// Bytes that crossed a link of a given class (engines that model links report this).
  virtual void on_link_bytes(const std::string& link_class, double bytes) {}
};

/// Storage traffic the SimGrid engine simulated on the fabric next to the training flows, when the
/// cluster's storage sits on it (docs/simgrid-engine.md#storage-traffic); `simulated` is false for
/// every other engine and configuration.
struct StorageTraffic {
  bool simulated = false;
  int servers = 0;                            ///< storage-server endpoints attached to the fabric
  double load_bytes = 0;                      ///< data loading of one iteration, whole job
  double load_s = 0;                          ///< end of the last data-loading flow (from iteration start)
  double checkpoint_bytes = 0;                ///< checkpoint written during the iteration (0: none)
  double checkpoint_s = 0;                    ///< end of the last checkpoint flow
  double iteration_time_without_storage = 0;  ///< the same simulation without storage flows
};

struct Trace {
  std::string engine;
  std::vector<TraceEvent> events;
  double iteration_time = 0;
  /// Ranks the trace covers (the analytic engine traces one representative rank per stage).
  std::vector<int> ranks;
  StorageTraffic storage;  ///< storage flows simulated alongside (SimGrid engine only)
};

/// Records every finished op into a Trace.
class TraceRecorder : public ExecutionObserver {
 public:
  explicit TraceRecorder(Trace& t) : trace_(t) {}
  void on_op_finished(const TraceEvent& e) override { trace_.events.push_back(e); }

 private:
  Trace& trace_;
};

/// Chrome trace JSON (one process per rank, one thread per stream), opened by Perfetto.
void write_chrome_trace(const Trace& t, std::ostream& out);

/// The trace event of plan op `index` of `rank` that ran over [start, end); `inner_comm` is the
/// part of a compute block spent in inline collectives. Every backend records ops through this.
TraceEvent trace_event(const Op& op, int rank, int index, double start, double end, double inner_comm = 0.0);

/// Human-readable name of an op ("F mb3 c0", "B mb3 c1", "allreduce dp", ...).
std::string op_label(const Op& op);

}  // namespace trainsim
