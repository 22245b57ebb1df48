// The grader: one learner's message_passing.cpp for one exercise, built with the instructor's
// build plan and run under K seeds, every step in the sandbox. Its verdict, points and the words
// that explain them go into an exercise_grade.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "context.hpp"
#include "grade/build_plan.hpp"
#include "grade/grade_report.hpp"
#include "grade/sandbox.hpp"
#include "grade/slot_services.hpp"
#include "spec_words.hpp"

namespace dca::cli {

struct grading_options {
  int rounds = 3;
  std::uint64_t schedules = 200; // random delivery orders explored per seed
  std::uint64_t seed = 1;
  std::chrono::seconds time_limit{60}; // every run's limit when fixed (--time-limit), else unused
  bool time_limit_fixed = false;       // else each exercise's from calibrate_run_limits
  std::map<std::string, std::chrono::seconds> run_limits; // by exercise id, once calibrated
  std::chrono::seconds compile_limit{300};
  std::map<std::string, double> points; // by exercise id
  double points_default = 10;
  double hygiene_penalty_percent = 0;
  bool keep_scratch = false;

  double points_of(const std::string& id) const;
  /// The wall-clock limit of one spec run or exploration of exercise `id`.
  std::chrono::seconds run_limit_of(const std::string& id) const;
};

/// The compile limit is max(the floor in opts.compile_limit, this x the reference's compile time).
constexpr int compile_limit_factor = 3;

/// Times the compile of each exercise's reference solution once, in the sandbox's slot 0, exactly
/// as a learner's file is compiled, and raises opts.compile_limit to compile_limit_factor times
/// the slowest (never below the floor it had). Returns one line for the report's header.
std::string calibrate_compile_limit(const context& ctx, const sandbox& box,
                                    const std::vector<build_plan>& plans,
                                    const std::filesystem::path& scratch, grading_options& opts);

/// A run's limit is run_limit_floor + run_limit_factor x the reference's run, measured here by
/// calibrate_run_limits: the factor absorbs the load's swings between calibration and grading and
/// the other slots' runs beside it; the floor, a handler that is slow at start-up.
constexpr int run_limit_factor = 5;
constexpr std::chrono::seconds run_limit_floor{10};

/// The run limit for a reference run that took `reference`: floor + factor x it, whole seconds
/// rounded up.
std::chrono::seconds calibrated_run_limit(std::chrono::milliseconds reference);

/// Runs each exercise's reference solution once in the sandbox's slot 0, exactly as a learner's
/// runs go (judged where the exercise is judged: the judge with the reference as its subject):
/// the spec under opts.seed and, where the exercise explores, its exploration. Sets
/// opts.run_limits[id] to calibrated_run_limit(the slower of the two). Returns one line per
/// exercise for the report's header. With opts.time_limit_fixed it runs nothing and says so.
/// `services`: the servers slot 0 reaches, for the exercises that need them (may be null).
std::vector<std::string> calibrate_run_limits(const context& ctx, const sandbox& box,
                                              const std::vector<build_plan>& plans,
                                              const std::filesystem::path& scratch,
                                              const slot_services* services, grading_options& opts);

/// Where a submission's exercises are: SUB/exercises, or SUB itself when it is that folder.
std::filesystem::path exercises_dir_of(const std::filesystem::path& submission);

/// Empty when the evidence a spec run reported (lines "NONCE passed|failed NAME", then
/// "NONCE done N passed M failed") shows every case of `cases` passed; else what is missing.
std::string check_evidence(const std::string& evidence, const std::string& nonce,
                           const std::vector<std::string>& cases);

/// The failing checks a spec run reported on the evidence channel: lines
/// "NONCE check CASE<US>MESSAGE" (US: the unit separator, 0x1f).
std::vector<spec_failure> evidence_failures(const std::string& evidence, const std::string& nonce);

class grader {
public:
  grader(const context& ctx, const sandbox& box, const grading_options& opts,
         std::filesystem::path scratch)
      : ctx_(ctx), box_(box), opts_(opts), scratch_(std::move(scratch)) {}

  /// Grades exercise `plan` of the submission at `submission` (named `name` in the scratch
  /// folder), in sandbox slot `slot`.
  exercise_grade grade(int slot, const std::filesystem::path& submission, const std::string& name,
                       const build_plan& plan) const;

  /// The module-B servers each slot's runs reach (exercises that need services); none before.
  void use_services(const slot_services* services) { services_ = services; }

  /// One exercise's work in progress: the grade so far and where its files are.
  struct attempt;

private:
  std::optional<exercise_grade> build(int slot, attempt& a, const build_plan& plan) const;
  std::optional<exercise_grade> run_round(int slot, attempt& a, const build_plan& plan,
                                          int round) const;
  exercise_grade round_failure(attempt& a, const sandbox_result& ran, std::uint64_t seed,
                               int round) const;
  exercise_grade explored_failure(attempt& a, const sandbox_result& explored, std::uint64_t seed,
                                  int round) const;
  std::string replayed_run_page(const attempt& a, const sandbox_result& replayed) const;
  exercise_grade score(attempt& a) const;
  void note_ignored(attempt& a, const build_plan& plan) const;
  std::vector<std::string> compile_argv(const build_plan& plan, const attempt& a,
                                        const std::string& source, const std::string& stage) const;
  void analyze_as_compiled(attempt& a, const sandbox_result& preprocessed) const;
  sandbox_limits limits_for_runs(const build_plan& plan) const;
  sandbox_limits limits_for_build(const build_plan& plan) const;

  const context& ctx_;
  const sandbox& box_;
  const grading_options& opts_;
  std::filesystem::path scratch_;
  const slot_services* services_ = nullptr;
};

} // namespace dca::cli
