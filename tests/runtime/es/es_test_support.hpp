// Helpers shared by the runtime.es tests: a journal whose appends complete only when the test says
// so (to hold commands in flight deterministically), temporary files, and blocking requests.
#pragma once

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include <caf/scoped_actor.hpp>

#include "dca/es/memory_journal.hpp"

namespace dca::es::testing {

/// A journal that hands every call to a memory journal; tests derive from it to change one call.
class forwarding_journal : public journal {
public:
  void append(append_request req, append_callback done) override {
    inner.append(std::move(req), std::move(done));
  }
  caf::error read_stream(const entity_id& e, std::uint64_t from, std::size_t max,
                         std::vector<event_record>& out) override {
    return inner.read_stream(e, from, max, out);
  }
  caf::expected<std::size_t> replay_stream(const entity_id& e, std::uint64_t from, std::size_t max,
                                           const event_visitor& visit) override {
    return inner.replay_stream(e, from, max, visit);
  }
  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override {
    return inner.read_all(after, max, out);
  }
  caf::expected<std::optional<snapshot_record>> load_snapshot(const entity_id& e) override {
    return inner.load_snapshot(e);
  }
  void save_snapshot(const entity_id& e, snapshot_record s) override {
    inner.save_snapshot(e, std::move(s));
  }
  std::uint64_t committed_position() const override { return inner.committed_position(); }
  int subscribe(commit_listener l) override { return inner.subscribe(std::move(l)); }
  void unsubscribe(int id) override { inner.unsubscribe(id); }

  memory_journal inner;
};

/// Wraps a memory journal; appends wait in a queue until `release` completes them, from the
/// calling (test) thread, so their callbacks arrive as messages like the SQLite journal's do.
class held_journal final : public forwarding_journal {
public:
  void append(append_request req, append_callback done) override {
    std::lock_guard<std::mutex> guard{mtx_};
    held_.emplace_back(std::move(req), std::move(done));
  }
  /// Completes the oldest `n` held appends; returns how many there were.
  std::size_t release(std::size_t n = static_cast<std::size_t>(-1)) {
    std::size_t done = 0;
    for (; done < n; ++done) {
      std::pair<append_request, append_callback> next;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (held_.empty())
          break;
        next = std::move(held_.front());
        held_.pop_front();
      }
      inner.append(std::move(next.first), std::move(next.second));
    }
    return done;
  }
  std::size_t held() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return held_.size();
  }

private:
  mutable std::mutex mtx_;
  std::deque<std::pair<append_request, append_callback>> held_;
};

/// Appends and waits for the answer (the SQLite journal answers from its writer thread).
inline caf::expected<append_result> append_sync(journal& j, append_request req) {
  std::mutex mtx;
  std::condition_variable cv;
  std::optional<caf::expected<append_result>> result;
  j.append(std::move(req), [&](caf::expected<append_result> r) {
    std::lock_guard<std::mutex> guard{mtx};
    result = std::move(r);
    cv.notify_one();
  });
  std::unique_lock<std::mutex> guard{mtx};
  cv.wait(guard, [&] { return result.has_value(); });
  return std::move(*result);
}

/// A fresh directory under the build tree's temp area, removed at scope exit.
class temp_dir {
public:
  temp_dir() {
    auto base = std::filesystem::temp_directory_path() / "dca-es-test-XXXXXX";
    std::string tmpl = base.string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      std::abort();
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

/// Sends a request from a scoped actor and waits for the answer (real scheduler).
template <class T, class... Ts>
caf::expected<T> ask(caf::scoped_actor& self, const caf::actor& dest, Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  self->request(dest, std::chrono::seconds{30}, std::forward<Ts>(xs)...)
      .receive([&](T& x) { result = std::move(x); }, [&](caf::error& err) { result = err; });
  return result;
}

} // namespace dca::es::testing
