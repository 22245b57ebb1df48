// A schedule is the list of which thread (or actor) ran at each step. Printed as a string such as
// "0.0.1.1.0" it replays a failing run exactly: `dca explore 01 --replay 0.0.1.1.0`. A step may
// also be a fault the actor explorer chose on a lossy link (actor_world::lossy): "d2" loses the
// message actor 2 would handle next, "t2" delivers it twice. Faults are choices like any other,
// so a schedule that loses a reply names it and replays it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dca/assert.hpp"

namespace dca::explore {

class schedule_parsed;

/// What one choice of a schedule is: a step of thread (actor) n, or a fault on the link into
/// actor n. The search sees every choice as an int; faults are encoded above every actor index.
enum class choice_kind { step, drop, duplicate };

constexpr int fault_choice_base = 1 << 20;

constexpr int drop_choice(int who) noexcept {
  return fault_choice_base + who;
}

constexpr int duplicate_choice(int who) noexcept {
  return 2 * fault_choice_base + who;
}

constexpr choice_kind kind_of_choice(int choice) noexcept {
  return choice >= 2 * fault_choice_base ? choice_kind::duplicate
         : choice >= fault_choice_base   ? choice_kind::drop
                                         : choice_kind::step;
}

/// The thread (actor) a choice runs, or whose next message it loses or duplicates.
constexpr int target_of_choice(int choice) noexcept {
  return choice % fault_choice_base;
}

class schedule {
public:
  schedule() = default;
  explicit schedule(std::vector<int> choices) : choices_(std::move(choices)) {}

  /// Parses "0.0.1.1": the schedule, or an error saying what in the text is not a thread number.
  static schedule_parsed parse(std::string_view text);

  /// Renders as "0.0.1.1"; runs of one thread are written out so a person can follow them.
  std::string to_string() const;

  const std::vector<int>& choices() const noexcept { return choices_; }
  std::vector<int>& choices() noexcept { return choices_; }
  bool empty() const noexcept { return choices_.empty(); }
  std::size_t size() const noexcept { return choices_.size(); }

  friend bool operator==(const schedule& a, const schedule& b) { return a.choices_ == b.choices_; }

private:
  std::vector<int> choices_;
};

/// What `schedule::parse` returns: the schedule, or why the text is not one ("'x' at character 3
/// is not a thread number: expected e.g. 0.1.0.1"). The error travels with the value, so a caller
/// cannot read one without having checked which it holds.
class schedule_parsed {
public:
  static schedule_parsed value_of(schedule x) { return schedule_parsed{std::move(x), {}}; }

  static schedule_parsed error_of(std::string why) {
    DCA_ASSERT_MSG(!why.empty(), "a parse error says why");
    return schedule_parsed{std::nullopt, std::move(why)};
  }

  bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  /// The schedule. Precondition: has_value().
  const schedule& value() const {
    DCA_ASSERT(has_value());
    return *value_;
  }
  const schedule& operator*() const { return value(); }
  const schedule* operator->() const { return &value(); }

  /// Why the text is not a schedule. Precondition: !has_value().
  const std::string& error() const {
    DCA_ASSERT(!has_value());
    return error_;
  }

private:
  schedule_parsed(std::optional<schedule> value, std::string error)
      : value_(std::move(value)), error_(std::move(error)) {}

  std::optional<schedule> value_;
  std::string error_;
};

} // namespace dca::explore
