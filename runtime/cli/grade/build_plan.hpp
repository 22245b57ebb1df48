// How `dca grade` builds a learner's message_passing.cpp: read from the instructor's own build
// (compile_commands.json for the compile line, Ninja for the link lines), so the learner's file is
// compiled with the exact flags and linked with the exact objects of the instructor's solNN_spec.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "context.hpp"

namespace dca::cli {

/// How to build one exercise's spec binary (and program) from a learner's message_passing.cpp.
struct build_plan {
  const exercise_entry* entry = nullptr;
  std::filesystem::path instructor_dir; // <source>/exercises/NN_name
  std::vector<std::string> compile;     // with {SOURCE} and {OBJECT} placeholders
  std::filesystem::path compile_dir;
  std::vector<std::string> link;         // with {OBJECT} and {OUTPUT} placeholders
  std::vector<std::string> program_link; // the exercise program (for exploring), same placeholders
  bool explores = false;                 // the exercise explores its actor variant
  /// Judged (the build has judgeNN_spec, judgeNN and subjectNN, see cmake/judge.cmake): the spec
  /// and the program that run are the instructor's judge binaries, which hold no learner code;
  /// `link` then links the learner's file into the subject they start (named by DCA_SUBJECT).
  bool judged = false;
  std::filesystem::path judge_spec, judge_program;
  std::filesystem::path link_dir;
  bool sanitized = false; // -fsanitize: no address-space limit
  std::vector<std::string>
      instructor_files; // paths (relative to the source) a learner may not edit
  /// The spec's case names, listed by the instructor's solNN_spec: a pass needs each of them
  /// reported passed on the evidence channel.
  std::vector<std::string> spec_cases;
};

/// One compile command of compile_commands.json.
struct compile_command {
  std::filesystem::path directory;
  std::string file;
  std::vector<std::string> words;
};

/// The build's compile_commands.json; throws when it is missing or unreadable.
std::vector<compile_command> read_compile_commands(const context& ctx);

/// Whether exercise `e` is judged: it has stand-ins and a subject under tests/judge/NN_name.
bool has_judge(const context& ctx, const exercise_entry& e);

/// The plan for exercise `e`, from the instructor's build (which must be built already, the judge
/// binaries too when `judged`).
build_plan plan_build(const context& ctx, const exercise_entry& e,
                      const std::vector<compile_command>& commands, bool judged);

/// `argv` with each word that is a key of `values` replaced by its value ({OBJECT} -> a path).
std::vector<std::string>
with_placeholders(std::vector<std::string> argv,
                  const std::vector<std::pair<std::string, std::string>>& values);

} // namespace dca::cli
