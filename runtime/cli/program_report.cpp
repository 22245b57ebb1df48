// Reading the exercise programs' JSON reports (runtime/src/harness/exercise_main.cpp writes them).
#include "program_report.hpp"

#include <iomanip>
#include <sstream>

#include "dca/explore/report.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/json.hpp"

namespace dca::cli {

namespace {

/// "step 3  worker 1: reads count = 7  (scenario.cpp:42)".
std::string step_words(std::size_t number, const json_value& step,
                       const std::vector<std::string>& actors) {
  auto actor = static_cast<std::size_t>(step.integer_at("actor", -1));
  auto who = actor < actors.size() ? actors[actor] : "actor " + std::to_string(actor);
  return "step " + std::to_string(number) + "  " + who + ": " + step.string_at("text") + "  (" +
         step.string_at("file") + ":" + std::to_string(step.integer_at("line")) + ")";
}

std::vector<std::string> strings_of(const json_value* array) {
  std::vector<std::string> out;
  if (array != nullptr)
    for (const auto& item : array->items)
      out.push_back(item.text);
  return out;
}

} // namespace

std::string run_report::summary_line() const {
  return summary + "  (" + harness::with_commas(elapsed_ms) + " ms)";
}

std::string explore_report::what_broke(const std::string& separator) const {
  if (outcome == "deadlock" && !cycle.empty()) {
    std::string out;
    for (std::size_t i = 0; i < cycle.size(); ++i)
      out += (i > 0 ? separator : "") + cycle[i];
    return out;
  }
  if (outcome == "deadlock" || outcome == "invariant_broken")
    return verdict;
  return verdict + " (" + outcome + ")";
}

std::string explore_report::explored_words() const {
  auto out = harness::with_commas(schedules_explored) +
             (schedules_explored == 1 ? " schedule" : " schedules") + " in " +
             explore::duration_text(std::chrono::microseconds{elapsed_us});
  if (seed)
    out += " (random search, seed " + harness::with_commas(*seed) + ")";
  if (failed())
    return out;
  if (!proof.empty())
    return out + ", " + proof;
  return out + (search_exhausted ? ", every schedule within the bound"
                                 : ", stopped at a limit before the search was exhausted");
  return out;
}

std::optional<run_report> read_run_report(const std::string& output) {
  auto json = last_json_object(output);
  if (!json || json->find("corrupted") == nullptr)
    return std::nullopt;
  run_report r;
  r.corrupted = json->boolean_at("corrupted");
  r.summary = json->string_at("summary");
  r.elapsed_ms = json->integer_at("elapsed_ms");
  return r;
}

std::optional<explore_report> read_explore_report(const std::string& output) {
  auto json = last_json_object(output);
  if (!json || json->find("outcome") == nullptr)
    return std::nullopt;
  explore_report r;
  r.outcome = json->string_at("outcome");
  r.verdict = json->string_at("verdict");
  r.cycle = strings_of(json->find("cycle"));
  r.schedule = json->string_at("schedule");
  r.schedules_explored = json->integer_at("schedules_explored");
  r.search_exhausted = json->boolean_at("search_exhausted");
  r.proof = json->string_at("proof");
  if (json->find("seed") != nullptr)
    r.seed = json->integer_at("seed");
  r.elapsed_us = json->integer_at("elapsed_us");
  auto actors = strings_of(json->find("actors"));
  if (const auto* trace = json->find("trace"))
    for (std::size_t i = 0; i < trace->items.size(); ++i)
      r.steps.push_back(step_words(i + 1, trace->items[i], actors));
  return r;
}

} // namespace dca::cli
