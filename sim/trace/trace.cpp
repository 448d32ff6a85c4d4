#include "sim/trace/trace.hpp"

#include <nlohmann/json.hpp>

#include <set>

namespace trainsim {

std::string op_label(const Op& op) {
  std::string s;
  switch (op.kind) {
    case OpKind::Compute:
      s = op.phase == Phase::Forward     ? "F"
          : op.phase == Phase::Backward  ? "B"
          : op.phase == Phase::Recompute ? "R"
                                         : "optimizer";
      break;
    case OpKind::Collective: return std::string(to_string(op.collective)) + " " + to_string(op.group);
    case OpKind::Send: s = op.phase == Phase::Forward ? "send act" : "send grad"; break;
    case OpKind::Recv: s = op.phase == Phase::Forward ? "recv act" : "recv grad"; break;
  }
  if (op.micro_batch >= 0) s += " mb" + std::to_string(op.micro_batch);
  if (op.chunk >= 0) s += " c" + std::to_string(op.chunk);
  return s;
}

TraceEvent trace_event(const Op& op, int rank, int index, double start, double end, double inner_comm) {
  TraceEvent e;
  e.rank = rank;
  e.op = index;
  e.kind = op.kind;
  e.stream = op.stream;
  e.phase = op.phase;
  e.micro_batch = op.micro_batch;
  e.chunk = op.chunk;
  e.start = start;
  e.end = end;
  e.bytes = op.kind == OpKind::Compute ? 0.0 : op.bytes;
  e.inner_comm = inner_comm;
  e.name = op_label(op);
  return e;
}

void write_chrome_trace(const Trace& t, std::ostream& out) {
  // Trace Event Format (Google, "Trace Event Format" doc): complete events "X" in microseconds.
  nlohmann::json events = nlohmann::json::array();
  std::set<int> ranks;
  for (const auto& e : t.events) ranks.insert(e.rank);
  for (int r : ranks) {
    events.push_back(
        {{"name", "process_name"}, {"ph", "M"}, {"pid", r}, {"args", {{"name", "rank " + std::to_string(r)}}}});
    for (int s = 0; s < kNumStreams; ++s)
      events.push_back({{"name", "thread_name"},
                        {"ph", "M"},
                        {"pid", r},
                        {"tid", s},
                        {"args", {{"name", to_string(static_cast<Stream>(s))}}}});
  }
  for (const auto& e : t.events) {
    nlohmann::json ev = {{"name", e.name},
                         {"cat", to_string(e.phase)},
                         {"ph", "X"},
                         {"pid", e.rank},
                         {"tid", static_cast<int>(e.stream)},
                         {"ts", e.start * 1e6},
                         {"dur", (e.end - e.start) * 1e6}};
    nlohmann::json args = {{"kind", to_string(e.kind)}};
    if (e.micro_batch >= 0) args["micro_batch"] = e.micro_batch;
    if (e.bytes > 0) args["bytes"] = e.bytes;
    if (e.inner_comm > 0) args["inline_comm_us"] = e.inner_comm * 1e6;
    ev["args"] = args;
    events.push_back(ev);
  }
  nlohmann::json doc = {{"traceEvents", events}, {"displayTimeUnit", "ms"}, {"otherData", {{"engine", t.engine}}}};
  out << doc.dump() << "\n";
}

}  // namespace trainsim
