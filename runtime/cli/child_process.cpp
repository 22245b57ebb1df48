// Polling a child's pipes against a deadline.
#include "child_process.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "dca/assert.hpp"

namespace dca::cli {

namespace {

/// Output kept from a child: the first three quarters of the bound, then a sliding tail.
class bounded_output {
public:
  explicit bounded_output(std::size_t bytes_max)
      : head_max_(bytes_max * 3 / 4), tail_max_(bytes_max - head_max_) {}

  void append(const char* data, std::size_t n) {
    std::size_t to_head = std::min(n, head_max_ - std::min(head_max_, head_.size()));
    head_.append(data, to_head);
    if (to_head == n)
      return;
    tail_.append(data + to_head, n - to_head);
    if (tail_.size() > tail_max_) {
      cut_ = true;
      tail_.erase(0, tail_.size() - tail_max_);
    }
  }

  std::string text() const {
    if (!cut_)
      return head_ + tail_;
    return head_ + "\n... (output cut: more than " + std::to_string((head_max_ + tail_max_) >> 10) +
           " KiB) ...\n" + tail_;
  }

private:
  std::size_t head_max_, tail_max_;
  std::string head_, tail_;
  bool cut_ = false;
};

/// Reads what `fd` has; false at its end (or an error).
bool read_some(int fd, bounded_output* keep, std::string* text) {
  char buffer[8192];
  auto n = read(fd, buffer, sizeof buffer);
  if (n <= 0)
    return false;
  if (keep != nullptr)
    keep->append(buffer, static_cast<std::size_t>(n));
  else
    text->append(buffer, static_cast<std::size_t>(n));
  return true;
}

void drain_now(int fd, bounded_output& keep) {
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  while (read_some(fd, &keep, nullptr)) {
  }
}

} // namespace

pipes_read read_pipes(const pipes_plan& plan) {
  DCA_ASSERT(plan.output_fd >= 0);
  pipes_read result;
  bounded_output keep{plan.output_bytes_max};
  bool out_open = true, status_open = plan.status_fd >= 0;
  auto next_tick = std::chrono::steady_clock::now() + plan.tick;
  while (out_open || status_open) {
    if (plan.stop != nullptr && *plan.stop != 0) {
      result.stopped = true;
      break;
    }
    if (plan.on_tick && std::chrono::steady_clock::now() >= next_tick) {
      plan.on_tick();
      next_tick += plan.tick;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        plan.deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd p[2] = {{out_open ? plan.output_fd : -1, POLLIN, 0},
                   {status_open ? plan.status_fd : -1, POLLIN, 0}};
    int ready = poll(p, 2, static_cast<int>(std::min<long long>(left.count(), 500)));
    if (ready < 0 && errno != EINTR)
      break;
    if (ready <= 0)
      continue;
    if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)))
      out_open = read_some(plan.output_fd, &keep, nullptr);
    if (status_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
      status_open = read_some(plan.status_fd, nullptr, &result.status);
    if (plan.output_ends_with_status && plan.status_fd >= 0 && !status_open && out_open) {
      drain_now(plan.output_fd, keep);
      out_open = false;
    }
  }
  result.output = keep.text();
  return result;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

} // namespace dca::cli
