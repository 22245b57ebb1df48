// B1: hot-entity command round trip. One caller actor sends deposit commands to one entity, one
// at a time (closed loop), over the in-memory journal. Two baselines, measured in the same run,
// per scheduler policy, both raw CAF actors on the same account state:
//   same work   decide, encode the event (payload + rendering), append it to a memory journal,
//               apply, reply: event sourcing written by hand, what the runtime does for you;
//   bare        decide + apply only: no events recorded at all.
// The target (<= 1.5x) is against "same work": it is what the runtime itself costs.
// Flags: --n=200000 commands per variant, --runs=3 (the median is reported).
#include <future>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "bench_support.hpp"
#include "dca/es/codec.hpp"
#include "dca/es/entity_client.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using namespace dca::es::bench;

namespace {

struct raw_state {
  account_state value;
  std::uint64_t seq = 0;
  static inline const char* name = "raw_account";
};

/// The "same work" baseline: event sourcing by hand in one actor, no host, no runtime.
caf::behavior journaled_account(caf::stateful_actor<raw_state>* self,
                                std::shared_ptr<memory_journal> journal) {
  return {
      [self, journal](command_atom, const account::command& cmd,
                      const std::string& idempotency_key) -> caf::result<ack> {
        auto& st = self->state;
        auto events = account::decide(st.value, cmd);
        if (!events)
          return events.error();
        append_request req;
        req.entity = entity_id{account::type_name, "x"};
        req.expected_seq = st.seq;
        req.idempotency_key = idempotency_key;
        for (auto& ev : *events) {
          auto data = to_event_data(ev);
          if (!data)
            return data.error();
          req.events.push_back(std::move(*data));
        }
        caf::expected<append_result> res{caf::error{}};
        journal->append(std::move(req), [&res](caf::expected<append_result> r) { res = r; });
        if (!res)
          return res.error();
        for (auto& ev : *events)
          st.value = account::apply(std::move(st.value), ev);
        st.seq = res->last_seq;
        return ack{st.seq, res->last_position, false};
      },
  };
}

/// The bare baseline: the same pure functions, no journal, no host.
caf::behavior raw_account(caf::stateful_actor<raw_state>* self) {
  return {
      [self](command_atom, const std::string&, const account::command& cmd,
             const std::string&) -> caf::result<ack> {
        auto& st = self->state;
        auto events = account::decide(st.value, cmd);
        if (!events)
          return events.error();
        for (auto& ev : *events)
          st.value = account::apply(std::move(st.value), ev);
        st.seq += events->size();
        return ack{st.seq, 0, false};
      },
      [self](command_atom, const account::command& cmd, const std::string&) -> caf::result<ack> {
        auto& st = self->state;
        auto events = account::decide(st.value, cmd);
        if (!events)
          return events.error();
        for (auto& ev : *events)
          st.value = account::apply(std::move(st.value), ev);
        st.seq += events->size();
        return ack{st.seq, 0, false};
      },
  };
}

/// Closed loop of `n` requests made by `make`; returns seconds.
template <class Send>
double closed_loop(caf::actor_system& sys, long long n, Send send) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  auto t0 = clock_type::now();
  sys.spawn([=](caf::event_based_actor* self) {
    auto left = std::make_shared<long long>(n);
    auto step = std::make_shared<std::function<void()>>();
    *step = [=] {
      send(self).then(
          [=](const ack&) {
            if (--*left == 0) {
              done->set_value();
              *step = nullptr;
            } else {
              (*step)();
            }
          },
          [=](caf::error& err) {
            std::fprintf(stderr, "error: %s\n", render(err).c_str());
            std::exit(1);
          });
    };
    (*step)();
  });
  fut.wait();
  return seconds_since(t0);
}

/// Closed loop of `n` commands through an entity_client (the host API with a caller-side cache
/// of the entity's actor, learned from the first reply); returns seconds.
double client_loop(caf::actor_system& sys, long long n, caf::actor host, account::command dep) {
  auto done = std::make_shared<std::promise<void>>();
  auto fut = done->get_future();
  auto t0 = clock_type::now();
  sys.spawn([=](caf::event_based_actor* self) {
    auto client = std::make_shared<entity_client<account>>(host);
    auto left = std::make_shared<long long>(n);
    auto step = std::make_shared<std::function<void()>>();
    *step = [=] {
      client->command(
          self, "x", dep, std::string{},
          [=](const ack&) {
            if (--*left == 0) {
              done->set_value();
              *step = nullptr;
            } else {
              (*step)();
            }
          },
          [](caf::error& err) {
            std::fprintf(stderr, "error: %s\n", render(err).c_str());
            std::exit(1);
          });
    };
    (*step)();
  });
  fut.wait();
  return seconds_since(t0);
}

double median(std::vector<double> xs) {
  return percentile(std::move(xs), 0.5);
}

void run_policy(const char* policy, long long n, int runs, long long idle_timeout_ms) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy",
          std::string{policy} == "sharing" ? caf::atom("sharing") : caf::atom("stealing"));
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  account::command dep = deposit{1};
  std::vector<double> raw_direct, raw_journaled, host_routed, resolved, cached;
  for (int r = 0; r < runs; ++r) {
    auto by_hand = sys.spawn(journaled_account, std::make_shared<memory_journal>());
    caf::anon_send(by_hand, command_atom::value, account::command{open_account{"x"}},
                   std::string{});
    raw_journaled.push_back(closed_loop(sys, n, [=](caf::event_based_actor* self) {
      return self->request(by_hand, caf::infinite, command_atom::value, dep, std::string{});
    }));
    caf::anon_send_exit(by_hand, caf::exit_reason::user_shutdown);
    auto raw = sys.spawn(raw_account);
    caf::anon_send(raw, command_atom::value, std::string{"x"}, account::command{open_account{"x"}},
                   std::string{});
    raw_direct.push_back(closed_loop(sys, n, [=](caf::event_based_actor* self) {
      return self->request(raw, caf::infinite, command_atom::value, std::string{"x"}, dep,
                           std::string{});
    }));
    caf::anon_send_exit(raw, caf::exit_reason::user_shutdown);
    auto journal = std::make_shared<memory_journal>();
    entity_options opts;
    opts.snapshot_every = 0;
    opts.idle_timeout = std::chrono::milliseconds{idle_timeout_ms};
    auto host = spawn_entity_host<account>(sys, journal, opts);
    caf::scoped_actor self{sys};
    self->request(host, caf::infinite, command_atom::value, std::string{"x"},
                  account::command{open_account{"x"}}, std::string{})
        .receive([](const ack&) {}, [](caf::error&) { std::exit(1); });
    host_routed.push_back(closed_loop(sys, n, [=](caf::event_based_actor* c) {
      return c->request(host, caf::infinite, command_atom::value, std::string{"x"}, dep,
                        std::string{});
    }));
    cached.push_back(client_loop(sys, n, host, dep));
    caf::actor entity;
    self->request(host, caf::infinite, resolve_atom::value, std::string{"x"})
        .receive([&](caf::actor& a) { entity = a; }, [](caf::error&) { std::exit(1); });
    resolved.push_back(closed_loop(sys, n, [=](caf::event_based_actor* c) {
      return c->request(entity, caf::infinite, command_atom::value, dep, std::string{});
    }));
    self->send_exit(host, caf::exit_reason::user_shutdown);
  }
  auto per = [n](double s) { return s / static_cast<double>(n) * 1e9; };
  double bare = per(median(raw_direct));
  double base = per(median(raw_journaled));
  std::printf("\nscheduler.policy=%s, %lld round trips per variant, median of %d runs\n", policy, n,
              runs);
  row("entity via resolved handle (ns/round trip)", per(median(resolved)), "ns",
      "raw actor, same work (hand-written ES)", base, "(target <= 1.5x)");
  row("entity via host API + entity_client cache", per(median(cached)), "ns",
      "raw actor, same work (hand-written ES)", base, "(target <= 1.5x)");
  row("entity via host (ns/round trip)", per(median(host_routed)), "ns",
      "raw actor, same work (hand-written ES)", base, "(one more hop)");
  row("raw actor, same work (hand-written ES)", base, "ns", "raw actor, bare (decide + apply)",
      bare, "(what recording events costs)");
  row("entity via resolved handle (ns/round trip)", per(median(resolved)), "ns",
      "raw actor, bare (decide + apply)", bare, "");
}

} // namespace

int main(int argc, char** argv) {
  flags f{argc, argv, "bench_es_roundtrip"};
  auto n = f.number("n", 200'000);
  auto runs = static_cast<int>(f.number("runs", 3));
  auto idle = f.number("idle_timeout_ms", 120'000);
  f.done();
  std::printf("B1 hot entity command round trip (memory journal; entity work = decide, encode "
              "event + rendering, append, apply, reply)\n");
  run_policy("stealing", n, runs, idle);
  run_policy("sharing", n, runs, idle);
}
