// Compiling and linking a message_passing.cpp by the instructor's build plan, outside the sandbox:
// only for code the user means to run (their own submission, the kit's committed skeleton).
#include "file_build.hpp"

#include "grade/build_plan.hpp"
#include "process.hpp"
#include "text.hpp"

#include <algorithm>
#include <fstream>

namespace dca::cli {

namespace {

/// `argv` run in folder `dir` (Ninja's link lines name files relative to the build tree).
process_result run_in(const std::filesystem::path& dir, std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", dir.string()});
  return run_captured(argv, std::chrono::seconds(300));
}

/// Whether `dir` already holds what `source` builds: made from the same file, after its last change
/// and after the instructor's side was last built (make's rule, so a replay does not rebuild).
bool up_to_date(const std::filesystem::path& source, const std::filesystem::path& stamp,
                const file_built& made, const std::filesystem::path& instructor_spec) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (read_text(stamp) != fs::absolute(source).string() || !fs::exists(made.program, ec) ||
      !fs::exists(made.spec, ec))
    return false;
  auto built = std::min(fs::last_write_time(made.program, ec), fs::last_write_time(made.spec, ec));
  return !ec && built > fs::last_write_time(source, ec) &&
         built > fs::last_write_time(instructor_spec, ec) && !ec;
}

} // namespace

file_built build_from_file(const context& ctx, const exercise_entry& e,
                           const std::filesystem::path& source, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  file_built out;
  if (!ctx.build({"sol" + e.number, "sol" + e.number + "_spec"}).ok()) {
    out.error = "cannot build the instructor's side of " + e.id + "\n";
    return out;
  }
  // The learner replaying their own file: in process (no judge needed for their own code).
  auto plan = plan_build(ctx, e, read_compile_commands(ctx), false);
  fs::create_directories(dir);
  auto object = (dir / "message_passing.o").string();
  auto spec = (dir / ("ex" + e.number + "_spec")).string();
  auto program = (dir / ("ex" + e.number)).string();
  auto stamp = dir / "source.txt";
  if (up_to_date(source, stamp, {spec, program, {}}, ctx.program("sol" + e.number + "_spec")))
    return {spec, program, {}};
  fs::remove(stamp);
  auto step = run_in(plan.compile_dir,
                     with_placeholders(plan.compile, {{"{SOURCE}", fs::absolute(source).string()},
                                                      {"{OBJECT}", object}}));
  if (step.ok())
    step = run_in(plan.link_dir,
                  with_placeholders(plan.link, {{"{OBJECT}", object}, {"{OUTPUT}", spec}}));
  auto program_link = plan.program_link.empty() ? plan.link : plan.program_link;
  if (step.ok())
    step = run_in(plan.link_dir,
                  with_placeholders(program_link, {{"{OBJECT}", object}, {"{OUTPUT}", program}}));
  if (!step.ok()) {
    out.error = source.string() + " does not build:\n" + compiler_errors(step.output);
    return out;
  }
  std::ofstream{stamp} << fs::absolute(source).string();
  out.spec = spec;
  out.program = program;
  return out;
}

} // namespace dca::cli
