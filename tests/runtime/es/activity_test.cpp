// Activities (dca/es/activity.hpp) under CAF's deterministic scheduler, over the memory journal:
// stamped commands run in each sender's order whatever order they arrive in, duplicates get the
// recorded reply, gaps are held or refused by policy and bounded by the window, and recovery
// (from the events, and from a snapshot whose keys were forgotten) keeps each partner's number.
// Across a fault link between simulated nodes: tests/runtime/cluster/fault_link_test.cpp.
#include "asking_fixture.hpp"

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using dca::examples::bank::account;
using dca::examples::bank::deposit;
using dca::examples::bank::open_account;
using dca::examples::bank::withdraw;
namespace bank = dca::examples::bank;

namespace {

struct fixture : asking_fixture {
  std::shared_ptr<memory_journal> journal = std::make_shared<memory_journal>();
  caf::actor host;

  void start(entity_options opts = {}) {
    opts.hibernate_after = std::chrono::milliseconds{0};
    host = spawn_entity_host<account>(sys, journal, opts);
    REQUIRE(answer(send_plain(open_account{"Alice"})));
  }

  ~fixture() { caf::anon_send_exit(host, caf::exit_reason::user_shutdown); }

  using pending = caf::response_handle<caf::blocking_actor, caf::message, true>;

  pending send_plain(account::command c, std::string idempotency_key = {}) {
    return self->request(host, caf::infinite, command_atom::value, "alice", std::move(c),
                         std::move(idempotency_key));
  }

  pending send(std::uint64_t seq, account::command c, std::string sender = "shop") {
    return self->request(host, caf::infinite, command_atom::value, "alice", std::move(c),
                         sender_stamp{std::move(sender), seq});
  }

  caf::expected<ack> answer(pending h) { return reply<ack>(std::move(h)); }

  /// The account's events after its opening, as text: the order they were applied in.
  std::vector<std::string> events() {
    std::vector<event_record> out;
    REQUIRE(!journal->read_stream(entity_id{"account", "alice"}, 2, 1000, out));
    std::vector<std::string> texts;
    for (auto& ev : out)
      texts.push_back(ev.text);
    return texts;
  }

  /// Fires idle checks until the host holds no entity: the next command recovers it.
  void passivate_all() {
    auto& entries = deref<entity_host_actor<account>>(host).state.entries;
    for (int i = 0; i < 4 && !entries.empty(); ++i) {
      CHECK(trigger_timeout());
      consume_messages();
    }
    REQUIRE(entries.empty());
  }
};

const std::vector<std::string> in_sender_order{"deposited(100)", "withdrawn(60)", "deposited(10)"};

} // namespace

TEST_CASE_FIXTURE(fixture, "stamped commands arriving in reverse run in the sender's order") {
  start();
  auto third = send(3, deposit{10});
  auto second = send(2, withdraw{60}); // before the deposit it needs: it must wait for 1
  auto first = send(1, deposit{100});
  consume_messages();
  CHECK(answer(std::move(first))->seq == 2);
  CHECK(answer(std::move(second))->seq == 3);
  CHECK(answer(std::move(third))->seq == 4);
  CHECK(events() == in_sender_order);
}

TEST_CASE_FIXTURE(fixture, "without stamps the same arrival order corrupts: the withdrawal is "
                           "refused and the events differ from the sender's order") {
  start();
  auto third = send_plain(deposit{10});
  auto second = send_plain(withdraw{60});
  auto first = send_plain(deposit{100});
  consume_messages();
  CHECK(answer(std::move(third)));
  CHECK(is(answer(std::move(second)).error(), bank::errc::insufficient_funds));
  CHECK(answer(std::move(first)));
  CHECK(events() != in_sender_order);
}

TEST_CASE_FIXTURE(fixture, "a duplicate stamp gets the recorded reply and appends nothing") {
  start();
  auto original = answer(send(1, deposit{100}));
  auto again = answer(send(1, deposit{100}));
  REQUIRE(original);
  REQUIRE(again);
  CHECK(again->seq == original->seq);
  CHECK(again->position == original->position);
  CHECK(again->duplicate);
  // A copy of a held command runs as a duplicate of it once its turn comes.
  auto held = send(3, deposit{1});
  auto held_copy = send(3, deposit{1});
  auto second = answer(send(2, deposit{2}));
  CHECK(second->seq == 3);
  CHECK(answer(std::move(held))->seq == 4);
  CHECK(answer(std::move(held_copy))->duplicate);
  CHECK(events() == std::vector<std::string>{"deposited(100)", "deposited(2)", "deposited(1)"});
}

TEST_CASE_FIXTURE(fixture, "under the refuse policy a command ahead of its turn is refused, state "
                           "unchanged, and the resent sequence applies") {
  entity_options opts;
  opts.gaps = gap_policy::refuse;
  start(opts);
  auto early = answer(send(2, withdraw{60}));
  REQUIRE_FALSE(early);
  CHECK(render(early.error()) ==
        "sequence_gap: account/alice: command 2 of shop is ahead (expected 1); resend from 1");
  CHECK(events().empty());
  CHECK(answer(send(1, deposit{100})));
  CHECK(answer(send(2, withdraw{60})));
  CHECK(answer(send(3, deposit{10})));
  CHECK(events() == in_sender_order);
}

TEST_CASE_FIXTURE(fixture, "a number beyond the window is refused, state unchanged, and nothing "
                           "is held for it") {
  entity_options opts;
  opts.sender_window_max = 4;
  start(opts);
  auto far = answer(send(6, deposit{5}));
  REQUIRE_FALSE(far);
  CHECK(render(far.error()) == "sequence_gap: account/alice: command 6 of shop is more than 4 "
                               "ahead (expected 1) (sender_window_max)");
  auto near = send(5, deposit{5}); // within the window: held
  for (std::uint64_t seq = 1; seq <= 4; ++seq)
    CHECK(answer(send(seq, deposit{1})));
  CHECK(answer(std::move(near))->seq == 6);
  CHECK(events().size() == 5);
}

TEST_CASE_FIXTURE(fixture, "a refused command does not use its number: the sender's next command "
                           "takes it") {
  start();
  auto refused = answer(send(1, withdraw{500}));
  CHECK(is(refused.error(), bank::errc::insufficient_funds));
  auto next = send(2, withdraw{60}); // held: 1 is still to come
  CHECK(answer(send(1, deposit{100}))->seq == 2);
  CHECK(answer(std::move(next))->seq == 3);
  CHECK(events() == std::vector<std::string>{"deposited(100)", "withdrawn(60)"});
}

TEST_CASE_FIXTURE(fixture, "each partner has its own sequence") {
  start();
  CHECK(answer(send(1, deposit{100}, "shop")));
  auto held = send(2, withdraw{10}, "bank");
  CHECK(answer(send(1, deposit{5}, "bank"))->seq == 3);
  CHECK(answer(std::move(held))->seq == 4);
  CHECK(answer(send(2, withdraw{1}, "shop"))->seq == 5);
}

TEST_CASE_FIXTURE(fixture, "recovery keeps each partner's number: a duplicate after a restart "
                           "gets the recorded reply, and the next number applies") {
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{50};
  start(opts);
  auto first = answer(send(1, deposit{100}));
  CHECK(answer(send(2, withdraw{60})));
  passivate_all();
  auto again = answer(send(1, deposit{100}));
  CHECK(again->duplicate);
  CHECK(again->seq == first->seq);
  CHECK(answer(send(3, deposit{10}))->seq == 4);
  CHECK(events() == in_sender_order);
}

TEST_CASE_FIXTURE(fixture, "a snapshot keeps each partner's number when the keys that carried it "
                           "are forgotten") {
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{50};
  opts.snapshot_every = 2;
  opts.idempotency_keys_max = 1;
  start(opts);
  for (std::uint64_t seq = 1; seq <= 3; ++seq)
    CHECK(answer(send(seq, deposit{static_cast<std::int64_t>(seq)})));
  CHECK(answer(send(1, deposit{1}, "bank"))); // pushes shop's last key out of the table
  passivate_all();
  auto stale = answer(send(2, deposit{2}));
  REQUIRE_FALSE(stale);
  CHECK(is(stale.error(), errc::sequence_stale));
  CHECK(answer(send(4, deposit{4}))->seq == 6); // not held: shop's number survived
  CHECK(events().size() == 5);
}

TEST_CASE_FIXTURE(fixture, "held commands are answered with the number they waited for when the "
                           "entity stops") {
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{50};
  start(opts);
  auto held = send(2, deposit{5});
  consume_messages();
  passivate_all();
  auto answered = answer(std::move(held));
  REQUIRE_FALSE(answered);
  CHECK(render(answered.error()) ==
        "sequence_gap: account/alice: command 2 of shop waited for 1; the entity stopped (idle) "
        "before it came; resend from that number");
  CHECK(events().empty());
}

TEST_CASE_FIXTURE(fixture, "a stamp without a sender or numbered 0, and a plain key using the "
                           "stamps' prefix, are refused") {
  start();
  CHECK(is(answer(send(0, deposit{1})).error(), errc::activity_invalid));
  CHECK(is(answer(send(1, deposit{1}, "")).error(), errc::activity_invalid));
  auto reserved = answer(send_plain(deposit{1}, "activity:shop:1"));
  CHECK(is(reserved.error(), errc::activity_invalid));
  CHECK(events().empty());
}
