// The commit listeners of a journal (commit_listeners.hpp).
#include "dca/es/commit_listeners.hpp"

#include <vector>

namespace dca::es {

int commit_listeners::add(commit_listener listener) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void commit_listeners::remove(int id) {
  std::lock_guard<std::mutex> guard{mtx_};
  listeners_.erase(id);
}

void commit_listeners::notify(std::uint64_t position) const {
  std::vector<commit_listener> to_call;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    to_call.reserve(listeners_.size());
    for (auto& entry : listeners_)
      to_call.push_back(entry.second);
  }
  for (auto& fn : to_call)
    fn(position);
}

} // namespace dca::es
