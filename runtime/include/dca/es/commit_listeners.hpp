// The commit listeners of a journal: registration, removal, and the call after each commit. One
// helper for every journal implementation (memory, SQLite), so they register and notify alike.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>

#include "dca/es/journal.hpp"

namespace dca::es {

class commit_listeners {
public:
  /// Registers `listener`; returns its id for `remove`.
  int add(commit_listener listener);
  void remove(int id);
  /// Calls every listener with `position`, outside the lock: a listener may (un)subscribe.
  void notify(std::uint64_t position) const;

private:
  mutable std::mutex mtx_;
  std::map<int, commit_listener> listeners_;
  int next_id_ = 1;
};

} // namespace dca::es
