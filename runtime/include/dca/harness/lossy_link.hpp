// The harness of an exercise whose shared thing is an unreliable channel (09, 10): clients that
// retry when an answer is late, a service behind a seeded fault link (dca::cluster) in `dca run`,
// and the explorer losing or repeating messages as choices of the schedule in `dca explore`. Each
// such exercise wrote this shape again; what differs (the clients, the judging) stays in its
// scenario.cpp. Header-only: it needs dca::cluster, which those exercises link (needs = cluster).
//   dca::harness::lossy_link_run run{spawn_payments, faults_of(seed)};
//   run.stop_with_run(spawn_checkout(run.system(), run.link(), orders, timeout, run.boss()));
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "caf/all.hpp"

#include "dca/cluster/fault_link.hpp"
#include "dca/cluster/fault_plan.hpp"
#include "dca/explore/actor_explorer.hpp"

namespace dca::harness {

/// The seeded plan of the real runs and the specs: one message in ten dropped, one duplicated, one
/// delayed and one reordered; a delay lasts 30 ms longer than `client_timeout`, so the client's
/// retry overtakes the message it repeats.
inline dca::cluster::fault_plan retry_overtaking_faults(std::uint64_t seed,
                                                        std::chrono::milliseconds client_timeout) {
  dca::cluster::fault_plan plan;
  plan.seed = seed;
  plan.drop_per_mille = 100;
  plan.duplicate_per_mille = 100;
  plan.delay_per_mille = 100;
  plan.reorder_per_mille = 100;
  plan.delay = client_timeout + std::chrono::milliseconds{30};
  return plan;
}

/// The first fault the explorer chose in `trace`, in the trace's words ("lose reply 1 from
/// payments"), or "no fault".
inline std::string first_fault_words(const std::vector<dca::explore::step>& trace) {
  for (const auto& s : trace)
    if (s.operation == "lose" || s.operation == "duplicate")
      return s.operation + " " + s.object;
  return "no fault";
}

/// Explores the executions `make` builds, whose links it made lossy (actor_world::lossy). Faults
/// are choices of the bounded and random searches, not of DPOR (actor_explorer.hpp), so the
/// default search for actors becomes the systematic one.
inline dca::explore::report
explore_with_faults(const std::function<dca::explore::actor_execution()>& make,
                    const dca::explore::options& opts) {
  auto search = opts;
  if (search.search == dca::explore::strategy::dpor)
    search.search = dca::explore::strategy::systematic;
  return dca::explore::explore_actors(make, search);
}

/// One real run on real threads: a service behind a seeded fault link, clients that send through
/// the link and report to boss(). When it goes it stops the clients and the service.
class lossy_link_run {
public:
  lossy_link_run(caf::actor (*spawn_service)(caf::actor_system&),
                 const dca::cluster::fault_plan& plan)
      : service_(spawn_service(system_)),
        link_(dca::cluster::spawn_fault_link(system_, service_, plan)) {}

  ~lossy_link_run() {
    for (const auto& a : clients_)
      self_->send_exit(a, caf::exit_reason::user_shutdown);
    self_->send_exit(link_, caf::exit_reason::kill);
    self_->send_exit(service_, caf::exit_reason::user_shutdown);
  }

  lossy_link_run(const lossy_link_run&) = delete;
  lossy_link_run& operator=(const lossy_link_run&) = delete;

  caf::actor_system& system() noexcept { return system_; }
  /// The link into the service: what the clients send to.
  const caf::actor& link() const noexcept { return link_; }
  /// Where the clients send their reports.
  caf::actor boss() { return caf::actor_cast<caf::actor>(self_); }

  /// Stops the client `a` with this run.
  void stop_with_run(caf::actor a) { clients_.push_back(std::move(a)); }

  /// Hands each of the next `n` reports to `take`, waiting at most `wait` for each; then cuts the
  /// link down, so that nothing it still holds arrives while the service is asked how it ended.
  /// Returns how many reports came.
  template <class Report>
  int collect(int n, const std::function<void(Report&)>& take,
              std::chrono::seconds wait = std::chrono::seconds(60)) {
    int got = 0;
    for (bool late = false; got < n && !late;)
      self_->receive(
          [&](Report& r) {
            take(r);
            ++got;
          },
          caf::after(wait) >> [&] { late = true; });
    self_->send_exit(link_, caf::exit_reason::kill);
    return got;
  }

  /// Asks the service itself (not through the link); nullopt when it did not answer.
  template <class T, class... Ts>
  std::optional<T> ask_service(Ts... xs) {
    std::optional<T> out;
    self_->request(service_, std::chrono::seconds(10), xs...)
        .receive([&](T& x) { out = std::move(x); }, [](caf::error&) {});
    return out;
  }

private:
  caf::actor_system_config cfg_;
  caf::actor_system system_{cfg_};
  caf::scoped_actor self_{system_};
  caf::actor service_;
  caf::actor link_;
  std::vector<caf::actor> clients_;
};

} // namespace dca::harness
