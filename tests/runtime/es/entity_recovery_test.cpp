// Recovery off CAF's workers: with a journal whose reads block (as a disk's do), an entity's
// recovery runs on the journal's own threads. On a scheduler with one worker, a recovery held on a
// latch the test controls must delay neither a hot entity's replies nor, once released, the
// commands that waited for it. No sleeps: the test waits for the latch to be reached.
#include <doctest/doctest.h>

#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "dca/es/entity_host.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using dca::es::testing::ask;
using dca::es::testing::forwarding_journal;

namespace {

/// A memory journal whose reads block like a disk's (reads_block), each I/O task on a thread of
/// its own; the recovery of `slow_key` waits on a latch until the test releases it.
class latched_journal final : public forwarding_journal {
public:
  explicit latched_journal(std::string slow_key) : slow_key_(std::move(slow_key)) {}

  ~latched_journal() override {
    release();
    for (auto& t : threads_)
      t.join();
  }

  bool reads_block() const noexcept override { return true; }

  void run_io(std::function<void()> task) override {
    std::lock_guard<std::mutex> guard{mtx_};
    threads_.emplace_back(std::move(task));
  }

  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& e) override {
    if (e.key == slow_key_) {
      std::unique_lock<std::mutex> guard{mtx_};
      blocked_ = true;
      cv_.notify_all();
      cv_.wait(guard, [this] { return released_; });
    }
    return forwarding_journal::load_snapshot(e);
  }

  /// Returns once the slow recovery is waiting on the latch.
  void wait_until_blocked() {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [this] { return blocked_; });
  }

  void release() {
    std::lock_guard<std::mutex> guard{mtx_};
    released_ = true;
    cv_.notify_all();
  }

private:
  std::string slow_key_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool blocked_ = false;
  bool released_ = false;
  std::vector<std::thread> threads_;
};

using answer = std::future<caf::expected<ack>>;

/// Sends `commands` for `key` in order, from one actor, without waiting; the futures get the
/// answers.
std::vector<answer> send_commands(caf::actor_system& sys, const caf::actor& host, std::string key,
                                  std::vector<account::command> commands) {
  std::vector<std::shared_ptr<std::promise<caf::expected<ack>>>> promises;
  std::vector<answer> result;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    promises.push_back(std::make_shared<std::promise<caf::expected<ack>>>());
    result.push_back(promises.back()->get_future());
  }
  sys.spawn([=](caf::event_based_actor* self) {
    for (std::size_t i = 0; i < commands.size(); ++i)
      self->request(host, caf::infinite, command_atom::value, key, commands[i], std::string{})
          .then([p = promises[i]](const ack& a) { p->set_value(a); },
                [p = promises[i]](caf::error& err) { p->set_value(err); });
  });
  return result;
}

bool answered(answer& a) {
  return a.wait_for(std::chrono::seconds{0}) == std::future_status::ready;
}

} // namespace

TEST_CASE("a recovery blocked on its reads delays neither a hot entity nor the commands it held") {
  auto journal = std::make_shared<latched_journal>("slow"); // outlives the actor system
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1); // one worker: a recovery on it would stall every actor
  caf::actor_system sys{cfg};
  entity_options opts;
  opts.idle_timeout = std::chrono::milliseconds{0};
  auto accounts = spawn_entity_host<account>(sys, journal, opts);
  caf::scoped_actor self{sys};
  auto hot = [&](account::command cmd) {
    return ask<ack>(self, accounts, command_atom::value, std::string{"hot"}, std::move(cmd),
                    std::string{});
  };
  REQUIRE(hot(open_account{"Hot"}));
  auto waiting = send_commands(sys, accounts, "slow", {open_account{"Slow"}, deposit{100}});
  journal->wait_until_blocked();
  for (std::uint64_t i = 0; i < 3; ++i) {
    auto a = hot(deposit{1});
    REQUIRE_MESSAGE(a, render(a.error()));
    CHECK(a->seq == i + 2);
  }
  CHECK(!answered(waiting[0]));
  CHECK(!answered(waiting[1]));
  journal->release();
  auto opened = waiting[0].get();
  auto deposited = waiting[1].get();
  REQUIRE_MESSAGE(opened, render(opened.error()));
  REQUIRE_MESSAGE(deposited, render(deposited.error()));
  CHECK(opened->seq == 1);
  CHECK(deposited->seq == 2);
  anon_send_exit(accounts, caf::exit_reason::user_shutdown);
}
