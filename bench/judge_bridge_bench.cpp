// The cost of judging through the bridge, per delivered message: exercise 01's reference counter
// handling N increments and one get on CAF's deterministic scheduler, in this process (the
// baseline: how specs ran before the judge) and through a stand-in whose every handler runs in the
// subject process (subject01, the same reference file). Both in one run; prints the median and
// min-max of --repeat runs, in microseconds per message, and the ratio.
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
                      std::int64_t messages) {
  deterministic_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto started = std::chrono::steady_clock::now();
  auto counter = spawn(sys);
  for (std::int64_t i = 0; i < messages; ++i)
    caf::anon_send(counter, lost_update::inc_atom::value);
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
  std::cout << std::left << std::setw(34) << name << std::right << std::fixed
            << std::setprecision(2) << std::setw(9) << us[us.size() / 2] << " us/msg  ("
            << us.front() << "-" << us.back() << ")\n";
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
  std::vector<double> local, bridged;
  for (int r = 0; r < repeat; ++r) {
    local.push_back(per_message_us(lost_update::spawn_counter, messages));
    bridged.push_back(per_message_us(
        [](caf::actor_system& sys) {
          return dca::bridge::spawn_stand_in(sys, "counter", caf::make_message());
        },
        messages));
  }
  std::cout << messages << " increments + 1 get, deterministic scheduler, median (min-max) of "
            << repeat << " runs\n";
  report("in process (baseline)", local);
  report("through the bridge (subject01)", bridged);
  std::sort(local.begin(), local.end());
  std::sort(bridged.begin(), bridged.end());
  std::cout << "ratio: " << std::setprecision(1)
            << bridged[bridged.size() / 2] / local[local.size() / 2] << "x\n";
}
