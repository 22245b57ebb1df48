// The cost of judging through the bridge, per delivered message: exercise 01's reference counter
// handling N increments and one get on CAF's deterministic scheduler, in this process (the
// baseline: how specs ran before the judge) and through a stand-in whose every handler runs in the
// subject process (subject01, the same reference file). Each two ways: the increments queued
// before the counter runs (a stand-in hands the subject up to 64 waiting messages per frame), and
// one at a time (each delivered before the next is sent: one frame per message, the bridge's cost
// before batching). All in one run; prints the median and min-max of --repeat runs, in
// microseconds per message, and the ratios.
// bench_judge_bridge --subject build/dev/exercises/subject01 [--messages N] [--repeat R]
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <iostream>
#include <vector>

#include "caf/all.hpp"
#include "caf/scheduler/test_coordinator.hpp"

#include "dca/bridge/stand_in.hpp"
#include "scenario.hpp"

namespace po = boost::program_options;

namespace {

struct deterministic_config : caf::actor_system_config {
  deterministic_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
  }
};

/// Microseconds per message for `messages` increments and one get to the counter `spawn` makes;
/// checks the count, so a bridge that lost a message cannot look fast.
double per_message_us(const std::function<caf::actor(caf::actor_system&)>& spawn,
                      std::int64_t messages, bool one_at_a_time) {
  deterministic_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto started = std::chrono::steady_clock::now();
  auto counter = spawn(sys);
  for (std::int64_t i = 0; i < messages; ++i) {
    caf::anon_send(counter, lost_update::inc_atom::value);
    if (one_at_a_time)
      sched.run();
  }
  std::int64_t count = -1;
  sys.spawn([&](caf::event_based_actor* self) {
    self->request(counter, caf::infinite, lost_update::get_atom::value).then([&](std::int64_t n) {
      count = n;
    });
  });
  sched.run();
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (count != messages) {
    std::cerr << "the counter says " << count << ", expected " << messages << "\n";
    std::exit(1);
  }
  caf::anon_send_exit(counter, caf::exit_reason::kill);
  sched.run();
  return std::chrono::duration<double, std::micro>(elapsed).count() /
         static_cast<double>(messages + 1);
}

void report(const char* name, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::cout << std::left << std::setw(38) << name << std::right << std::fixed
            << std::setprecision(2) << std::setw(9) << us[us.size() / 2] << " us/msg  ("
            << us.front() << "-" << us.back() << ")\n";
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::int64_t messages = 20'000;
  int repeat = 5;
  std::string subject;
  po::options_description desc{"bench_judge_bridge options"};
  desc.add_options()("help", "this help")("subject", po::value(&subject)->required(),
                                          "the subject program (build/dev/exercises/subject01)")(
      "messages", po::value(&messages), "increments per run (20,000)")("repeat", po::value(&repeat),
                                                                       "runs of each (5)");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  po::notify(vm);
  setenv("DCA_SUBJECT", subject.c_str(), 1);
  using spawn_fn = std::function<caf::actor(caf::actor_system&)>;
  spawn_fn in_process = lost_update::spawn_counter;
  spawn_fn through_bridge = [](caf::actor_system& sys) {
    return dca::bridge::spawn_stand_in(sys, "counter", caf::make_message());
  };
  std::vector<double> local, bridged, local_single, bridged_single;
  for (int r = 0; r < repeat; ++r) {
    local.push_back(per_message_us(in_process, messages, false));
    bridged.push_back(per_message_us(through_bridge, messages, false));
    local_single.push_back(per_message_us(in_process, messages, true));
    bridged_single.push_back(per_message_us(through_bridge, messages, true));
  }
  std::cout << messages << " increments + 1 get, deterministic scheduler, median (min-max) of "
            << repeat << " runs\n";
  report("in process, queued (baseline)", local);
  report("bridge, queued (batched)", bridged);
  report("in process, one at a time", local_single);
  report("bridge, one at a time (a frame each)", bridged_single);
  std::cout << "ratio to in process, queued: " << std::setprecision(1)
            << median(bridged) / median(local)
            << "x; one at a time: " << median(bridged_single) / median(local_single)
            << "x; batching saves: " << median(bridged_single) / median(bridged) << "x\n";
}
