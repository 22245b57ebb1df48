// Reading a program's stack reports (dca/harness/stack_report.hpp) the way a learner needs them:
// the line of their own file (message_passing.cpp) that was running when the program crashed or
// was stopped at its time limit, found with addr2line in the program's debug information.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace dca::cli {

/// A line of the learner's file that a stack report went through.
struct learner_frame {
  std::string why;      // "SIGSEGV", ..., or "stopped" (the time limit)
  std::string file;     // "message_passing.cpp"
  int line = 0;         // 1-based
  std::string function; // the named function around it: "spawn_counter", "worker"

  /// "message_passing.cpp:15 (in spawn_counter)".
  std::string where() const;
};

/// The first frame in a file named `file_name` in the reports within `output` of `program`: a
/// crash's own stack first, else any stopped thread's. Nothing when no report went through it
/// (or addr2line cannot be run).
std::optional<learner_frame>
find_learner_frame(const std::string& output, const std::filesystem::path& program,
                   const std::string& file_name = "message_passing.cpp");

/// `output` without its stack report lines (they are for dca, not for people).
std::string without_stack_reports(const std::string& output);

/// "lost_update::spawn_counter(caf::actor_system&)::{lambda(...)#1}::operator()..." ->
/// "spawn_counter": the innermost function with a name of its own.
std::string function_name(const std::string& demangled);

} // namespace dca::cli
