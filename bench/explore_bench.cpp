// The thread explorer's overhead: one program (N threads, each adding to a shared total K times
// with dca::shared::fetch_add) run plainly on std::threads and explored with PCT, in the same run.
// Prints the time of one plain run next to the time per explored schedule, for 2, 10 and 100
// threads by default. The explorer runs one thread at a time and hands a baton over at every
// operation, so the ratio is the price of choosing every interleaving.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dca/explore/explorer.hpp"
#include "dca/shared.hpp"

namespace po = boost::program_options;
using clock_type = std::chrono::steady_clock;

namespace {

/// The program as the explorer sees it: fresh state, `threads` bodies.
dca::explore::thread_execution_factory adders(int threads, int adds) {
  return [=] {
    auto total = std::make_shared<dca::shared<long>>("total", 0);
    dca::explore::thread_execution exec;
    for (int t = 0; t < threads; ++t)
      exec.threads.push_back({"T" + std::to_string(t), [total, adds] {
                                for (int i = 0; i < adds; ++i)
                                  total->fetch_add(1);
                              }});
    return exec;
  };
}

/// The same program on plain std::threads: the median wall time of `repeat` runs, in us.
double plain_run_us(int threads, int adds, int repeat) {
  std::vector<double> runs;
  for (int r = 0; r < repeat; ++r) {
    auto exec = adders(threads, adds)();
    auto t0 = clock_type::now();
    std::vector<std::thread> os;
    for (auto& body : exec.threads)
      os.emplace_back(body.run);
    for (auto& t : os)
      t.join();
    runs.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

/// PCT over the program: the wall time per explored schedule, in us.
double explored_schedule_us(int threads, int adds, std::uint64_t schedules) {
  dca::explore::options opts;
  opts.search = dca::explore::strategy::random;
  opts.pct_depth = 3;
  opts.schedules_max = schedules;
  opts.time_limit = std::chrono::minutes{10};
  auto r = dca::explore::explore_threads(adders(threads, adds), opts);
  return static_cast<double>(r.elapsed.count()) / static_cast<double>(r.schedules_explored);
}

} // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts{2, 10, 100};
  int adds = 15;
  std::uint64_t schedules = 20;
  int repeat = 21;
  po::options_description desc{"Usage: bench_explore [options]"};
  desc.add_options()("help,h", "show this help")("threads", po::value(&thread_counts)->multitoken(),
                                                 "thread counts to measure (2 10 100)")(
      "adds", po::value(&adds)->default_value(adds), "fetch_adds per thread")(
      "schedules", po::value(&schedules)->default_value(schedules), "PCT schedules per count")(
      "repeat", po::value(&repeat)->default_value(repeat), "plain runs per count (median)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "bench_explore: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return 0;
  }
  std::cout << "threads  steps  plain std::thread run  explored schedule (PCT)  overhead\n";
  for (int threads : thread_counts) {
    auto plain = plain_run_us(threads, adds, repeat);
    auto explored = explored_schedule_us(threads, adds, schedules);
    std::cout << std::setw(7) << threads << std::setw(7) << threads * adds << std::fixed
              << std::setprecision(1) << std::setw(19) << plain << " us" << std::setw(22)
              << explored << " us" << std::setw(9) << explored / plain << "x\n";
  }
  return 0;
}
