// The Jepsen-style checker for replicated sets: record every add the system acknowledged (and
// every acknowledged remove), then count the acknowledged adds missing from the final, converged
// set. An add removed afterwards by an acknowledged remove is not lost. For the OR-Set the count
// must be 0; for a last-writer-wins register holding the set, concurrency and clock skew make it
// positive.
#pragma once

#include <cstddef>
#include <set>

namespace dca::crdt {

template <class T>
class acknowledged_adds {
public:
  /// The system acknowledged adding `x`.
  void added(const T& x) {
    removed_.erase(x);
    added_.insert(x);
  }

  /// The system acknowledged removing `x`: it may be absent at the end.
  void removed(const T& x) {
    added_.erase(x);
    removed_.insert(x);
  }

  /// Acknowledged adds (not removed since) that `final_elements` lacks.
  std::size_t lost_in(const std::set<T>& final_elements) const {
    std::size_t lost = 0;
    for (auto& x : added_)
      lost += final_elements.count(x) == 0 ? 1 : 0;
    return lost;
  }

  std::size_t acknowledged() const noexcept { return added_.size(); }

private:
  std::set<T> added_;
  std::set<T> removed_;
};

} // namespace dca::crdt
