// The SQLite journal's I/O threads (io_threads.hpp).
#include "io_threads.hpp"

#include "dca/assert.hpp"

namespace dca::es {

io_threads::io_threads(std::size_t threads_max) : queue_(std::make_shared<queue>()) {
  DCA_ASSERT(threads_max > 0);
  threads_.reserve(threads_max);
  for (std::size_t i = 0; i < threads_max; ++i)
    threads_.emplace_back([q = queue_] { run(q); });
}

io_threads::~io_threads() {
  stop();
}

void io_threads::submit(std::function<void()> task) {
  std::unique_lock<std::mutex> guard{queue_->mtx};
  if (queue_->stopping) {
    guard.unlock();
    task();
    return;
  }
  queue_->tasks.push_back(std::move(task));
  guard.unlock();
  queue_->cv.notify_one();
}

void io_threads::stop() {
  {
    std::lock_guard<std::mutex> guard{queue_->mtx};
    queue_->stopping = true;
  }
  queue_->cv.notify_all();
  for (auto& t : threads_) {
    if (!t.joinable())
      continue;
    // A task may drop the last reference to the journal (and so stop us) on one of our threads:
    // that one cannot join itself; it finishes on its own, on the queue it shares.
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else
      t.join();
  }
}

void io_threads::run(const std::shared_ptr<queue>& q) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> guard{q->mtx};
      q->cv.wait(guard, [&q] { return q->stopping || !q->tasks.empty(); });
      if (q->tasks.empty())
        return; // stopping and drained
      task = std::move(q->tasks.front());
      q->tasks.pop_front();
    }
    task();
  }
}

} // namespace dca::es
