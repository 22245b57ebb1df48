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

namespace {

/// A memory journal whose reads block (reads_block) and whose I/O tasks wait in a queue until the
/// test runs them: a recovery asked for now runs whenever the test says.
class held_io_journal final : public forwarding_journal {
public:
  bool reads_block() const noexcept override { return true; }

  void run_io(std::function<void()> task) override {
    std::lock_guard<std::mutex> guard{mtx_};
    held_.push_back(std::move(task));
    cv_.notify_all();
  }

  /// Returns once `count` tasks are held.
  void wait_for_held(std::size_t count) {
    std::unique_lock<std::mutex> guard{mtx_};
    cv_.wait(guard, [&] { return held_.size() >= count; });
  }

  /// Runs the held tasks on this thread, then destroys them.
  void run_held() {
    std::vector<std::function<void()>> tasks;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      tasks.swap(held_);
    }
    for (auto& t : tasks)
      t();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<std::function<void()>> held_;
};

/// One host's view of a shared journal that only that host keeps alive, as a shard owner's fence
/// is (dca::cluster::fenced_journal).
class host_view final : public journal {
public:
  explicit host_view(std::shared_ptr<journal> shared) : shared_(std::move(shared)) {}

  void append(append_request req, append_callback done) override {
    shared_->append(std::move(req), std::move(done));
  }
  caf::error read_stream(const entity_id& e, std::uint64_t from, std::size_t max,
                         std::vector<event_record>& out) override {
    return shared_->read_stream(e, from, max, out);
  }
  caf::expected<std::size_t> replay_stream(const entity_id& e, std::uint64_t from, std::size_t max,
                                           const event_visitor& visit) override {
    return shared_->replay_stream(e, from, max, visit);
  }
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override {
    return shared_->read_all(after, max, out);
  }
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& e) override {
    return shared_->load_snapshot(e);
  }
  void save_snapshot(const entity_id& e, snapshot_record s) override {
    shared_->save_snapshot(e, std::move(s));
  }
  std::uint64_t committed_position() const override { return shared_->committed_position(); }
  int subscribe(commit_listener l) override { return shared_->subscribe(std::move(l)); }
  void unsubscribe(int id) override { shared_->unsubscribe(id); }
  bool reads_block() const noexcept override { return shared_->reads_block(); }
  void run_io(std::function<void()> task) override { shared_->run_io(std::move(task)); }

private:
  std::shared_ptr<journal> shared_;
};

} // namespace

// A node that loses a shard stops its host while an entity's recovery still waits for the
// journal's threads; the recovery must then run against a journal that is still there (it once
// ran against the destroyed fence: "pure virtual method called" in the three-node test).
TEST_CASE("a recovery still queued when its host stops keeps the host's journal alive") {
  auto shared = std::make_shared<held_io_journal>();
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto view = std::make_shared<host_view>(shared);
  std::weak_ptr<host_view> watched = view;
  auto accounts = spawn_entity_host<account>(sys, std::move(view), entity_options{});
  auto waiting = send_commands(sys, accounts, "k", {open_account{"K"}});
  shared->wait_for_held(1);
  caf::scoped_actor self{sys};
  anon_send_exit(accounts, caf::exit_reason::user_shutdown);
  self->wait_for(accounts);
  // The host and its entity are gone once the view has no owner but the queued task: wait for
  // that (each actor drops its reference when it exits), with a deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (watched.use_count() > 1 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  REQUIRE(watched.use_count() == 1); // the queued recovery's reference, and no other
  shared->run_held();                // reads through the view: it must still be there
  CHECK(watched.expired());          // and the task let it go when it was done
  auto answer = waiting[0].get();
  CHECK(!answer); // the entity stopped before it recovered: the command failed, visibly
}
