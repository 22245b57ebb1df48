// dca::crdt against the plain containers it replaces, measured in one run: merge throughput of
// whole states and of single-change deltas, and encoded size per element, for the OR-Set next to
// a std::set union and for the counters next to an integer add. Prints the median of --repeat
// runs with the min-max, and each figure's ratio to its baseline.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "dca/crdt/codec.hpp"
#include "dca/crdt/g_counter.hpp"
#include "dca/crdt/or_set.hpp"
#include "dca/crdt/pn_counter.hpp"

namespace po = boost::program_options;
using namespace dca::crdt;

namespace {

using element = std::uint64_t;

/// Seconds per run of `body`, median and min-max over `repeat` runs.
struct timing {
  double median = 0;
  double min = 0;
  double max = 0;
};

timing measure(int repeat, const std::function<void()>& body) {
  std::vector<double> xs;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    body();
    xs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(xs.begin(), xs.end());
  return {xs[xs.size() / 2], xs.front(), xs.back()};
}

/// One line: `what`, `items` per second (median, min-max), and the ratio to `baseline`'s median.
void report(const std::string& what, double items, const timing& t, const timing* baseline) {
  // Four decimals below 0.1 M/s: an O(n) merge measures in thousands per second.
  auto rate = items / t.median / 1e6;
  std::cout << "  " << std::left << std::setw(46) << what << std::right << std::setw(12)
            << std::fixed << std::setprecision(rate < 0.1 ? 4 : 2) << rate << " M/s  ("
            << items / t.max / 1e6 << "-" << items / t.min / 1e6 << ")";
  if (baseline)
    std::cout << "  " << std::setprecision(3) << baseline->median / t.median << "x of baseline";
  std::cout << '\n';
}

volatile std::uint64_t sink; // keeps results alive so the optimiser cannot drop the work

void whole_state_merges(std::uint64_t n, int repeat) {
  // Two replicas' sets overlapping by half, as after a partition.
  or_set<element> a;
  or_set<element> b;
  std::set<element> plain_a;
  std::set<element> plain_b;
  for (element x = 0; x < n; ++x) {
    a.add("a", x);
    plain_a.insert(x);
    b.add("b", x + n / 2);
    plain_b.insert(x + n / 2);
  }
  std::cout << "whole-state merge, two sets of " << n << " elements (elements merged per second)\n";
  auto base = measure(repeat, [&] {
    auto u = plain_a;
    u.insert(plain_b.begin(), plain_b.end());
    sink = u.size();
  });
  auto crdt = measure(repeat, [&] {
    auto u = a;
    u.merge(b);
    sink = u.size();
  });
  report("std::set union (baseline)", 2.0 * n, base, nullptr);
  report("OR-Set merge", 2.0 * n, crdt, &base);
}

/// Seconds per run of `body` on a fresh copy of `start` (the copy is not timed), median and
/// min-max over `repeat` runs.
template <class State, class Body>
timing measure_on_copy(int repeat, const State& start, Body body) {
  std::vector<double> xs;
  for (int i = 0; i < repeat; ++i) {
    auto state = start;
    auto t0 = std::chrono::steady_clock::now();
    body(state);
    xs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    sink = state.size();
  }
  std::sort(xs.begin(), xs.end());
  return {xs[xs.size() / 2], xs.front(), xs.back()};
}

/// `k` single-add deltas (new elements, from another replica) merged into a replica that already
/// holds `n` elements, next to `k` inserts into a std::set of `n`: the cost per delta must not
/// grow with `n` faster than the set's does.
void delta_merges(std::uint64_t n, std::uint64_t k, int repeat) {
  or_set<element> replica;
  std::set<element> plain;
  for (element x = 0; x < n; ++x) {
    replica.add("a", x);
    plain.insert(x);
  }
  or_set<element> origin = replica;
  std::vector<or_set<element>> deltas;
  for (element x = n; x < n + k; ++x)
    deltas.push_back(origin.add("b", x));
  std::cout << "delta merge: " << k << " single-add deltas into a replica of " << n
            << " elements (per second)\n";
  auto base = measure_on_copy(repeat, plain, [&](std::set<element>& s) {
    for (element x = n; x < n + k; ++x)
      s.insert(x);
  });
  auto crdt = measure_on_copy(repeat, replica, [&](or_set<element>& s) {
    for (auto& d : deltas)
      s.merge(d);
  });
  report("std::set insert (baseline)", static_cast<double>(k), base, nullptr);
  report("OR-Set delta merge", static_cast<double>(k), crdt, &base);
}

void counter_merges(std::uint64_t n, int repeat) {
  std::cout << "counters: " << n << " increments shipped as deltas and merged (per second)\n";
  g_counter origin;
  std::vector<g_counter> deltas;
  pn_counter pn_origin;
  std::vector<pn_counter> pn_deltas;
  for (std::uint64_t i = 0; i < n; ++i) {
    deltas.push_back(origin.increment(i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c"));
    pn_deltas.push_back(i % 2 ? pn_origin.increment("a") : pn_origin.decrement("b"));
  }
  auto base = measure(repeat, [&] {
    std::uint64_t total = 0;
    for (std::uint64_t i = 0; i < n; ++i)
      total += sink & 1; // a real load per add, as the counters read their delta
    sink = total;
  });
  auto g = measure(repeat, [&] {
    g_counter c;
    for (auto& d : deltas)
      c.merge(d);
    sink = c.value();
  });
  auto pn = measure(repeat, [&] {
    pn_counter c;
    for (auto& d : pn_deltas)
      c.merge(d);
    sink = static_cast<std::uint64_t>(c.value());
  });
  report("integer add (baseline)", static_cast<double>(n), base, nullptr);
  report("G-Counter delta merge", static_cast<double>(n), g, &base);
  report("PN-Counter delta merge", static_cast<double>(n), pn, &base);
}

void state_sizes(std::uint64_t n) {
  std::cout << "encoded size per element (bytes; CAF binary encoding, as replicas ship it)\n";
  std::set<element> plain;
  or_set<element> one_writer;
  or_set<element> three_writers;
  const char* names[] = {"a", "b", "c"};
  for (element x = 0; x < n; ++x) {
    plain.insert(x);
    one_writer.add("a", x);
    three_writers.add(names[x % 3], x);
  }
  auto plain_bytes = dca::crdt::encode(plain).size();
  auto per = [n](std::size_t bytes) { return static_cast<double>(bytes) / static_cast<double>(n); };
  std::cout << std::setprecision(2) << "  std::set<uint64_t> (baseline)      " << per(plain_bytes)
            << '\n'
            << "  OR-Set, one writer                 " << per(encode(one_writer).size()) << '\n'
            << "  OR-Set, three writers              " << per(encode(three_writers).size()) << '\n';
  for (element x = 0; x < n; x += 2)
    three_writers.remove(x);
  std::cout << "  OR-Set, three writers, half removed " << per(encode(three_writers).size())
            << " per element added (removes leave no tombstone: the context stays compact)\n";
  g_counter g;
  g.increment("a", n);
  g.increment("b", n);
  g.increment("c", n);
  std::cout << "  G-Counter of 3 replicas: " << encode(g).size()
            << " bytes in all (an integer: 8)\n";
}

} // namespace

int main(int argc, char** argv) {
  std::uint64_t elements = 100'000;
  std::uint64_t deltas = 20'000;
  int repeat = 5;
  po::options_description desc{"bench_crdt options"};
  desc.add_options()("help", "this text")("elements", po::value(&elements)->default_value(elements),
                                          "elements per set")(
      "deltas", po::value(&deltas)->default_value(deltas),
      "single-add deltas merged into each replica")(
      "repeat", po::value(&repeat)->default_value(repeat), "runs per figure (median reported)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (std::exception& e) {
    std::cerr << "bench_crdt: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc;
    return 0;
  }
  if (elements < 200 || deltas < 1 || repeat < 1) {
    std::cerr << "bench_crdt: --elements must be at least 200 (the smaller replica is 1/100 of "
                 "it), --deltas and --repeat at least 1\n";
    return 2;
  }
  whole_state_merges(elements, repeat);
  // Two replica sizes, 100x apart: the per-delta cost stays flat where it was O(n) before.
  delta_merges(elements / 100, deltas, repeat);
  delta_merges(elements, deltas, repeat);
  counter_merges(elements, repeat);
  state_sizes(elements);
  return 0;
}
