// A schedule is the list of which thread (or actor) ran at each step. Printed as a string such as
// "0.0.1.1.0" it replays a failing run exactly: `dca explore 01 --replay 0.0.1.1.0`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dca::explore {

class schedule {
public:
  schedule() = default;
  explicit schedule(std::vector<int> choices) : choices_(std::move(choices)) {}

  /// Parses "0.0.1.1"; returns nullopt (and sets `error`) on anything else.
  static std::optional<schedule> parse(std::string_view text, std::string* error = nullptr);

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

} // namespace dca::explore
