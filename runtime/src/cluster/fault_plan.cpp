// The fault plan's dice and its text form (the command line's --faults).
#include "dca/cluster/fault_plan.hpp"

#include <sstream>

#include "dca/assert.hpp"

namespace dca::cluster {

const char* to_string(fault x) noexcept {
  switch (x) {
  case fault::deliver:
    return "deliver";
  case fault::drop:
    return "drop";
  case fault::duplicate:
    return "duplicate";
  case fault::delay:
    return "delay";
  case fault::reorder:
    return "reorder";
  }
  return "unknown";
}

namespace {

std::uint64_t rates_sum(const fault_plan& p) {
  return std::uint64_t{p.drop_per_mille} + p.duplicate_per_mille + p.delay_per_mille +
         p.reorder_per_mille;
}

// Sets one field of `out` from "name=value"; returns what was wrong, or an empty string.
std::string set_plan_field(const std::string& name, std::uint64_t value, fault_plan& out) {
  if (name == "seed")
    out.seed = value;
  else if (name == "delay_ms")
    out.delay = std::chrono::milliseconds{value};
  else if (value > 1000)
    return "fault rate " + name + "=" + std::to_string(value) + " is over 1000 per mille";
  else if (name == "drop")
    out.drop_per_mille = static_cast<std::uint32_t>(value);
  else if (name == "dup")
    out.duplicate_per_mille = static_cast<std::uint32_t>(value);
  else if (name == "delay")
    out.delay_per_mille = static_cast<std::uint32_t>(value);
  else if (name == "reorder")
    out.reorder_per_mille = static_cast<std::uint32_t>(value);
  else
    return "unknown fault '" + name + "' (use drop, dup, delay, reorder, delay_ms, seed)";
  return {};
}

} // namespace

std::string parse_fault_plan(const std::string& text, fault_plan& out) {
  fault_plan plan;
  std::istringstream in{text};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto eq = item.find('=');
    if (eq == std::string::npos || eq + 1 == item.size())
      return "fault '" + item + "' has no value: write name=number, e.g. drop=100";
    auto digits = item.substr(eq + 1);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 18)
      return "fault '" + item + "': the value must be a whole number";
    if (auto err = set_plan_field(item.substr(0, eq), std::stoull(digits), plan); !err.empty())
      return err;
  }
  if (rates_sum(plan) > 1000)
    return "fault rates add up to " + std::to_string(rates_sum(plan)) +
           " per mille: at most 1000 messages in 1000 can be faulted";
  out = plan;
  return {};
}

fault_dice::fault_dice(const fault_plan& plan) : plan_(plan), rng_(plan.seed) {
  DCA_ASSERT(rates_sum(plan) <= 1000);
}

fault fault_dice::roll() {
  auto r = rng_() % 1000;
  if (r < plan_.drop_per_mille)
    return fault::drop;
  r -= plan_.drop_per_mille;
  if (r < plan_.duplicate_per_mille)
    return fault::duplicate;
  r -= plan_.duplicate_per_mille;
  if (r < plan_.delay_per_mille)
    return fault::delay;
  r -= plan_.delay_per_mille;
  if (r < plan_.reorder_per_mille)
    return fault::reorder;
  return fault::deliver;
}

} // namespace dca::cluster
