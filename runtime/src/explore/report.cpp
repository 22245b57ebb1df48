// Rendering an exploration report: a per-thread table for people, JSON for tools.
#include "dca/explore/report.hpp"

#include "dca/explore/message_table.hpp"
#include "dca/json.hpp"

#include <algorithm>
#include <iomanip>
#include <limits>
#include <sstream>

namespace dca::explore {

const char* to_string(outcome x) noexcept {
  switch (x) {
  case outcome::clean:
    return "clean";
  case outcome::invariant_broken:
    return "invariant_broken";
  case outcome::deadlock:
    return "deadlock";
  case outcome::step_limit:
    return "step_limit";
  case outcome::crashed:
    return "crashed";
  }
  return "?";
}

namespace {

std::string base_name(const char* path) {
  std::string p = path;
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

/// "load counter = 41", "store counter := 42", "lock A", "handle inc".
std::string describe(const step& s) {
  std::string out = s.operation;
  if (!s.object.empty())
    out += ' ' + s.object;
  if (!s.value.empty()) {
    if (s.operation == "store")
      out += " := " + s.value;
    else if (s.operation == "load")
      out += " = " + s.value;
    else
      out += ": " + s.value;
  }
  return out;
}

std::string where(const step& s) {
  // A lock taken through std::lock_guard reports the line inside the standard library that called
  // lock(): no help to a reader, so system headers get no location.
  if (s.where.line <= 0 || std::string{s.where.file}.rfind("/usr/", 0) == 0)
    return {};
  return base_name(s.where.file) + ':' + std::to_string(s.where.line);
}

std::string fit(std::string text, std::size_t width) {
  if (text.size() > width)
    text = text.substr(0, width - 3) + "...";
  return text;
}

} // namespace

std::string duration_text(std::chrono::microseconds us) {
  std::ostringstream out;
  if (us.count() < 1000)
    out << us.count() << " us";
  else if (us.count() < 10'000'000)
    out << std::fixed << std::setprecision(1) << us.count() / 1000.0 << " ms";
  else
    out << std::fixed << std::setprecision(1) << us.count() / 1e6 << " s";
  return out.str();
}

namespace {

void json_string(std::ostream& out, const std::string& s) {
  out << json_quoted(s);
}

/// ,"mailboxes":[["inc from W1",...],[]...]: one list of messages per actor.
void print_mailboxes(std::ostream& out, const std::vector<std::vector<std::string>>& boxes) {
  out << ",\"mailboxes\":[";
  for (std::size_t i = 0; i < boxes.size(); ++i) {
    out << (i > 0 ? ",[" : "[");
    for (std::size_t j = 0; j < boxes[i].size(); ++j) {
      out << (j > 0 ? "," : "");
      json_string(out, boxes[i][j]);
    }
    out << ']';
  }
  out << ']';
}

} // namespace

namespace {

/// One column per thread (Lincheck-style): readable up to about a dozen threads.
void print_columns(std::ostream& out, const report& r) {
  constexpr std::size_t column_max = 30;
  std::vector<std::size_t> width(r.actors.size(), 0);
  for (std::size_t i = 0; i < r.actors.size(); ++i)
    width[i] = std::min(column_max, r.actors[i].size());
  for (auto& s : r.trace)
    width[s.actor] = std::min(column_max, std::max(width[s.actor], describe(s).size()));
  out << "step  ";
  for (std::size_t i = 0; i < r.actors.size(); ++i)
    out << std::left << std::setw(static_cast<int>(width[i] + 2)) << fit(r.actors[i], width[i]);
  out << "where\n";
  std::size_t number = 0;
  for (auto& s : r.trace) {
    out << std::right << std::setw(4) << ++number << "  ";
    for (std::size_t i = 0; i < r.actors.size(); ++i) {
      auto cell = static_cast<int>(i) == s.actor ? fit(describe(s), width[i]) : "";
      out << std::left << std::setw(static_cast<int>(width[i] + 2)) << cell;
    }
    out << where(s) << '\n';
  }
  out << std::right;
}

/// Past a dozen threads, one line per step naming its thread; past `steps_shown` steps, only the
/// last of them (the ones that broke the invariant), after a line saying how many came before.
void print_rows(std::ostream& out, const report& r) {
  constexpr std::size_t steps_shown = 60;
  constexpr std::size_t name_max = 24;
  std::size_t name_width = 6;
  for (auto& name : r.actors)
    name_width = std::min(name_max, std::max(name_width, name.size()));
  out << r.actors.size() << " threads, " << r.trace.size() << " steps: one line per step\n";
  auto first = r.trace.size() > steps_shown ? r.trace.size() - steps_shown : 0;
  if (first > 0)
    out << "   (the first " << first << " steps are left out; --format json lists them all)\n";
  out << std::left << "step  " << std::setw(static_cast<int>(name_width + 2)) << "thread"
      << std::setw(32) << "operation"
      << "where\n";
  for (std::size_t i = first; i < r.trace.size(); ++i) {
    const auto& s = r.trace[i];
    out << std::right << std::setw(4) << i + 1 << "  " << std::left
        << std::setw(static_cast<int>(name_width + 2))
        << fit(r.actors[static_cast<std::size_t>(s.actor)], name_width) << std::setw(32)
        << fit(describe(s), 30) << where(s) << '\n';
  }
  out << std::right;
}

} // namespace

void print_table(std::ostream& out, const report& r, const std::string& replay_hint) {
  constexpr std::size_t columns_max = 12;
  if (r.failed() && !r.trace.empty()) {
    if (r.actors.size() <= columns_max)
      print_columns(out, r);
    else
      print_rows(out, r);
    if (shows_message_table(r))
      print_message_table(out, r, message_rows(r));
  }
  switch (r.result) {
  case outcome::clean:
    out << "ok: no schedule broke the invariant";
    break;
  case outcome::deadlock:
    out << "DEADLOCK: ";
    for (std::size_t i = 0; i < r.cycle.size(); ++i)
      out << (i > 0 ? "; " : "") << r.cycle[i];
    if (r.cycle.empty())
      out << r.verdict;
    break;
  default:
    out << "CORRUPTED: " << r.verdict;
    if (r.result != outcome::invariant_broken)
      out << " (" << to_string(r.result) << ')';
  }
  out << '\n';
  if (r.failed() && !replay_hint.empty())
    out << "replay:   " << replay_hint << ' ' << r.failing_schedule.to_string() << '\n';
  out << "explored: " << r.schedules_explored
      << (r.schedules_explored == 1 ? " schedule" : " schedules") << " in "
      << duration_text(r.elapsed);
  if (r.seed)
    out << " (random search, seed " << *r.seed << ')';
  if (!r.failed())
    out << (!r.search_exhausted      ? ", stopped at a limit before the search was exhausted"
            : r.classes_explored > 0 ? ", every class of reorderings"
                                     : ", every schedule within the bound");
  out << '\n';
  if (auto proof = proof_text(r); !proof.empty())
    out << proof << '\n';
}

std::string with_commas(std::uint64_t count) {
  auto digits = std::to_string(count);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::size_t breaking_step(const report& r) {
  if (!r.failed())
    return 0;
  for (auto i = r.trace.size(); i > 0; --i)
    if (r.trace[i - 1].operation != "unlock")
      return i;
  return r.trace.size();
}

std::string proof_text(const report& r) {
  if (r.failed())
    return {};
  auto schedules =
      with_commas(r.schedules_explored) + (r.schedules_explored == 1 ? " schedule" : " schedules");
  if (!r.stopped_by.empty())
    return "not proven: " + r.stopped_by + " reached after " + schedules;
  if (!r.search_exhausted)
    return {};
  if (r.classes_explored > 0)
    return "every schedule clean: " + with_commas(r.classes_explored) +
           (r.classes_explored == 1 ? " class, " : " classes, ") +
           (r.interleavings_naive == std::numeric_limits<std::uint64_t>::max() ? "more than "
                                                                               : "") +
           with_commas(r.interleavings_naive) + " interleavings";
  if (r.bound_cut)
    return "every schedule within the bound clean: " + schedules + " (a larger bound has more)";
  return "every schedule clean: " + schedules;
}

namespace {

/// One step as JSON, in the shape of "trace" (and of "choices").
void print_step(std::ostream& out, const step& s) {
  out << "{\"actor\":" << s.actor << ",\"operation\":";
  json_string(out, s.operation);
  out << ",\"object\":";
  json_string(out, s.object);
  out << ",\"value\":";
  json_string(out, s.value);
  out << ",\"text\":";
  json_string(out, describe(s));
  out << ",\"file\":";
  json_string(out, base_name(s.where.file));
  out << ",\"line\":" << s.where.line;
  // The whole path as compiled, so a tool can show the code around the line (dca explore --html).
  out << ",\"path\":";
  json_string(out, s.where.file);
  if (!s.mailboxes.empty())
    print_mailboxes(out, s.mailboxes);
  out << '}';
}

void print_steps(std::ostream& out, const std::vector<step>& steps) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    out << (i > 0 ? "," : "");
    print_step(out, steps[i]);
  }
}

/// ,"messages":[...]: the message table's rows (message_table.hpp), for runs between nodes
/// (shows_message_table).
void print_messages(std::ostream& out, const report& r) {
  if (!shows_message_table(r))
    return;
  auto rows = message_rows(r);
  out << ",\"messages\":[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& m = rows[i];
    out << (i > 0 ? "," : "") << "{\"from\":" << m.from << ",\"to\":" << m.to << ",\"message\":";
    json_string(out, m.message);
    out << ",\"sent_at\":" << m.sent_at << ",\"handled_at\":[";
    for (std::size_t k = 0; k < m.handled_at.size(); ++k)
      out << (k > 0 ? "," : "") << m.handled_at[k];
    out << "],\"fate\":";
    json_string(out, to_string(m.fate));
    out << ",\"fault_at\":" << m.fault_at << ",\"fault\":";
    json_string(out, m.fault_choice());
    out << '}';
  }
  out << ']';
}

} // namespace

void print_json(std::ostream& out, const report& r) {
  out << "{\"outcome\":";
  json_string(out, to_string(r.result));
  out << ",\"verdict\":";
  json_string(out, r.verdict);
  out << ",\"actors\":[";
  for (std::size_t i = 0; i < r.actors.size(); ++i) {
    out << (i > 0 ? "," : "");
    json_string(out, r.actors[i]);
  }
  out << "],\"trace\":[";
  print_steps(out, r.trace);
  out << "],\"choices\":[";
  print_steps(out, r.choices);
  out << ']';
  print_messages(out, r);
  out << ",\"cycle\":[";
  for (std::size_t i = 0; i < r.cycle.size(); ++i) {
    out << (i > 0 ? "," : "");
    json_string(out, r.cycle[i]);
  }
  out << "],\"breaking_step\":" << breaking_step(r) << ",\"schedule\":";
  json_string(out, r.failing_schedule.to_string());
  out << ",\"schedules_explored\":" << r.schedules_explored
      << ",\"search_exhausted\":" << (r.search_exhausted ? "true" : "false")
      << ",\"classes_explored\":" << r.classes_explored
      << ",\"interleavings_naive\":" << r.interleavings_naive << ",\"stopped_by\":";
  json_string(out, r.stopped_by);
  out << ",\"proof\":";
  json_string(out, proof_text(r));
  if (r.seed)
    out << ",\"seed\":" << *r.seed;
  out << ",\"elapsed_us\":" << r.elapsed.count() << "}\n";
}

} // namespace dca::explore
