// The classic condition-variable bugs, each beside its fix: a bounded buffer whose producers and
// consumers share one condition variable and notify_one (the wrong kind of thread is woken and
// everyone sleeps), a consumer that waits with `if` instead of `while` (another consumer takes the
// item first), a flag set outside the lock (the notification comes between the check and the
// wait), a latch that wakes one of its waiters, and a reader/writer lock whose writer does not wait
// for the readers. Written from their textbook descriptions.
#include <memory>
#include <mutex>

#include "classic.hpp"
#include "dca/condition_variable.hpp"
#include "dca/explore/expect.hpp"
#include "dca/mutex.hpp"
#include "dca/shared.hpp"

namespace {

using namespace classics;

// -- bounded buffer with one condition variable -----------------------------------------------

struct buffer {
  static constexpr int capacity = 1;
  dca::mutex m{"m"};
  dca::condition_variable changed{"changed"};
  dca::shared<int> count{"count", 0};
};

/// Two producers and two consumers of one item each over a buffer of one slot. With notify_one a
/// producer can wake the other producer instead of a consumer, and all four end up waiting.
thread_execution_factory bounded_buffer(bool notify_all) {
  return [=] {
    auto b = std::make_shared<buffer>();
    auto wake = [=] { notify_all ? b->changed.notify_all() : b->changed.notify_one(); };
    auto produce = [=] {
      std::unique_lock<dca::mutex> lock{b->m};
      b->changed.wait(lock, [&] { return b->count.load() < buffer::capacity; });
      b->count.store(b->count.load() + 1);
      wake();
    };
    auto consume = [=] {
      std::unique_lock<dca::mutex> lock{b->m};
      b->changed.wait(lock, [&] { return b->count.load() > 0; });
      b->count.store(b->count.load() - 1);
      wake();
    };
    thread_execution exec;
    exec.threads = {{"P1", produce}, {"P2", produce}, {"C1", consume}, {"C2", consume}};
    return exec;
  };
}

// -- waiting with `if` ---------------------------------------------------------------------------

/// Two consumers and one producer of one item. A consumer that waits with `if` may wake after the
/// other consumer took the item: it takes an item that is not there.
thread_execution_factory stolen_wakeup(bool recheck) {
  return [=] {
    auto b = std::make_shared<buffer>();
    auto done = std::make_shared<dca::shared<int>>("done", 0);
    auto consume = [=] {
      std::unique_lock<dca::mutex> lock{b->m};
      if (recheck) {
        b->changed.wait(lock, [&] { return b->count.load() > 0 || done->load() > 0; });
        if (b->count.load() == 0)
          return; // the producer is finished and the item is gone: nothing to take
      } else if (b->count.load() == 0 && done->load() == 0) {
        b->changed.wait(lock); // woken, it takes the item without looking whether it is there
      }
      b->count.store(b->count.load() - 1);
      expect(b->count.load() >= 0, "a consumer took an item that was not there");
    };
    auto produce = [=] {
      std::lock_guard<dca::mutex> g{b->m};
      b->count.store(1);
      done->store(1);
      b->changed.notify_all();
    };
    thread_execution exec;
    exec.threads = {{"C1", consume}, {"C2", consume}, {"P", produce}};
    return exec;
  };
}

// -- a flag set outside the lock -----------------------------------------------------------------

/// The notifier sets the flag without the lock: between the waiter's check and its wait the flag
/// is set and the notification sent to nobody, and the waiter sleeps forever.
thread_execution_factory missed_wakeup(bool under_lock) {
  return [=] {
    auto b = std::make_shared<buffer>();
    auto ready = std::make_shared<dca::shared<bool>>("ready", false);
    auto wait_ready = [=] {
      std::unique_lock<dca::mutex> lock{b->m};
      while (!ready->load())
        b->changed.wait(lock);
    };
    auto set_ready = [=] {
      std::unique_lock<dca::mutex> lock{b->m, std::defer_lock};
      if (under_lock)
        lock.lock();
      ready->store(true);
      if (under_lock)
        lock.unlock();
      b->changed.notify_one();
    };
    thread_execution exec;
    exec.threads = {{"T1 waiter", wait_ready}, {"T2 notifier", set_ready}};
    return exec;
  };
}

// -- a latch -------------------------------------------------------------------------------------

/// Two waiters and a count-down of two. The last count-down wakes one waiter with notify_one: the
/// other sleeps forever.
thread_execution_factory latch(bool notify_all) {
  return [=] {
    auto b = std::make_shared<buffer>();
    b->count.store(2);
    auto await = [=] {
      std::unique_lock<dca::mutex> lock{b->m};
      b->changed.wait(lock, [&] { return b->count.load() == 0; });
    };
    auto count_down = [=] {
      std::lock_guard<dca::mutex> g{b->m};
      b->count.store(b->count.load() - 1);
      if (b->count.load() == 0)
        notify_all ? b->changed.notify_all() : b->changed.notify_one();
    };
    thread_execution exec;
    exec.threads = {{"W1", await}, {"W2", await}, {"D1", count_down}, {"D2", count_down}};
    return exec;
  };
}

// -- a reader/writer lock ------------------------------------------------------------------------

struct rw_lock {
  dca::mutex m{"m"};
  dca::condition_variable changed{"changed"};
  dca::shared<int> readers{"readers", 0};
  dca::shared<bool> writing{"writing", false};
};

/// A reader and a writer over a reader/writer lock built on a mutex and a condition variable.
/// The writer of the buggy lock waits only for other writers, not for readers inside.
thread_execution_factory reader_writer(bool writer_waits_for_readers) {
  return [=] {
    auto l = std::make_shared<rw_lock>();
    auto read = [=] {
      {
        std::unique_lock<dca::mutex> lock{l->m};
        l->changed.wait(lock, [&] { return !l->writing.load(); });
        l->readers.store(l->readers.load() + 1);
      }
      expect(!l->writing.load(), "a writer wrote while a reader read");
      std::lock_guard<dca::mutex> g{l->m};
      l->readers.store(l->readers.load() - 1);
      l->changed.notify_all();
    };
    auto write = [=] {
      {
        std::unique_lock<dca::mutex> lock{l->m};
        l->changed.wait(lock, [&] {
          return !l->writing.load() && (!writer_waits_for_readers || l->readers.load() == 0);
        });
        l->writing.store(true);
      }
      expect(l->readers.load() == 0, "a writer wrote while a reader read");
      std::lock_guard<dca::mutex> g{l->m};
      l->writing.store(false);
      l->changed.notify_all();
    };
    thread_execution exec;
    exec.threads = {{"R", read}, {"W", write}};
    return exec;
  };
}

} // namespace

TEST_CASE("a bounded buffer with one condition variable and notify_one can put everyone to sleep") {
  require_found("bounded buffer, notify_one (dpor)", bounded_buffer(false), strategy::dpor);
  require_found("bounded buffer, notify_one (systematic)", bounded_buffer(false),
                strategy::systematic);
}

TEST_CASE("a bounded buffer with one condition variable and notify_all never sleeps forever") {
  require_proven("bounded buffer, notify_all", bounded_buffer(true));
}

TEST_CASE("a consumer that waits with if can take an item another consumer took") {
  require_found("stolen wakeup, if (systematic)", stolen_wakeup(false), strategy::systematic);
  require_found("stolen wakeup, if (dpor)", stolen_wakeup(false), strategy::dpor);
}

TEST_CASE("a consumer that waits with while never takes a missing item") {
  require_proven("stolen wakeup, while", stolen_wakeup(true));
}

TEST_CASE("a flag set outside the lock can be missed by the waiter for ever") {
  require_found("missed wakeup, unlocked (systematic)", missed_wakeup(false), strategy::systematic);
  require_found("missed wakeup, unlocked (dpor)", missed_wakeup(false), strategy::dpor);
}

TEST_CASE("a flag set under the lock is never missed") {
  require_proven("missed wakeup, locked", missed_wakeup(true));
}

TEST_CASE("a latch that wakes one of two waiters leaves the other asleep") {
  require_found("latch, notify_one (systematic)", latch(false), strategy::systematic);
  require_found("latch, notify_one (dpor)", latch(false), strategy::dpor);
}

TEST_CASE("a latch that wakes every waiter releases them all") {
  require_proven("latch, notify_all", latch(true));
}

TEST_CASE("a writer that does not wait for the readers writes while one reads") {
  require_found("reader/writer, writer ignores readers (systematic)", reader_writer(false),
                strategy::systematic);
  require_found("reader/writer, writer ignores readers (random)", reader_writer(false),
                strategy::random);
}

TEST_CASE("a writer that waits for the readers never writes while one reads") {
  require_proven("reader/writer lock", reader_writer(true));
}
