// The classic hand-made locks, each beside its fix: Peterson's algorithm with its two writes in
// the wrong order, two flags without a turn (both threads wait for each other for ever), a
// test-and-set lock that tests and sets in two steps, and a ticket lock whose tickets are drawn
// with a load and a store. Mutual exclusion is checked by a count of the threads inside, seen by
// expect at once. Spin loops yield, so each costs one step per change of what they read.
#include <memory>

#include "classic.hpp"
#include "dca/explore/expect.hpp"
#include "dca/shared.hpp"
#include "dca/thread.hpp"

namespace {

using namespace classics;

/// A critical section: at most one thread inside.
struct section {
  dca::shared<int> inside{"inside", 0};

  void enter_and_leave() {
    inside.store(inside.load() + 1);
    dca::explore::expect(inside.load() == 1, "two threads in the critical section");
    inside.store(inside.load() - 1);
  }
};

/// Peterson's algorithm for two threads: raise my flag, give the turn away, wait while the other
/// wants in and it is its turn. Giving the turn away before raising the flag breaks it.
thread_execution_factory peterson(bool flag_first) {
  return [=] {
    auto flag0 = std::make_shared<dca::shared<bool>>("flag0", false);
    auto flag1 = std::make_shared<dca::shared<bool>>("flag1", false);
    auto turn = std::make_shared<dca::shared<int>>("turn", 0);
    auto cs = std::make_shared<section>();
    auto run = [=](int me) {
      return [=] {
        auto& mine = me == 0 ? *flag0 : *flag1;
        auto& theirs = me == 0 ? *flag1 : *flag0;
        if (flag_first)
          mine.store(true);
        turn->store(1 - me);
        if (!flag_first)
          mine.store(true);
        while (theirs.load() && turn->load() == 1 - me)
          dca::yield();
        cs->enter_and_leave();
        mine.store(false);
      };
    };
    thread_execution exec;
    exec.threads = {{"T0", run(0)}, {"T1", run(1)}};
    return exec;
  };
}

/// Two flags and no turn: each raises its flag, then waits while the other's is up. When both
/// raise theirs first, both wait for ever; Peterson's turn is the fix (above).
thread_execution_factory two_flags() {
  return [] {
    auto flag0 = std::make_shared<dca::shared<bool>>("flag0", false);
    auto flag1 = std::make_shared<dca::shared<bool>>("flag1", false);
    auto cs = std::make_shared<section>();
    auto run = [=](dca::shared<bool>& mine, dca::shared<bool>& theirs) {
      mine.store(true);
      while (theirs.load())
        dca::yield();
      cs->enter_and_leave();
      mine.store(false);
    };
    thread_execution exec;
    exec.threads = {{"T0", [=] { run(*flag0, *flag1); }}, {"T1", [=] { run(*flag1, *flag0); }}};
    return exec;
  };
}

/// A test-and-set lock: exchange sets the flag and says whether it was set, in one step. Testing
/// with a load and setting with a store lets both threads through.
thread_execution_factory test_and_set(bool exchange) {
  return [=] {
    auto locked = std::make_shared<dca::shared<bool>>("locked", false);
    auto cs = std::make_shared<section>();
    auto run = [=] {
      if (exchange) {
        while (locked->exchange(true))
          dca::yield();
      } else {
        while (locked->load())
          dca::yield();
        locked->store(true);
      }
      cs->enter_and_leave();
      locked->store(false);
    };
    thread_execution exec;
    exec.threads = {{"T1", run}, {"T2", run}};
    return exec;
  };
}

/// A ticket lock: draw a ticket, wait until it is served, serve the next when done. Drawing with
/// fetch_add gives every thread its own ticket; with a load and a store two can draw the same.
thread_execution_factory ticket_lock(bool fetch_add) {
  return [=] {
    auto next = std::make_shared<dca::shared<int>>("next", 0);
    auto serving = std::make_shared<dca::shared<int>>("serving", 0);
    auto cs = std::make_shared<section>();
    auto run = [=] {
      int mine = 0;
      if (fetch_add) {
        mine = next->fetch_add(1);
      } else {
        mine = next->load();
        next->store(mine + 1);
      }
      while (serving->load() != mine)
        dca::yield();
      cs->enter_and_leave();
      serving->store(mine + 1);
    };
    thread_execution exec;
    exec.threads = {{"T1", run}, {"T2", run}};
    return exec;
  };
}

} // namespace

TEST_CASE("Peterson's lock with the turn given before the flag lets both threads in") {
  require_found("Peterson, turn first (systematic)", peterson(false), strategy::systematic);
  require_found("Peterson, turn first (dpor)", peterson(false), strategy::dpor);
}

TEST_CASE("Peterson's lock with the flag raised first keeps the threads apart") {
  require_proven("Peterson", peterson(true));
}

TEST_CASE("two flags without a turn can leave both threads waiting for ever") {
  require_found("two flags (systematic)", two_flags(), strategy::systematic);
  require_found("two flags (dpor)", two_flags(), strategy::dpor);
}

TEST_CASE("a test-and-set lock that tests and sets in two steps lets both threads in") {
  require_found("test then set (systematic)", test_and_set(false), strategy::systematic);
  require_found("test then set (delay)", test_and_set(false), strategy::delay);
}

TEST_CASE("a test-and-set lock built on exchange keeps the threads apart") {
  require_proven("test-and-set with exchange", test_and_set(true));
}

TEST_CASE("a ticket lock that draws tickets with a load and a store serves two at once") {
  require_found("ticket lock, load and store (systematic)", ticket_lock(false),
                strategy::systematic);
  require_found("ticket lock, load and store (dpor)", ticket_lock(false), strategy::dpor);
}

TEST_CASE("a ticket lock that draws tickets with fetch_add serves one at a time") {
  require_proven("ticket lock, fetch_add", ticket_lock(true));
}
