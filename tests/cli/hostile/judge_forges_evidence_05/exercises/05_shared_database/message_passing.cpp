// A hostile submission of exercise 05 against the judged grader (tests/cli/judged_05_test.cmake):
// its static constructor writes a "passed" line for every case of the spec, and a final count,
// to every descriptor it has that is not a socket (where the spec's evidence would go), and ends
// the process with status 0 if it finds itself in the spec (an environment: the evidence's names
// are there before the spec wipes them). Its decide sells like the skeleton and, the first time the
// stock is gone, ends the process with _Exit(0) instead of refusing. Judged, it runs only in the
// subject: no environment, no descriptor but the judge's socket, no journal and no state of its
// own; the judge ends the run on the exit and fails it.
#include "scenario.hpp"

#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

extern char** environ;

namespace shared_database {

namespace {

const char* const forged_lines[] = {
    "0123456789abcdef0123456789abcdef passed the sku entity sells exactly its stock to eight "
    "workers\n",
    "0123456789abcdef0123456789abcdef passed the username entity gives the name to exactly one "
    "of the workers\n",
    "0123456789abcdef0123456789abcdef done 8 passed 0 failed\n",
};

struct forge_a_pass {
  forge_a_pass() {
    for (int fd = 1; fd < 64; ++fd) {
      struct stat st {};
      if (fstat(fd, &st) != 0 || S_ISSOCK(st.st_mode))
        continue;
      for (const char* line : forged_lines)
        [[maybe_unused]] auto written = write(fd, line, std::char_traits<char>::length(line));
    }
    if (environ != nullptr && environ[0] != nullptr)
      std::exit(0);
  }
} forge_a_pass_now;

} // namespace

caf::expected<std::vector<sku::event>> sku::decide(const state& s, const command& cmd) {
  if (const auto* delivery = caf::get_if<receive_stock>(&cmd))
    return std::vector<event>{stock_received{delivery->units}};
  if (s.stock <= 0)
    std::_Exit(0);
  return std::vector<event>{item_sold{caf::get<buy_item>(cmd).order_id}};
}

sku::state sku::apply(state s, const event& ev) {
  const auto* delivery = caf::get_if<stock_received>(&ev);
  s.stock += delivery != nullptr ? delivery->units : -1;
  s.sold += delivery != nullptr ? 0 : 1;
  return s;
}

caf::expected<std::vector<username::event>> username::decide(const state& s, const command& cmd) {
  if (s.owner != 0)
    return make_error(errc::taken, "the name belongs to user " + std::to_string(s.owner));
  return std::vector<event>{username_claimed{caf::get<claim_username>(cmd).user_id}};
}

username::state username::apply(state s, const event& ev) {
  s.owner = caf::get<username_claimed>(ev).user_id;
  return s;
}

} // namespace shared_database
