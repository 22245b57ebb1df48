// Reading a file as committed, with `git show REF:PATH`.
#include "pristine.hpp"

#include <cstdlib>

#include "process.hpp"

namespace dca::cli {

std::optional<std::string> pristine_text(const context& ctx, const std::string& rel,
                                         std::string& ref) {
  std::vector<std::string> refs;
  if (!ref.empty())
    refs.push_back(ref);
  else if (const char* env = std::getenv("DCA_PRISTINE_REF"))
    refs.push_back(env);
  else
    refs = {"@{upstream}", "origin/HEAD", "HEAD"};
  for (const auto& r : refs) {
    auto shown = run_captured({"git", "-C", ctx.source_dir.string(), "show", r + ":" + rel},
                              std::chrono::seconds(30), {{"GIT_PAGER", "cat"}});
    if (shown.ok()) {
      ref = r;
      return shown.output;
    }
  }
  return std::nullopt;
}

} // namespace dca::cli
