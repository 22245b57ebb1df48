// The SQLite journal's own I/O threads: where recoveries and projections run their reads (and a
// projection its read-model writes), so that a slow disk holds up none of CAF's workers. Private
// to the library.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dca::es {

class io_threads {
public:
  /// Starts `threads_max` threads.
  explicit io_threads(std::size_t threads_max);
  /// Stops (see stop).
  ~io_threads();

  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  /// Runs `task` on one of the threads, in submission order with the others.
  void submit(std::function<void()> task);
  /// Runs the tasks already submitted, then stops the threads. Later submissions run inline (the
  /// journal is closing; a recovery must still get its answer).
  void stop();

private:
  /// What the threads share; theirs too, so a thread that outlives us (detached by stop) is safe.
  struct queue {
    std::mutex mtx;
    std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
  };

  static void run(const std::shared_ptr<queue>& q);

  std::shared_ptr<queue> queue_;
  std::vector<std::thread> threads_;
};

} // namespace dca::es
