// Receive timeouts carried by the judge: a learner's actor whose behaviour has one (`after`) runs
// in the subject behind a stand-in that has the same timeout on the judge's clock. Under CAF's
// deterministic scheduler, on virtual time, it must say the same things at the same times as the
// same actor in process: a timeout a message resets, one its handler changes, one it drops.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scheduler/test_coordinator.hpp"
#include "caf/send.hpp"

#include "dca/bridge/stand_in.hpp"
#include "dca/explore/actor_explorer.hpp"

#include "idler.hpp"

namespace {

using namespace std::chrono_literals;

struct testing_config : caf::actor_system_config {
  testing_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
  }
};

/// Makes the actor under test in `sys`, reporting to `report`.
using maker = std::function<caf::actor(caf::actor_system&, caf::actor report)>;

/// One virtual-time run: what the actor `make` makes reported, "MS TEXT" each (virtual
/// milliseconds since its start), joined by "; ". Time moves in 10 ms steps, every job run at each;
/// ints are sent at 60 ms and at 700 ms.
std::string trace_of(const maker& make) {
  testing_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto start = sched.clock().now();
  auto trace = std::make_shared<std::vector<std::string>>();
  auto report = sys.spawn([trace, start](caf::event_based_actor* self) -> caf::behavior {
    return {[=](const std::string& said) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() - start);
      trace->push_back(std::to_string(ms.count()) + " " + said);
    }};
  });
  auto actor = make(sys, report);
  sched.run();
  for (auto t = 10ms; t <= 1500ms; t += 10ms) {
    sched.advance_time(10ms);
    if (t == 60ms || t == 700ms)
      caf::anon_send(actor, static_cast<int>(t.count()));
    sched.run();
  }
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(report, caf::exit_reason::user_shutdown);
  sched.run();
  std::string joined;
  for (const auto& line : *trace)
    joined += (joined.empty() ? "" : "; ") + line;
  return joined;
}

caf::actor in_process(caf::actor_system& sys, caf::actor report) {
  return sys.spawn(dca::judge_test::idler, std::move(report));
}

caf::actor judged(caf::actor_system& sys, caf::actor report) {
  return dca::bridge::spawn_stand_in(sys, "idler", caf::make_message(std::move(report)));
}

} // namespace

TEST_CASE("an idle timeout a message resets fires in process at the virtual times CAF gives it") {
  // Armed at 0 for 100 ms, reset at 60 by a message: first idle at 160, then 250 ms apart; the
  // third drops the timeout, so after the int at 700 nothing more comes.
  CHECK(trace_of(in_process) == "60 got 60; 160 idle 1; 410 idle 2; 660 idle 3; 700 got 700");
}

TEST_CASE("a learner's receive timeout fires judged exactly as in process") {
  CHECK(trace_of(judged) == trace_of(in_process));
}

TEST_CASE("a learner's receive timeout is on the judge's clock: it fires only when time moves") {
  testing_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto said = std::make_shared<std::vector<std::string>>();
  auto report = sys.spawn([said](caf::event_based_actor*) -> caf::behavior {
    return {[=](const std::string& s) { said->push_back(s); }};
  });
  auto actor = judged(sys, report);
  sched.run();
  CHECK(sched.advance_time(99ms) == 0);
  sched.run();
  CHECK(said->empty());
  CHECK(sched.advance_time(1ms) == 1);
  sched.run();
  REQUIRE(said->size() == 1);
  CHECK(said->front() == "idle 1");
  caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(report, caf::exit_reason::user_shutdown);
  sched.run();
}

namespace {

/// Every trace the explorer's schedules give, "MS TEXT" joined by "; ", of the actor `make` makes
/// while two others each send it an int at their start-up: which int comes first is the
/// schedule's choice; the timeouts fire on the explorer's virtual time once nothing else is left.
std::set<std::string> explored_traces(const maker& make) {
  std::set<std::string> traces;
  dca::explore::options opts;
  opts.preemptions_max = 2;
  auto r = dca::explore::explore_actors(
      [&] {
        auto trace = std::make_shared<std::string>();
        dca::explore::actor_execution run;
        run.start = [trace, &make](dca::explore::actor_world& world) {
          auto& sys = world.system();
          auto start = sys.clock().now();
          auto report = sys.spawn([trace, start](caf::event_based_actor* self) -> caf::behavior {
            return {[=](const std::string& said) {
              auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self->clock().now() -
                                                                              start);
              *trace += (trace->empty() ? "" : "; ") + std::to_string(ms.count()) + " " + said;
            }};
          });
          auto actor = make(sys, report);
          for (int x : {1, 2})
            sys.spawn([actor, x](caf::event_based_actor* self) { self->send(actor, x); });
        };
        run.check = [trace, &traces](dca::explore::actor_world&) -> std::optional<std::string> {
          traces.insert(*trace);
          return std::nullopt;
        };
        return run;
      },
      opts);
  CHECK(r.result == dca::explore::outcome::clean);
  return traces;
}

} // namespace

TEST_CASE("under the explorer a learner's receive timeouts fire judged as in process") {
  auto in_process_traces = explored_traces(in_process);
  CHECK(in_process_traces ==
        std::set<std::string>{"0 got 1; 0 got 2; 100 idle 1; 350 idle 2; 600 idle 3",
                              "0 got 2; 0 got 1; 100 idle 1; 350 idle 2; 600 idle 3"});
  CHECK(explored_traces(judged) == in_process_traces);
}

TEST_CASE("a learner's actor with a zero receive timeout, judged" * doctest::skip()) {
  testing_config cfg;
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto report = sys.spawn(
      [](caf::event_based_actor*) -> caf::behavior { return {[](const std::string&) {}}; });
  dca::bridge::spawn_stand_in(sys, "idler_at_once", caf::make_message(report));
  sched.run();
  FAIL("the judge went on with a zero receive timeout it cannot carry");
}
