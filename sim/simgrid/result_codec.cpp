#include "sim/simgrid/result_codec.hpp"

#include <cstring>
#include <type_traits>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
struct Writer {
  std::string b;
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    b.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    put<std::uint64_t>(s.size());
    b.append(s);
  }
};
struct Reader {
  const std::string& b;
  size_t pos = 0;
  template <class T>
  T get() {
    T v;
    if (pos + sizeof v > b.size()) throw InternalError("simgrid engine: truncated result from the child process");
    std::memcpy(&v, b.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string str() {
    const auto n = get<std::uint64_t>();
    if (pos + n > b.size()) throw InternalError("simgrid engine: truncated result from the child process");
    std::string s = b.substr(pos, n);
    pos += n;
    return s;
  }
};
}  // namespace

std::string encode_result(const SimResult& r) {
  Writer w;
  w.put<std::uint64_t>(r.flows);
  w.put<int>(r.fold);
  w.put<std::uint64_t>(r.traces.size());
  for (const auto& t : r.traces) {
    w.str(t.engine);
    w.put(t.iteration_time);
    w.put<std::uint64_t>(t.ranks.size());
    for (int x : t.ranks) w.put(x);
    w.put<std::uint64_t>(t.events.size());
    for (const auto& e : t.events) {
      w.put(e.rank);
      w.put(e.op);
      w.put(e.kind);
      w.put(e.stream);
      w.put(e.phase);
      w.put(e.micro_batch);
      w.put(e.chunk);
      w.put(e.start);
      w.put(e.end);
      w.put(e.bytes);
      w.put(e.inner_comm);
      w.str(e.name);
    }
  }
  w.put(r.links.horizon);
  w.put<std::uint64_t>(r.links.classes.size());
  for (const auto& c : r.links.classes) {
    w.str(c.cls);
    w.put(c.links);
    w.put(c.bytes);
    w.put(c.peak_util);
    w.put(c.mean_util);
  }
  w.put<std::uint64_t>(r.links.top.size());
  for (const auto& l : r.links.top) {
    w.str(l.name);
    w.str(l.cls);
    w.put(l.bytes);
    w.put(l.peak_util);
    w.put(l.mean_util);
  }
  w.put(r.storage);
  return std::move(w.b);
}

SimResult decode_result(const std::string& buf) {
  Reader rd{buf};
  SimResult r;
  r.flows = rd.get<std::uint64_t>();
  r.fold = rd.get<int>();
  r.traces.resize(rd.get<std::uint64_t>());
  for (auto& t : r.traces) {
    t.engine = rd.str();
    t.iteration_time = rd.get<double>();
    t.ranks.resize(rd.get<std::uint64_t>());
    for (int& x : t.ranks) x = rd.get<int>();
    t.events.resize(rd.get<std::uint64_t>());
    for (auto& e : t.events) {
      e.rank = rd.get<int>();
      e.op = rd.get<int>();
      e.kind = rd.get<OpKind>();
      e.stream = rd.get<Stream>();
      e.phase = rd.get<Phase>();
      e.micro_batch = rd.get<int>();
      e.chunk = rd.get<int>();
      e.start = rd.get<double>();
      e.end = rd.get<double>();
      e.bytes = rd.get<double>();
      e.inner_comm = rd.get<double>();
      e.name = rd.str();
    }
  }
  r.links.horizon = rd.get<double>();
  r.links.classes.resize(rd.get<std::uint64_t>());
  for (auto& c : r.links.classes) {
    c.cls = rd.str();
    c.links = rd.get<int>();
    c.bytes = rd.get<double>();
    c.peak_util = rd.get<double>();
    c.mean_util = rd.get<double>();
  }
  r.links.top.resize(rd.get<std::uint64_t>());
  for (auto& l : r.links.top) {
    l.name = rd.str();
    l.cls = rd.str();
    l.bytes = rd.get<double>();
    l.peak_util = rd.get<double>();
    l.mean_util = rd.get<double>();
  }
  r.storage = rd.get<StorageTraffic>();
  if (rd.pos != buf.size()) throw InternalError("simgrid engine: trailing bytes in the child's result");
  return r;
}

}  // namespace trainsim
