// Compiling and linking a message_passing.cpp by the instructor's build plan, outside the sandbox:
// only for code the user means to run (their own submission, the kit's committed skeleton).
#include "file_build.hpp"

#include "grade/build_plan.hpp"
#include "process.hpp"

namespace dca::cli {

namespace {

/// `argv` run in folder `dir` (Ninja's link lines name files relative to the build tree).
process_result run_in(const std::filesystem::path& dir, std::vector<std::string> argv) {
  argv.insert(argv.begin(),
              {"/bin/sh", "-c", "cd \"$1\" && shift && exec \"$@\"", "sh", dir.string()});
  return run_captured(argv, std::chrono::seconds(300));
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
  auto plan = plan_build(ctx, e, read_compile_commands(ctx));
  fs::create_directories(dir);
  auto object = (dir / "message_passing.o").string();
  auto spec = (dir / ("ex" + e.number + "_spec")).string();
  auto program = (dir / ("ex" + e.number)).string();
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
  out.spec = spec;
  out.program = program;
  return out;
}

} // namespace dca::cli
