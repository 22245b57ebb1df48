// More classic shared-state bugs, each beside its fix: a counter incremented with a load and a
// store, an invariant over two variables updated one at a time, transfers that lock two accounts
// in opposite orders, a lock not released on an early return, a result read before the thread that
// computes it is joined, data published after its ready flag, a one-time initialisation claimed by
// test-then-set, and a work-stealing deque whose thief takes the last item without a
// compare-and-swap. Written from their textbook descriptions.
#include <memory>
#include <mutex>

#include "classic.hpp"
#include "dca/explore/expect.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"
#include "dca/thread.hpp"

namespace {

using namespace classics;
using dca::explore::expect;

/// Three threads each note their step in a slot of their own, then add one to a shared total;
/// the check wants three.
thread_execution_factory counter(bool atomic) {
  return [=] {
    auto total = std::make_shared<dca::shared<int>>("total", 0);
    auto add = [=] {
      dca::shared<int> mine{"mine", 0}; // independent of the others: DPOR need not reorder it
      mine.store(1);
      if (atomic)
        total->fetch_add(1);
      else
        total->store(total->load() + 1);
    };
    thread_execution exec;
    exec.threads = {{"T1", add}, {"T2", add}, {"T3", add}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      if (total->load() == 3)
        return std::nullopt;
      return "total is " + std::to_string(total->load()) + ", expected 3: an increment was lost";
    };
    return exec;
  };
}

/// Two accounts that always hold 100 together; a transfer moves 10 with one store each, and an
/// auditor adds them up. Without the lock the auditor sees the money in flight.
thread_execution_factory torn_invariant(bool locked) {
  return [=] {
    auto m = std::make_shared<dca::mutex>("accounts");
    auto a = std::make_shared<dca::shared<int>>("a", 60);
    auto b = std::make_shared<dca::shared<int>>("b", 40);
    auto guarded = [=](auto body) {
      std::unique_lock<dca::mutex> g{*m, std::defer_lock};
      if (locked)
        g.lock();
      body();
    };
    thread_execution exec;
    exec.threads = {{"T1 transfer",
                     [=] {
                       guarded([&] {
                         a->store(a->load() - 10);
                         b->store(b->load() + 10);
                       });
                     }},
                    {"T2 audit", [=] {
                       guarded([&] { expect(a->load() + b->load() == 100, "the sum is not 100"); });
                     }}};
    return exec;
  };
}

/// Two transfers in opposite directions, each locking both accounts: source first (they can
/// deadlock), or the lower-numbered account first (they cannot).
thread_execution_factory transfers(bool ordered) {
  return [=] {
    auto a = std::make_shared<dca::mutex>("account 1");
    auto b = std::make_shared<dca::mutex>("account 2");
    auto transfer = [=](dca::mutex& from, dca::mutex& to) {
      auto* first = &from;
      auto* second = &to;
      if (ordered && first == b.get())
        std::swap(first, second);
      std::lock_guard<dca::mutex> g1{*first};
      std::lock_guard<dca::mutex> g2{*second};
    };
    thread_execution exec;
    exec.threads = {{"T1 1->2", [=] { transfer(*a, *b); }}, {"T2 2->1", [=] { transfer(*b, *a); }}};
    return exec;
  };
}

/// A withdrawal that returns early when the balance is short: with lock/unlock by hand it leaves
/// the mutex locked on that path, and the next thread waits for ever; a lock_guard releases it.
thread_execution_factory early_return(bool guard) {
  return [=] {
    auto m = std::make_shared<dca::mutex>("account");
    auto balance = std::make_shared<dca::shared<int>>("balance", 50);
    auto withdraw = [=] {
      if (guard) {
        std::lock_guard<dca::mutex> g{*m};
        if (balance->load() >= 40)
          balance->store(balance->load() - 40);
        return;
      }
      m->lock();
      if (balance->load() < 40)
        return; // the mistake: the mutex stays locked on this path
      balance->store(balance->load() - 40);
      m->unlock();
    };
    thread_execution exec;
    exec.threads = {{"T1", withdraw}, {"T2", withdraw}, {"T3", withdraw}};
    return exec;
  };
}

/// A main thread starts a worker to compute a result, then reads it: after join it is there;
/// after a "started" flag the worker sets first, it may not be.
thread_execution_factory fork_join(bool join_first) {
  return [=] {
    auto started = std::make_shared<dca::shared<bool>>("started", false);
    auto result = std::make_shared<dca::shared<int>>("result", 0);
    thread_execution exec;
    exec.threads = {{"T0 main", [=] {
                       dca::thread worker{"worker", [=] {
                                            started->store(true);
                                            result->store(42);
                                          }};
                       if (!join_first)
                         while (!started->load())
                           dca::yield();
                       else
                         worker.join();
                       expect(result->load() == 42, "read the result before it was written");
                       if (!join_first)
                         worker.join();
                     }}};
    return exec;
  };
}

/// A producer publishes data and raises a ready flag; a consumer spins on the flag and reads the
/// data. Raising the flag before writing the data lets the consumer read the old value.
thread_execution_factory publication(bool data_first) {
  return [=] {
    auto ready = std::make_shared<dca::shared<bool>>("ready", false);
    auto data = std::make_shared<dca::shared<int>>("data", 0);
    thread_execution exec;
    exec.threads = {{"T1 producer",
                     [=] {
                       if (data_first)
                         data->store(42);
                       ready->store(true);
                       if (!data_first)
                         data->store(42);
                     }},
                    {"T2 consumer", [=] {
                       while (!ready->load())
                         dca::yield();
                       expect(data->load() == 42, "the flag was seen before the data");
                     }}};
    return exec;
  };
}

/// A one-time initialisation: whoever claims the flag initialises. Claiming with a load and a
/// store lets two threads initialise; exchange lets exactly one.
thread_execution_factory run_once(bool exchange) {
  return [=] {
    auto claimed = std::make_shared<dca::shared<bool>>("claimed", false);
    auto inits = std::make_shared<dca::shared<int>>("inits", 0);
    auto init = [=] {
      bool mine = false;
      if (exchange) {
        mine = !claimed->exchange(true);
      } else if (!claimed->load()) {
        claimed->store(true);
        mine = true;
      }
      if (mine)
        inits->fetch_add(1);
    };
    thread_execution exec;
    exec.threads = {{"T1", init}, {"T2", init}, {"T3", init}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      if (inits->load() == 1)
        return std::nullopt;
      return "initialised " + std::to_string(inits->load()) + " times, expected once";
    };
    return exec;
  };
}

/// A work-stealing deque (Chase and Lev, under sequential consistency) holding one task: the
/// owner pops from the bottom, a thief steals from the top. For the last task both must win a
/// compare-and-swap on `top`; with plain stores both can take it.
thread_execution_factory work_stealing(bool cas) {
  return [=] {
    auto top = std::make_shared<dca::shared<int>>("top", 0);
    auto bottom = std::make_shared<dca::shared<int>>("bottom", 1); // one task, at index 0
    auto taken = std::make_shared<dca::shared<int>>("taken", 0);
    auto claim = [=](int t) {
      if (cas)
        return top->compare_exchange(t, t + 1);
      top->store(t + 1);
      return true;
    };
    auto pop = [=] {
      int b = bottom->load() - 1;
      bottom->store(b);
      int t = top->load();
      if (t < b || (t == b && claim(t)))
        taken->fetch_add(1);
      bottom->store(b + 1 > t + 1 ? b : t + 1); // empty now either way
    };
    auto steal = [=] {
      int t = top->load();
      if (t < bottom->load() && claim(t))
        taken->fetch_add(1);
    };
    thread_execution exec;
    exec.threads = {{"T1 owner pop", pop}, {"T2 thief steal", steal}};
    exec.check = [=](const std::vector<step>&) -> std::optional<std::string> {
      if (taken->load() <= 1)
        return std::nullopt;
      return "the one task was taken " + std::to_string(taken->load()) + " times";
    };
    return exec;
  };
}

} // namespace

TEST_CASE("a counter incremented with a load and a store loses an increment") {
  require_found("counter, load and store (systematic)", counter(false), strategy::systematic);
  require_found("counter, load and store (random)", counter(false), strategy::random);
}

TEST_CASE("a counter incremented with fetch_add loses none") {
  require_proven("counter, fetch_add", counter(true));
}

TEST_CASE("an invariant over two variables updated one at a time is seen broken") {
  require_found("torn invariant (systematic)", torn_invariant(false), strategy::systematic);
  require_found("torn invariant (delay)", torn_invariant(false), strategy::delay);
}

TEST_CASE("an invariant over two variables updated under one lock is never seen broken") {
  require_proven("torn invariant, locked", torn_invariant(true));
}

TEST_CASE("transfers that lock their source first deadlock") {
  require_found("transfers, source first (systematic)", transfers(false), strategy::systematic);
  require_found("transfers, source first (dpor)", transfers(false), strategy::dpor);
}

TEST_CASE("transfers that lock the lower account first never deadlock") {
  require_proven("transfers, ordered", transfers(true));
}

TEST_CASE("a mutex left locked on an early return blocks the next thread for ever") {
  require_found("early return (systematic)", early_return(false), strategy::systematic);
}

TEST_CASE("a lock_guard releases the mutex on every return") {
  require_proven("early return, lock_guard", early_return(true));
}

TEST_CASE("a result read after a started flag instead of a join can be missing") {
  require_found("fork-join, flag (systematic)", fork_join(false), strategy::systematic);
  require_found("fork-join, flag (dpor)", fork_join(false), strategy::dpor);
}

TEST_CASE("a result read after join is always there") {
  require_proven("fork-join, join", fork_join(true));
}

TEST_CASE("data published after its ready flag can be read stale") {
  require_found("publication, flag first (systematic)", publication(false), strategy::systematic);
  require_found("publication, flag first (dpor)", publication(false), strategy::dpor);
}

TEST_CASE("data published before its ready flag is always seen") {
  require_proven("publication, data first", publication(true));
}

TEST_CASE("a one-time initialisation claimed by test-then-set runs twice") {
  require_found("run once, test then set (systematic)", run_once(false), strategy::systematic);
  require_found("run once, test then set (dpor)", run_once(false), strategy::dpor);
}

TEST_CASE("a one-time initialisation claimed by exchange runs once") {
  require_proven("run once, exchange", run_once(true));
}

TEST_CASE("a work-stealing deque without compare-and-swap hands its last task out twice") {
  require_found("work stealing, plain stores (systematic)", work_stealing(false),
                strategy::systematic);
  require_found("work stealing, plain stores (dpor)", work_stealing(false), strategy::dpor);
}

TEST_CASE("a work-stealing deque with compare-and-swap hands its last task out once") {
  require_proven("work stealing, compare-and-swap", work_stealing(true));
}
