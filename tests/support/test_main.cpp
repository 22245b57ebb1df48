// The one translation unit that provides main() for every test binary: doctest's runner, plus the
// symbols CAF's deterministic test DSL needs (its own runner is switched off with
// CAF_TEST_NO_MAIN). Under `dca grade` it also reports each case's result on an evidence channel (a
// FIFO the grader opened, named with a nonce in the environment), so that a pass comes from the
// specs themselves and not from an exit status the code under test can fake with exit(0).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#define CAF_TEST_NO_MAIN
#include "caf/test/unit_test_impl.hpp"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <unistd.h>

namespace {

/// The evidence channel: -1 when the binary does not run under `dca grade`.
/// Plain data, constant-initialised: a std::string would be constructed after the priority-101
/// constructor below, wiping what it stored.
int evidence_fd = -1;
char evidence_nonce[65] = {};

/// Takes the channel out of the environment before any code under test runs: priority 101 runs
/// before the default-priority static constructors of every other translation unit of the binary.
/// The descriptor is close-on-exec, so no program the code under test starts inherits it.
///
/// In a judge (a spec with stand-ins, tests/judge), the learner's code runs in a child process of
/// the same user. That child must not read the nonce from this process: the nonce is wiped from
/// the environment block itself (which /proc/PID/environ shows) and the process made
/// non-dumpable, so that neither /proc/PID/environ, /proc/PID/fd nor /proc/PID/mem of it opens
/// for the child. (In a spec that links learner code this is no defence: see cli/grade/README.md.)
__attribute__((constructor(101))) void take_evidence_channel() {
  char* path = std::getenv("DCA_EVIDENCE_PATH");
  char* nonce = std::getenv("DCA_EVIDENCE_NONCE");
  if (path != nullptr && nonce != nullptr) {
    evidence_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    std::strncpy(evidence_nonce, nonce, sizeof evidence_nonce - 1);
    std::memset(nonce, 'x', std::strlen(nonce));
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }
  unsetenv("DCA_EVIDENCE_PATH");
  unsetenv("DCA_EVIDENCE_NONCE");
}

void write_evidence(const std::string& line) {
  if (evidence_fd < 0)
    return;
  auto text = std::string{evidence_nonce} + " " + line + "\n";
  // One write per line (shorter than PIPE_BUF, so atomic); a full channel loses the line, which
  // the grader counts as a case that did not pass.
  [[maybe_unused]] auto written = write(evidence_fd, text.data(), text.size());
}

/// Reports "NONCE passed|failed NAME" per case and "NONCE done N passed M failed" at the end.
struct evidence_listener : doctest::IReporter {
  explicit evidence_listener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& stats) override {
    auto failed = stats.numTestCasesFailed;
    write_evidence("done " + std::to_string(passed_) + " passed " + std::to_string(failed) +
                   " failed");
  }
  void test_case_start(const doctest::TestCaseData& data) override { name_ = data.m_name; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
    passed_ += stats.testCaseSuccess ? 1 : 0;
    write_evidence((stats.testCaseSuccess ? "passed " : "failed ") + name_);
  }
  void test_case_exception(const doctest::TestCaseException& e) override {
    std::string text = e.error_string.c_str();
    for (auto& c : text)
      c = c == '\n' || c == '\x1f' ? ' ' : c;
    write_evidence("check " + name_ + '\x1f' + (e.is_crash ? "crashed: " : "threw: ") + text);
  }
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  /// A failing check: "NONCE check CASE<US>MESSAGE", the message being what the spec logged (its
  /// own words) or else the assertion, on one line.
  void log_assert(const doctest::AssertData& data) override {
    if (!data.m_failed)
      return;
    std::ostringstream message;
    int contexts = get_num_active_contexts();
    if (contexts > 0)
      get_active_contexts()[0]->stringify(&message);
    else
      message << data.m_expr << " is NOT correct: " << data.m_decomp.c_str();
    auto text = message.str();
    for (auto& c : text)
      c = c == '\n' || c == '\x1f' ? ' ' : c;
    write_evidence("check " + name_ + '\x1f' + text);
  }
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}

private:
  std::string name_;
  unsigned passed_ = 0;
};

REGISTER_LISTENER("dca_evidence", 1, evidence_listener);

} // namespace

int main(int argc, char** argv) {
  doctest::Context context{argc, argv};
  return context.run();
}
