// Parsing and printing schedules: "0.0.1.1" means thread 0 ran two steps, then thread 1 two.
#include "dca/explore/schedule.hpp"

#include <charconv>

namespace dca::explore {

namespace {

/// One dot-separated part of a schedule as a choice: a thread number, or "d" (lost) or "t"
/// (delivered twice) before an actor number; nullopt when it is none of these.
std::optional<int> thread_number(std::string_view part) {
  int (*encode)(int) noexcept = nullptr;
  if (!part.empty() && (part.front() == 'd' || part.front() == 't')) {
    encode = part.front() == 'd' ? drop_choice : duplicate_choice;
    part.remove_prefix(1);
  }
  int value = -1;
  auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
  if (part.empty() || ec != std::errc{} || end != part.data() + part.size() || value < 0 ||
      value >= fault_choice_base)
    return std::nullopt;
  return encode != nullptr ? encode(value) : value;
}

std::string choice_text(int choice) {
  auto who = std::to_string(target_of_choice(choice));
  switch (kind_of_choice(choice)) {
  case choice_kind::drop:
    return "d" + who;
  case choice_kind::duplicate:
    return "t" + who;
  case choice_kind::step:
    break;
  }
  return who;
}

} // namespace

schedule_parsed schedule::parse(std::string_view text) {
  if (text.empty())
    return schedule_parsed::error_of(
        "the schedule is empty: expected thread numbers separated by dots, e.g. 0.1.0.1");
  std::vector<int> choices;
  std::size_t pos = 0;
  for (;;) {
    auto dot = text.find('.', pos);
    auto part =
        text.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    auto value = thread_number(part);
    if (!value)
      return schedule_parsed::error_of("'" + std::string{part} + "' at character " +
                                       std::to_string(pos + 1) +
                                       " is not a thread number: expected e.g. 0.1.0.1");
    choices.push_back(*value);
    if (dot == std::string_view::npos)
      break;
    pos = dot + 1;
  }
  DCA_ASSERT(!choices.empty());
  return schedule_parsed::value_of(schedule{std::move(choices)});
}

std::string schedule::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    if (i > 0)
      out += '.';
    out += choice_text(choices_[i]);
  }
  return out;
}

} // namespace dca::explore
