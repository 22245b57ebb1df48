// The queue in front of a journal's writer thread (journal_queue.hpp).
#include "journal_queue.hpp"

#include <algorithm>

#include "dca/assert.hpp"
#include "dca/es/errors.hpp"

namespace dca::es {

journal_queue::journal_queue(std::string name, std::size_t append_queue_max)
    : name_(std::move(name)), append_queue_max_(append_queue_max) {
  DCA_ASSERT(append_queue_max_ > 0);
}

void journal_queue::append(append_request req, append_callback done) {
  DCA_ASSERT(!req.events.empty());
  std::unique_lock<std::mutex> guard{mtx_};
  if (stopping_) {
    guard.unlock();
    done(make_error(errc::journal_closed, name_ + ": journal closed"));
    return;
  }
  if (jobs_.size() >= append_queue_max_) {
    guard.unlock();
    done(make_error(errc::overloaded, name_ + ": append queue full (append_queue_max = " +
                                          std::to_string(append_queue_max_) + ")"));
    return;
  }
  jobs_.push_back(journal_job{false, std::move(req), std::move(done), {}});
  guard.unlock();
  cv_.notify_one();
}

void journal_queue::save_snapshot(const entity_id& entity, snapshot_record snapshot) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (stopping_ || jobs_.size() >= append_queue_max_)
    return;
  append_request req;
  req.entity = entity;
  jobs_.push_back(journal_job{true, std::move(req), nullptr, std::move(snapshot)});
  guard.unlock();
  cv_.notify_one();
}

bool journal_queue::wait() {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return stopping_ || !jobs_.empty(); });
  return !jobs_.empty();
}

std::size_t journal_queue::take(std::vector<journal_job>& batch, std::size_t events,
                                std::size_t events_max) {
  std::lock_guard<std::mutex> guard{mtx_};
  while (!jobs_.empty()) {
    auto n = std::max<std::size_t>(jobs_.front().req.events.size(), 1);
    if (!batch.empty() && events + n > events_max)
      break;
    events += n;
    batch.push_back(std::move(jobs_.front()));
    jobs_.pop_front();
  }
  return events;
}

void journal_queue::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
}

} // namespace dca::es
