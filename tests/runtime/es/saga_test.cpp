// The saga (dca/es/saga.hpp) and its driver (saga_driver.hpp) under CAF's deterministic scheduler:
// a step answered twice, a step never answered (its timeout fires in virtual time, the saga
// compensates), and a driver that dies between steps or between a step's effect and its record,
// replaced after the saga's host recovered the saga from its events.
#include "asking_fixture.hpp"

#include <functional>

#include "dca/es/entity_host.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/saga_driver.hpp"
#include "dca/examples/bank.hpp"

using namespace dca::es;
using namespace dca::examples::bank;

namespace {

// -- a seat, held for a saga and released by it ---------------------------------------------------

struct hold_seat {
  std::string saga;
};
struct release_seat {
  std::string saga;
};
struct seat_held {
  std::string saga;
};
struct seat_released {};
struct seat_state {
  std::string held_by;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_seat& x) {
  return f(caf::meta::type_name("hold_seat"), x.saga);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, release_seat& x) {
  return f(caf::meta::type_name("release_seat"), x.saga);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_held& x) {
  return f(caf::meta::type_name("seat_held"), x.saga);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_released&) {
  return f(caf::meta::type_name("seat_released"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_state& x) {
  return f(caf::meta::type_name("seat_state"), x.held_by);
}

/// Held by one saga at a time; releasing a hold that is not there does nothing, so the release is
/// a harmless undo of a hold that may never have happened.
struct seat {
  static constexpr const char* type_name = "seat";
  using state = seat_state;
  using command = caf::variant<hold_seat, release_seat>;
  using event = caf::variant<seat_held, seat_released>;

  static caf::expected<std::vector<event>> decide(const state& s, const command& cmd) {
    if (auto hold = caf::get_if<hold_seat>(&cmd)) {
      if (!s.held_by.empty() && s.held_by != hold->saga)
        return make_domain_error(caf::atom("seat"), 1, "seat_taken", "held by " + s.held_by);
      return s.held_by.empty() ? std::vector<event>{seat_held{hold->saga}} : std::vector<event>{};
    }
    if (s.held_by != caf::get<release_seat>(cmd).saga)
      return std::vector<event>{};
    return std::vector<event>{seat_released{}};
  }

  static state apply(state s, const event& ev) {
    if (auto held = caf::get_if<seat_held>(&ev))
      s.held_by = held->saga;
    else
      s.held_by.clear();
    return s;
  }
};

// -- a trip: pay, then hold the seat --------------------------------------------------------------

struct trip_params {
  std::string payer;
  std::string seat_no;
  std::int64_t price_cents = 0;
  friend bool operator==(const trip_params& x, const trip_params& y) {
    return x.payer == y.payer && x.seat_no == y.seat_no && x.price_cents == y.price_cents;
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, trip_params& x) {
  return f(caf::meta::type_name("trip_params"), x.payer, x.seat_no, x.price_cents);
}

struct trip_saga {
  static constexpr const char* type_name = "trip";
  using payload = trip_params;
  static constexpr const char* steps[] = {"pay", "seat"};
};
using trip = saga<trip_saga>;

/// Drops every hold it is sent (a link that loses them) and passes releases on to `seats`.
caf::behavior losing_holds(caf::event_based_actor* self, caf::actor seats) {
  return {[=](command_atom, std::string& key, seat::command& cmd, std::string& idempotency_key) {
    auto rp = self->make_response_promise<ack>();
    if (caf::holds_alternative<hold_seat>(cmd))
      return rp; // never delivered
    self->request(seats, caf::infinite, command_atom::value, key, cmd, idempotency_key)
        .then([rp](const ack& a) mutable { rp.deliver(a); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
    return rp;
  }};
}

struct fixture : asking_fixture {
  std::shared_ptr<memory_journal> journal = std::make_shared<memory_journal>();
  caf::actor accounts = spawn_entity_host<account>(sys, journal, quiet_options());
  caf::actor seats = spawn_entity_host<seat>(sys, journal, quiet_options());
  caf::actor trips = spawn_entity_host<trip>(sys, journal, quiet_options());
  trip_params ann_seat_12{"ann", "12A", 300};

  fixture() {
    REQUIRE(ask<ack>(accounts, command_atom::value, std::string{"ann"},
                     account::command{open_account{"Ann"}}, std::string{}));
    REQUIRE(ask<ack>(accounts, command_atom::value, std::string{"ann"},
                     account::command{deposit{1000}}, std::string{}));
  }

  ~fixture() override {
    for (auto& host : {accounts, seats, trips})
      anon_send_exit(host, caf::exit_reason::user_shutdown);
  }

  static entity_options quiet_options() {
    entity_options opts;
    opts.idle_timeout = std::chrono::milliseconds{0};
    opts.hibernate_after = std::chrono::milliseconds{0};
    return opts;
  }

  /// The trip's steps: pay (undo: pay back), then hold the seat through `seat_service` (undo:
  /// release it at the real seats; a hold not answered is compensated).
  std::vector<saga_step<trip_params>> steps(caf::actor seat_service) {
    auto payer = [](const trip_params& p) { return p.payer; };
    auto seat_no = [](const trip_params& p) { return p.seat_no; };
    saga_step<trip_params> pay;
    pay.run = entity_command_step<account, trip_params>(
        accounts, payer, [](const trip_params& p) { return withdraw{p.price_cents}; });
    pay.undo = entity_command_step<account, trip_params>(
        accounts, payer, [](const trip_params& p) { return deposit{p.price_cents}; });
    saga_step<trip_params> hold;
    hold.run = entity_command_step<seat, trip_params>(
        seat_service, seat_no, [](const trip_params&) { return hold_seat{"t1"}; });
    hold.undo = entity_command_step<seat, trip_params>(
        seats, seat_no, [](const trip_params&) { return release_seat{"t1"}; });
    hold.timeout = std::chrono::milliseconds{50};
    hold.attempts_max = 2;
    hold.compensate_unanswered = true;
    return {pay, hold};
  }

  caf::actor drive(caf::actor seat_service) {
    return spawn_saga_driver<trip>(sys, trips, "t1", ann_seat_12, steps(std::move(seat_service)));
  }

  /// Runs one message at a time until `done` holds; false when nothing was left to run.
  bool run_until(const std::function<bool()>& done) {
    while (!done())
      if (!sched.try_run_once())
        return false;
    return true;
  }

  std::size_t events_of(const std::string& type, const std::string& key) {
    std::vector<event_record> out;
    REQUIRE(!journal->read_stream(entity_id{type, key}, 1, 1000, out));
    return out.size();
  }

  std::int64_t balance(const std::string& key) {
    auto st = ask<account_state>(accounts, get_atom::value, key);
    REQUIRE(st);
    return st->balance_cents;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a saga step answered twice keeps its first answer and the second is "
                           "refused with step_answered_twice") {
  auto record = [&](trip::command cmd) {
    return ask<ack>(trips, command_atom::value, std::string{"t1"}, std::move(cmd), std::string{});
  };
  REQUIRE(record(begin_saga<trip_params>{ann_seat_12}));
  REQUIRE(record(record_step{0, step_answer::done, ""}));
  auto again = record(record_step{0, step_answer::done, ""});
  REQUIRE_FALSE(again);
  CHECK(is(again.error(), dca::es::errc::step_answered_twice));
  CHECK(render(again.error()) == "step_answered_twice: step pay answered, but the saga is running "
                                 "at step seat: its first answer stands");
  auto other = record(record_step{0, step_answer::refused, "late no"});
  CHECK(is(other.error(), dca::es::errc::step_answered_twice));
  auto early = record(record_undo{0});
  CHECK(is(early.error(), dca::es::errc::step_answered_twice));
  auto state = ask<trip::state>(trips, get_atom::value, std::string{"t1"});
  REQUIRE(state);
  CHECK(state->status == saga_status::running);
  CHECK(state->steps_done == 1);
  CHECK(events_of("trip", "t1") == 2); // begun, pay done: nothing from the second answers
  auto other_payload = record(begin_saga<trip_params>{{"bob", "12A", 300}});
  CHECK(is(other_payload.error(), dca::es::errc::saga_invalid));
}

TEST_CASE_FIXTURE(fixture, "a saga step never answered times out and the saga compensates it and "
                           "the steps before it, last first") {
  auto driver = drive(sys.spawn(losing_holds, seats));
  consume_messages();
  // Two tries of the hold, each timing out on the runtime's clock (virtual time here).
  int timeouts = 0;
  for (; timeouts < 10 && events_of("trip", "t1") < 5; ++timeouts) {
    REQUIRE(trigger_timeout());
    consume_messages();
  }
  CHECK(timeouts == 2);
  auto outcome = ask<trip::state>(driver, get_atom::value);
  REQUIRE(outcome);
  CHECK(outcome->status == saga_status::compensated);
  CHECK(outcome->failed_step == 1);
  CHECK(outcome->failure == "seat: not answered within 50 ms, 2 tries");
  CHECK(balance("ann") == 1000); // paid, then paid back
  auto seat_now = ask<seat_state>(seats, get_atom::value, std::string{"12A"});
  REQUIRE(seat_now);
  CHECK(seat_now->held_by.empty());
  CHECK(events_of("account", "ann") == 4); // opened, deposited, withdrawn, deposited back
  // begun, pay done, seat failed (in doubt), seat undone, pay undone.
  CHECK(events_of("trip", "t1") == 5);
}

TEST_CASE_FIXTURE(fixture, "a saga whose driver dies between steps or after a step's effect "
                           "resumes from its events and takes every effect once") {
  // Dies after its payment was recorded (between steps), then after the seat was held and before
  // the hold was recorded.
  std::vector<std::function<bool()>> crash_points = {[&] { return events_of("trip", "t1") == 2; },
                                                     [&] { return events_of("seat", "12A") == 1; }};
  for (const auto& crashed : crash_points) {
    auto driver = drive(seats);
    REQUIRE(run_until(crashed));
    anon_send_exit(driver, caf::exit_reason::kill); // kill -9: it records nothing more
    // The saga's host goes too; the next one recovers the saga from the journal.
    anon_send_exit(trips, caf::exit_reason::user_shutdown);
    consume_messages();
    trips = spawn_entity_host<trip>(sys, journal, quiet_options());
  }
  auto outcome = ask<trip::state>(drive(seats), get_atom::value);
  REQUIRE(outcome);
  CHECK(outcome->status == saga_status::completed);
  CHECK(balance("ann") == 700); // paid once
  CHECK(events_of("account", "ann") == 3);
  CHECK(events_of("seat", "12A") == 1); // held once
  CHECK(events_of("trip", "t1") == 3);  // begun once, each step once
}

TEST_CASE_FIXTURE(fixture, "a saga whose driver died holding its payment is compensated at the "
                           "hold's expiry on the clock, and the late answer is refused") {
  auto held_for_5s = [&] {
    auto s = steps(seats);
    s[0].expires_after = std::chrono::seconds{5}; // the payment holds the money for the seat
    return s;
  };
  auto driver = spawn_saga_driver<trip>(sys, trips, "t1", ann_seat_12, held_for_5s());
  REQUIRE(run_until([&] { return events_of("trip", "t1") == 2; })); // paid, recorded with expiry
  anon_send_exit(driver, caf::exit_reason::kill); // no driver of t1 ever comes back
  consume_messages();
  auto expiry = spawn_saga_expiry<trip>(sys, trips, "t1", ann_seat_12, held_for_5s());
  consume_messages();
  CHECK(sched.advance_time(std::chrono::milliseconds{4'999}) == 0); // not due yet
  consume_messages();
  CHECK(balance("ann") == 700);
  CHECK(sched.advance_time(std::chrono::milliseconds{1}) == 1);
  consume_messages();
  auto outcome = ask<trip::state>(expiry, get_atom::value);
  REQUIRE(outcome);
  CHECK(outcome->status == saga_status::compensated);
  CHECK(outcome->failed_step == 1);
  CHECK(outcome->failure.find("the hold of step pay expired at ") != std::string::npos);
  CHECK(balance("ann") == 1000); // paid back
  auto seat_now = ask<seat_state>(seats, get_atom::value, std::string{"12A"});
  REQUIRE(seat_now);
  CHECK(seat_now->held_by.empty());
  // The seat's answer arrives after the expiry: the saga's events decide, it is refused.
  auto late = ask<ack>(trips, command_atom::value, std::string{"t1"},
                       trip::command{record_step{1, step_answer::done, ""}}, std::string{});
  CHECK(is(late.error(), dca::es::errc::step_answered_twice));
  auto again = ask<ack>(trips, command_atom::value, std::string{"t1"},
                        trip::command{expire_saga{1'000'000'000}}, std::string{});
  CHECK(again); // an expiry timer firing twice changes nothing
  // begun, pay done, seat failed (expired: in doubt), seat undone, pay undone.
  CHECK(events_of("trip", "t1") == 5);
}

TEST_CASE_FIXTURE(fixture, "a saga whose next step is done before its hold expires is never "
                           "expired") {
  auto s = steps(seats);
  s[0].expires_after = std::chrono::seconds{5};
  auto driver = spawn_saga_driver<trip>(sys, trips, "t1", ann_seat_12, s);
  REQUIRE(run_until([&] { return events_of("trip", "t1") == 2; })); // paid, recorded with expiry
  auto expiry = spawn_saga_expiry<trip>(sys, trips, "t1", ann_seat_12, s);
  consume_messages(); // the driver holds the seat in time
  auto outcome = ask<trip::state>(driver, get_atom::value);
  REQUIRE(outcome);
  CHECK(outcome->status == saga_status::completed);
  CHECK(outcome->expires_at_ms == 0); // the seat step spent the hold
  sched.advance_time(std::chrono::seconds{10});
  consume_messages();
  auto watched = ask<trip::state>(expiry, get_atom::value);
  REQUIRE(watched);
  CHECK(watched->status == saga_status::completed);
  CHECK(balance("ann") == 700);
  CHECK(events_of("trip", "t1") == 3);
}
