// Stack reports: how an exercise program (or spec) tells `dca` where it was when it crashed or when
// dca stopped it at a time limit, so dca can name the line of message_passing.cpp instead of
// printing the shell's "Segmentation fault" or a bare "timed out". Off unless dca asks for it
// (DCA_STACK_REPORTS in the environment); the reports go to stderr, or to the descriptor named by
// DCA_STACK_REPORT_FD, as lines dca reads and never shows:
//   dca-stack <why>           why: a signal name (SIGSEGV ...) or "stopped"
//   dca-frame <offset>        a return address, as an offset into the executable (for addr2line)
//   dca-stack-end
#pragma once

namespace dca::harness {

/// The environment variable that turns stack reports on (any value).
inline constexpr const char* stack_reports_env = "DCA_STACK_REPORTS";
/// The environment variable naming the descriptor the reports go to (default: 2, stderr).
inline constexpr const char* stack_report_fd_env = "DCA_STACK_REPORT_FD";
/// The signal dca sends at a time limit: every thread reports its stack, then the program waits to
/// be killed.
inline constexpr int stack_report_signal = 10; // SIGUSR1 on Linux

/// Installs the handlers when DCA_STACK_REPORTS is set; idempotent. Every program linked with
/// dca::harness calls it before main (the harness forces its object into the link).
void install_stack_reports();

} // namespace dca::harness
