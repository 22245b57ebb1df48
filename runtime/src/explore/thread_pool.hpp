// The OS threads the thread explorer runs explored threads on, kept across schedules: a search
// runs thousands of schedules of the same threads, and a fresh OS thread per explored thread per
// schedule made a 100-thread program run at ~10 schedules/s. A worker runs one job at a time; a
// job that never returns (an explored thread blocked on something the explorer cannot see) is
// given up: its worker leaves the pool and is detached, never reused.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dca/assert.hpp"

namespace dca::explore::detail {

class thread_pool {
public:
  thread_pool() = default;
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  ~thread_pool() {
    for (auto& w : workers_) {
      {
        std::lock_guard<std::mutex> guard{w->m};
        w->quit = true;
      }
      w->wake.notify_one();
      w->os.join();
    }
  }

  /// Runs `job` on an idle worker, or on a new one when all are busy.
  void run(std::function<void()> job) {
    for (auto& w : workers_) {
      std::lock_guard<std::mutex> guard{w->m};
      if (!w->busy) {
        w->busy = true;
        w->job = std::move(job);
        w->wake.notify_one();
        return;
      }
    }
    workers_.push_back(std::make_unique<worker>());
    auto& w = *workers_.back();
    w.busy = true;
    w.job = std::move(job);
    w.os = std::thread{[&w] { w.serve(); }};
  }

  /// Waits until every job has returned. Precondition: each will (none was given up).
  void await_all() {
    for (auto& w : workers_) {
      std::unique_lock<std::mutex> guard{w->m};
      w->done.wait(guard, [&] { return !w->busy; });
    }
  }

  /// Gives up every worker whose job has not returned: detached, it keeps running that job, and
  /// the pool starts new workers in its place.
  void give_up_busy() {
    std::vector<std::unique_ptr<worker>> kept;
    for (auto& w : workers_) {
      std::unique_lock<std::mutex> guard{w->m};
      if (!w->busy) {
        guard.unlock();
        kept.push_back(std::move(w));
        continue;
      }
      w->quit = true; // once the job returns, the worker ends
      w->os.detach(); // and frees itself: it owns its state from now on
      w->owns_itself = true;
      guard.unlock();
      (void)w.release();
    }
    workers_ = std::move(kept);
  }

  std::size_t size() const noexcept { return workers_.size(); }

private:
  struct worker {
    std::mutex m;
    std::condition_variable wake; // a job came, or quit
    std::condition_variable done; // the job returned
    std::function<void()> job;
    bool busy = false;
    bool quit = false;
    bool owns_itself = false; // given up: deletes itself when its job returns
    std::thread os;

    void serve() {
      std::unique_lock<std::mutex> guard{m};
      for (;;) {
        wake.wait(guard, [&] { return busy || quit; });
        if (!busy)
          return; // quit while idle
        auto current = std::move(job);
        guard.unlock();
        current();
        current = nullptr; // the job's captures go before the pool hears it is done
        guard.lock();
        busy = false;
        done.notify_all();
        if (owns_itself) {
          guard.unlock();
          delete this;
          return;
        }
      }
    }
  };

  std::vector<std::unique_ptr<worker>> workers_;
};

} // namespace dca::explore::detail
