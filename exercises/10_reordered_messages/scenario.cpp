// Exercise 10's harness: how `dca run 10` and `dca explore 10` drive both tracks. Apps send their
// customers' address changes, numbered in the order they make them, and send a change again when
// its answer is late. `dca run` puts a seeded fault link (dca::cluster) between the apps and the
// service, on real threads; `dca explore` lets the explorer lose or repeat messages as choices of
// the schedule. A customer's address must end as the last change its app made (a sequential
// oracle: the changes applied in the app's order). Learners may read it; they need not change it.
#include "scenario.hpp"

#include <memory>
#include <optional>

#include "dca/explore/actor_explorer.hpp"
#include "dca/harness/lossy_link.hpp"

namespace reordered_messages {

namespace {

using dca::harness::arguments;
using dca::harness::progress_fn;
using dca::harness::run_result;
using dca::harness::with_commas;

constexpr int attempts_max = 10; // a change lost ten times in a row is an outage, not a fault

// -- the app --------------------------------------------------------------------------------------

struct app_state {
  app_report report;
  std::map<std::uint64_t, int> attempts; // by change number
  int answered = 0;
  caf::actor boss; // told the report once every change has ended (may be none)
};

using app_actor = caf::stateful_actor<app_state>;

void tell_if_done(app_actor* self) {
  auto& st = self->state;
  if (st.boss && st.answered + st.report.unanswered == static_cast<int>(st.report.sent.size()))
    self->send(st.boss, st.report);
}

/// Sends change number `seq`; sends it again (same number) when no answer comes within `timeout`.
void send_change(app_actor* self, caf::actor profiles, std::string name, std::uint64_t seq,
                 std::chrono::milliseconds timeout) {
  ++self->state.attempts[seq];
  auto address = self->state.report.sent[seq - 1];
  self->request(profiles, caf::duration{timeout}, set_address_atom::value, name, seq, address)
      .then(
          [=](bool) {
            ++self->state.answered;
            tell_if_done(self);
          },
          [=](caf::error&) {
            if (self->state.attempts[seq] < attempts_max)
              return send_change(self, profiles, name, seq, timeout); // at least once
            ++self->state.report.unanswered;
            tell_if_done(self);
          });
}

caf::behavior app(app_actor* self, caf::actor profiles, std::string name, int changes,
                  std::chrono::milliseconds timeout, caf::actor boss) {
  self->state.boss = std::move(boss);
  self->state.report.name = name;
  for (int i = 1; i <= changes; ++i)
    self->state.report.sent.push_back(std::to_string(i) + (i == 1 ? " Old Street" : " New Road"));
  for (std::uint64_t seq = 1; seq <= static_cast<std::uint64_t>(changes); ++seq)
    send_change(self, profiles, name, seq, timeout);
  return {[=](report_atom) { return self->state.report; }};
}

// -- judging --------------------------------------------------------------------------------------

/// What a run saw: each app's report, and its customer's address at the end.
struct observed {
  std::map<std::string, app_report> apps;
  std::map<std::string, std::string> addresses;
};

run_result judge(const observed& o) {
  int wrong = 0;
  int unanswered = 0;
  std::string example;
  for (const auto& [name, heard] : o.apps) {
    unanswered += heard.unanswered;
    auto at = o.addresses.find(name);
    auto now = at == o.addresses.end() ? std::string{} : at->second;
    if (!heard.sent.empty() && now != heard.sent.back()) {
      ++wrong;
      if (example.empty())
        example =
            name + " lives at \"" + heard.sent.back() + "\", the service says \"" + now + "\"";
    }
  }
  run_result r;
  auto apps = static_cast<std::int64_t>(o.apps.size());
  r.corrupted = wrong > 0 || unanswered > 0;
  if (wrong > 0)
    r.summary = with_commas(wrong) + " of " + with_commas(apps) +
                " customers left at an older address than their last change (" + example + ")";
  if (unanswered > 0)
    r.summary += std::string{r.summary.empty() ? "" : "; "} + with_commas(unanswered) +
                 " changes never answered";
  if (!r.corrupted)
    r.summary = "every one of " + with_commas(apps) +
                " customers at the address of their last change, whatever the link did";
  r.fields = {{"apps", std::to_string(apps)},
              {"older_address", std::to_string(wrong)},
              {"unanswered", std::to_string(unanswered)}};
  return r;
}

/// A real run: `spawn` makes the service, a seeded fault link stands between it and the apps.
run_result run_with(caf::actor (*spawn)(caf::actor_system&), const arguments& in,
                    const progress_fn&) {
  dca::harness::lossy_link_run run{spawn, faults_of(in.seed().value_or(1))};
  auto apps = static_cast<int>(in.get("apps"));
  for (int i = 1; i <= apps; ++i)
    run.stop_with_run(spawn_app(run.system(), run.link(), "app" + std::to_string(i),
                                static_cast<int>(in.get("changes")), app_timeout, run.boss()));
  observed o;
  auto reported = run.collect<app_report>(apps, [&](app_report& r) {
    auto name = r.name;
    o.apps[name] = std::move(r);
  });
  if (reported < apps)
    o.apps["lost"].unanswered = apps - reported;
  for (int i = 1; i <= apps; ++i) {
    auto name = "app" + std::to_string(i);
    if (auto a = run.ask_service<std::string>(address_atom::value, name))
      o.addresses[name] = std::move(*a);
  }
  return judge(o);
}

run_result run_shared(const arguments& in, const progress_fn& progress) {
  return run_with(spawn_naive_profiles, in, progress);
}

run_result run_actors(const arguments& in, const progress_fn& progress) {
  return run_with(spawn_profiles, in, progress);
}

// -- exploring ------------------------------------------------------------------------------------

/// One app making two changes, retrying after 1 s (virtual time); the link into the service
/// lossy (`lossy_replies`: the link into the app too, and repeats on both).
dca::explore::report explore_with(caf::actor (*spawn)(caf::actor_system&), bool lossy_replies,
                                  const dca::explore::options& opts) {
  auto make = [=] {
    auto profiles = std::make_shared<caf::actor>();
    auto customer = std::make_shared<caf::actor>();
    dca::explore::actor_execution ex;
    ex.start = [=](dca::explore::actor_world& world) {
      *profiles = spawn(world.system());
      world.name(*profiles, "profiles");
      *customer = spawn_app(world.system(), *profiles, "ann", 2, std::chrono::seconds(1));
      world.name(*customer, "app");
      world.lossy(*profiles, {1, lossy_replies ? 1 : 0});
      if (lossy_replies)
        world.lossy(*customer, {1, 1});
    };
    ex.check = [=](dca::explore::actor_world& world) -> std::optional<std::string> {
      auto now = world.ask<std::string>(*profiles, address_atom::value, std::string{"ann"});
      auto heard = world.ask<app_report>(*customer, report_atom::value);
      if (!now || !heard)
        return std::string{"the profile service or the app did not answer"};
      if (*now != heard->sent.back())
        return "ann's address is \"" + *now + "\", but her last change was to \"" +
               heard->sent.back() + "\"";
      return std::nullopt;
    };
    return ex;
  };
  auto r = dca::harness::explore_with_faults(make, opts);
  if (r.result == dca::explore::outcome::invariant_broken)
    r.verdict += ": the app sent change 1 again after " + dca::harness::first_fault_words(r.trace) +
                 ", and the retry landed after change 2";
  return r;
}

dca::explore::report explore_shared(const dca::explore::options& opts) {
  return explore_with(spawn_naive_profiles, false, opts);
}

dca::explore::report explore_actors(const dca::explore::options& opts) {
  return explore_with(spawn_profiles, true, opts);
}

} // namespace

caf::actor spawn_app(caf::actor_system& system, caf::actor profiles, std::string name, int changes,
                     std::chrono::milliseconds timeout, caf::actor boss) {
  return system.spawn(app, std::move(profiles), std::move(name), changes, timeout, std::move(boss));
}

dca::cluster::fault_plan faults_of(std::uint64_t seed) {
  return dca::harness::retry_overtaking_faults(seed, app_timeout);
}

dca::harness::exercise describe() {
  dca::harness::exercise ex;
  ex.id = DCA_EXERCISE_ID; // id, pattern and title: from exercises/manifest.ini
  ex.pattern = DCA_EXERCISE_PATTERN;
  ex.title = DCA_EXERCISE_TITLE;
  ex.parameters = {{"apps", 50, 1, 10'000, "how many customers' apps send changes at once"},
                   {"changes", 5, 1, 16, "how many address changes each app makes at once"}};
  ex.run_shared = run_shared;
  ex.run_actors = run_actors;
  ex.explore_shared = explore_shared;
  ex.explore_actors = explore_actors;
  return ex;
}

} // namespace reordered_messages
