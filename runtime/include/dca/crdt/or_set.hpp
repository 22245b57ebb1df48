// An observed-remove set with add-wins semantics (OR-Set, in the delta-state form of Almeida,
// Shoker and Baquero, "Delta State Replicated Data Types", 2018). Every add tags its element with
// a fresh dot; the causal context records every dot the replica has seen. A remove deletes the
// dots it saw and nothing else, so an add concurrent with a remove survives it (add wins), and no
// acknowledged add is lost however the replicas' clocks disagree: there is no clock.
//
// Merge keeps a dot when both sides hold it, or when one side holds it and the other has not seen
// it; a dot one side has seen but dropped was removed there. Every mutator returns a delta (an
// OR-Set holding only what changed) to ship to the other replicas; merging the delta is the same
// join as merging a whole state.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/deep_to_string.hpp>
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "dca/assert.hpp"

#include "dca/crdt/dot.hpp"
#include "dca/crdt/dot_context.hpp"
#include "dca/crdt/errors.hpp"

namespace dca::crdt {

template <class T>
class or_set {
public:
  using value_type = T;

  /// Adds `x` on behalf of `replica` with a fresh dot; the delta also covers the dots `x` had, so
  /// they are replaced rather than kept forever.
  or_set add(const replica_id& replica, const T& x) {
    or_set delta;
    auto d = context_.next(replica);
    delta.context_.insert(d);
    if (auto i = entries_.find(x); i != entries_.end())
      for (auto& old : i->second)
        delta.context_.insert(old);
    delta.entries_[x].insert(d);
    merge(delta);
    return delta;
  }

  /// Removes `x` as this replica sees it: the delta names the dots seen here, so an add this
  /// replica has not seen yet survives.
  or_set remove(const T& x) {
    or_set delta;
    if (auto i = entries_.find(x); i != entries_.end())
      for (auto& seen : i->second)
        delta.context_.insert(seen);
    merge(delta);
    return delta;
  }

  /// Joins `other` (a state or a delta) into this set, in place: drops the dots `other` has seen
  /// but no longer holds (removed there), then takes the dots of `other` this set has not seen.
  /// Visits only the dots this set holds that `other` has seen, and `other`'s entries: merging a
  /// one-add delta costs O(log n) in this set's size n, not a scan of its entries.
  void merge(const or_set& other) {
    other.context_.for_each_run(
        [&](const replica_id& replica, std::uint64_t first, std::uint64_t last) {
          auto i = owners_.lower_bound(dot{replica, first});
          while (i != owners_.end() && i->first.replica == replica && i->first.counter <= last)
            i = other.holds(i->second, i->first) ? std::next(i) : drop(i);
        });
    for (auto& [x, dots] : other.entries_)
      for (auto& d : dots)
        if (!context_.contains(d)) {
          entries_[x].insert(d);
          auto fresh = owners_.emplace(d, x).second;
          DCA_ASSERT(fresh); // one dot names one add: validate() refuses a state that reuses one
        }
    context_.merge(other.context_);
  }

  bool contains(const T& x) const { return entries_.count(x) > 0; }

  /// The elements, in order.
  std::set<T> elements() const {
    std::set<T> xs;
    for (auto& entry : entries_)
      xs.insert(entry.first);
    return xs;
  }

  std::size_t size() const noexcept { return entries_.size(); }

  /// Dots the causal context holds one by one (gaps left by lost or late deltas).
  std::size_t context_cloud_size() const noexcept { return context_.cloud_size(); }

  /// A decoded set must name known replicas only, tag each element with at least one dot, never
  /// use a dot twice, and have seen every dot it holds.
  caf::error validate(const replica_set& known) const {
    if (auto err = context_.validate(known))
      return err;
    std::set<dot> used;
    for (auto& [x, dots] : entries_) {
      if (dots.empty())
        return make_error(errc::malformed_state,
                          "element " + caf::deep_to_string(x) + " has no dot (no add made it)");
      for (auto& d : dots) {
        if (known.count(d.replica) == 0)
          return make_error(errc::unknown_replica, "element " + caf::deep_to_string(x) +
                                                       " was added by replica '" + d.replica +
                                                       "', not one of ours");
        if (!context_.contains(d) || !used.insert(d).second)
          return make_error(errc::malformed_state,
                            "element " + caf::deep_to_string(x) +
                                " holds a dot its causal context has not seen or another "
                                "element holds");
      }
    }
    return caf::none;
  }

  /// A decoded context in canonical form (decoding does not compact).
  void normalize() { context_.compact(); }

  friend bool operator==(const or_set& a, const or_set& b) {
    return a.entries_ == b.entries_ && a.context_ == b.context_;
  }
  friend bool operator!=(const or_set& a, const or_set& b) { return !(a == b); }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, or_set& x) {
    // The owner index is not shipped: a loaded set rebuilds it from its entries.
    return f(caf::meta::type_name("or_set"), x.entries_, x.context_,
             caf::meta::load_callback([&x]() -> caf::error {
               x.index_owners();
               return caf::none;
             }));
  }

private:
  using owner_map = std::map<dot, T>;

  /// Whether this set holds dot `d` for element `x`.
  bool holds(const T& x, const dot& d) const {
    auto i = entries_.find(x);
    return i != entries_.end() && i->second.count(d) > 0;
  }

  /// Removes the dot `i` names from its element (and the element with its last dot).
  typename owner_map::iterator drop(typename owner_map::iterator i) {
    auto entry = entries_.find(i->second);
    DCA_ASSERT(entry != entries_.end());
    entry->second.erase(i->first);
    if (entry->second.empty())
      entries_.erase(entry);
    return owners_.erase(i);
  }

  /// Rebuilds owners_ from entries_. A dot held twice (malformed input) keeps its first owner
  /// here; validate() refuses such a set before anyone merges it.
  void index_owners() {
    owners_.clear();
    for (auto& [x, dots] : entries_)
      for (auto& d : dots)
        owners_.emplace(d, x);
  }

  std::map<T, std::set<dot>> entries_; // element -> the dots of the adds that put it there
  dot_context context_;                // every dot this replica has seen, removed ones included
  owner_map owners_;                   // dot -> its element: entries_ indexed by dot, not shipped
};

} // namespace dca::crdt
