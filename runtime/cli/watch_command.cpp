// `dca` with no arguments (or `dca watch`): continue where the learner left off. Checks the current
// exercise, then re-checks it every time its message_passing.cpp is saved, and moves on to the next
// exercise when it passes. One key does the rest: h hint, l list, c check all, r re-run, n next,
// q quit. Where file watching does not work (WSL drives, NFS), --manual-run re-checks on r instead,
// and the loop says so up front (rustlings #2407).
#include <boost/program_options.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

#include "check.hpp"
#include "command.hpp"
#include "progress.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace dca::cli {

namespace {

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) {
  interrupted = 1;
}

/// Single keys without Enter on a terminal; restored however the loop ends.
class raw_keys {
public:
  raw_keys() {
    // saved_ is read here, not in the initializer list: members initialise in declaration order.
    enabled_ = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &saved_) == 0;
    if (!enabled_)
      return;
    termios raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  ~raw_keys() {
    if (enabled_)
      tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_keys(const raw_keys&) = delete;
  raw_keys& operator=(const raw_keys&) = delete;

private:
  bool enabled_ = false;
  termios saved_{};
};

/// Watches one exercise folder for saves (editors often write a new file and rename it over the
/// old one, so the folder is watched, not the file).
class file_watch {
public:
  file_watch() : fd_(inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {}
  ~file_watch() {
    if (fd_ >= 0)
      close(fd_);
  }
  file_watch(const file_watch&) = delete;
  file_watch& operator=(const file_watch&) = delete;

  bool works() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool watch(const fs::path& dir) {
    if (fd_ < 0)
      return false;
    if (wd_ >= 0)
      inotify_rm_watch(fd_, wd_);
    wd_ = inotify_add_watch(fd_, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
    return wd_ >= 0;
  }

  /// Drains the events; true if one was about `file`.
  bool changed(const std::string& file) {
    alignas(inotify_event) char buffer[4096];
    bool hit = false;
    for (;;) {
      auto n = read(fd_, buffer, sizeof buffer);
      if (n <= 0)
        return hit;
      for (char* p = buffer; p < buffer + n;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        if (event->len > 0 && file == event->name)
          hit = true;
        p += sizeof(inotify_event) + event->len;
      }
    }
  }

private:
  int fd_;
  int wd_ = -1;
};

fs::path current_file(const context& ctx) {
  return ctx.source_dir / ".dca" / "current";
}

/// The exercise to continue with: the one the learner last worked on unless it has passed since,
/// else the first one not passed yet. Null when every exercise has passed.
const exercise_entry* where_to_continue(const context& ctx, const progress& done) {
  std::ifstream in{current_file(ctx)};
  std::string id;
  if (in >> id)
    if (const auto* e = ctx.curriculum.find(id); e && !done.passed(e->id))
      return e;
  for (const auto& e : ctx.curriculum.exercises())
    if (!done.passed(e.id))
      return &e;
  return nullptr;
}

void remember(const context& ctx, const exercise_entry& e) {
  fs::create_directories(current_file(ctx).parent_path());
  std::ofstream out{current_file(ctx)};
  out << e.id << '\n';
}

/// A path a terminal can open with a click (OSC 8), shown as the plain path elsewhere.
std::string clickable(const fs::path& file) {
  if (isatty(STDOUT_FILENO) == 0)
    return file.string();
  return "\033]8;;file://" + file.string() + "\033\\" + file.string() + "\033]8;;\033\\";
}

void bar(const context& ctx) {
  progress done{ctx.source_dir};
  std::size_t passed = 0, total = ctx.curriculum.exercises().size();
  for (const auto& e : ctx.curriculum.exercises())
    passed += done.passed(e.id) ? 1 : 0;
  constexpr std::size_t width = 30;
  auto filled = total == 0 ? 0 : passed * width / total;
  std::cout << "progress [" << std::string(filled, '#') << std::string(width - filled, '.') << "] "
            << passed << " of " << total << " done\n";
}

void introduce(const context& ctx, const exercise_entry& e, bool manual) {
  auto file = ctx.source_dir / "exercises" / e.id / "message_passing.cpp";
  std::cout << "\n== " << e.id << " (" << e.pattern << "): " << e.title << " ==\n"
            << "Edit " << clickable(file) << "\n(the README beside it explains the task)\n";
  if (manual)
    std::cout << "Manual mode: save your file, then press r to check it.\n";
  else
    std::cout << "Checks run every time you save. Saves not noticed (WSL, NFS)? Quit and run "
                 "`dca watch --manual-run`.\n";
  std::cout << "Keys: r re-check, h hint, l list, c check all, n next, q quit.\n";
}

/// Checks `e` and prints the result; true when it passed.
bool check_and_tell(const context& ctx, const exercise_entry& e) {
  std::cout << "\nchecking " << e.id << " ..." << std::endl;
  auto r = check_exercise(ctx, e);
  if (r.passed) {
    std::cout << "PASS " << e.id << ": " << r.headline << '\n';
    return true;
  }
  if (r.interrupted) {
    std::cout << r.headline << " Save again or press r to re-check; q quits.\n";
    return false;
  }
  std::cout << "FAIL " << e.id << ": " << r.headline << '\n' << r.details;
  std::cout << "Waiting for your next save. Stuck? press h for a hint.\n";
  return false;
}

/// One learner's session: the exercise they are on, how saves are noticed, and what each key does.
class watch_session {
public:
  watch_session(const context& ctx, bool manual) : ctx_(ctx), manual_(manual) {}

  /// Introduces `first`, checks it, then loops on saves and keys until q, end of input, Ctrl-C or
  /// the curriculum is done.
  int run(const exercise_entry& first) {
    if (!manual_ && !watcher_.works()) {
      manual_ = true;
      std::cout << "File watching is not available here (" << std::strerror(errno)
                << "): switching to manual mode.\n";
    }
    std::signal(SIGINT, on_interrupt);
    raw_keys keys;
    current_ = &first;
    start(*current_);
    if (check_and_tell(ctx_, *current_) && !after_pass())
      return exit_ok;
    while (!interrupted) {
      auto step = wait_once();
      if (step == wake::quit)
        return exit_ok;
      if (step == wake::end)
        break;
      if (step == wake::check && check_and_tell(ctx_, *current_) && !after_pass())
        return exit_ok;
    }
    std::cout << "\nBye. `dca` continues from here next time.\n";
    return exit_ok;
  }

private:
  enum class wake { nothing, check, quit, end };

  void start(const exercise_entry& e) {
    remember(ctx_, e);
    hint_level_ = 0;
    if (!manual_ && !watcher_.watch(ctx_.source_dir / "exercises" / e.id)) {
      manual_ = true;
      std::cout << "Cannot watch exercises/" << e.id << " (" << std::strerror(errno)
                << "): switching to manual mode.\n";
    }
    bar(ctx_);
    introduce(ctx_, e, manual_);
  }

  /// The exercise after `e` not passed yet (else where to continue); null when all passed.
  const exercise_entry* advance(const exercise_entry& e) const {
    progress done{ctx_.source_dir};
    bool after = false;
    for (const auto& next : ctx_.curriculum.exercises()) {
      if (after && !done.passed(next.id))
        return &next;
      after = after || next.id == e.id;
    }
    return where_to_continue(ctx_, done);
  }

  /// After a pass: the learner looks at it, and presses n to move on (as Rustlings waits). False
  /// when the curriculum is done.
  bool after_pass() {
    if (advance(*current_) == nullptr)
      return on_pass();
    std::cout << "Take a look, compare with the reference (`dca solution " << current_->number
              << "`), then press n for the next exercise (q quits).\n";
    passed_ = true;
    return true;
  }

  /// On to the next exercise, checked at once so the learner sees what to fix (and
  /// skipped past if it already passes). False when the curriculum is done.
  bool on_pass() {
    for (;;) {
      auto* next = advance(*current_);
      if (!next) {
        bar(ctx_);
        std::cout << "That was the last one: every exercise passes. Compare with the reference: "
                     "`dca solution NN`.\n";
        return false;
      }
      std::cout << "Moving on.\n";
      current_ = next;
      start(*current_);
      if (!check_and_tell(ctx_, *current_))
        return true;
    }
  }

  /// Waits for a save or a key, and says what to do about it.
  wake wait_once() {
    pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {manual_ ? -1 : watcher_.fd(), POLLIN, 0}};
    int ready = poll(p, 2, -1);
    if (interrupted)
      return wake::end;
    if (ready < 0) {
      if (errno == EINTR)
        return wake::nothing;
      throw std::runtime_error(std::string{"waiting for input: "} + std::strerror(errno));
    }
    bool saved = false;
    if (p[1].revents & POLLIN) {
      // An editor's save is several events in a burst: let it settle, then check once.
      pollfd settle{-1, 0, 0};
      poll(&settle, 0, 150);
      saved = watcher_.changed("message_passing.cpp");
    }
    auto key = wake::nothing;
    if (p[0].revents & (POLLIN | POLLHUP))
      key = on_key();
    return key != wake::nothing ? key : saved ? wake::check : wake::nothing;
  }

  wake on_key() {
    char key = 0;
    if (read(STDIN_FILENO, &key, 1) <= 0)
      return wake::end; // end of input: a script or a closed terminal
    switch (key) {
    case 'q':
      std::cout << "Bye. `dca` continues from here next time.\n";
      return wake::quit;
    case 'r':
      return wake::check;
    case 'h':
      show_hint();
      break;
    case 'l':
      list_command(ctx_, {});
      break;
    case 'c':
      check_all(ctx_);
      break;
    case 'n':
      if (!passed_) {
        skip_to_next();
        break;
      }
      passed_ = false;
      return on_pass() ? wake::nothing : wake::quit;
    default:
      break;
    }
    return wake::nothing;
  }

  void show_hint() {
    auto count = static_cast<int>(current_->hints.size());
    if (count == 0) {
      std::cout << "No hints for this exercise.\n";
      return;
    }
    hint_level_ = std::min(hint_level_ + 1, count);
    std::cout << "hint " << hint_level_ << " of " << count << ": "
              << current_->hints[static_cast<std::size_t>(hint_level_ - 1)] << "\n";
  }

  void skip_to_next() {
    const auto& all = ctx_.curriculum.exercises();
    auto at = std::find_if(all.begin(), all.end(),
                           [&](const exercise_entry& e) { return e.id == current_->id; });
    if (at == all.end() || std::next(at) == all.end()) {
      std::cout << "This is the last exercise.\n";
      return;
    }
    current_ = &*std::next(at);
    start(*current_);
  }

  const context& ctx_;
  bool manual_;
  file_watch watcher_;
  const exercise_entry* current_ = nullptr;
  int hint_level_ = 0;
  bool passed_ = false; // the current exercise passed: n moves on to the next one not passed
};

} // namespace

int watch_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca [watch [NN]] [--manual-run]\nContinues where you left off: checks your "
      "exercise every time you save it, and moves on when it passes"};
  bool manual = false;
  std::string name;
  desc.add_options()("help,h", "show this help")(
      "manual-run", po::bool_switch(&manual),
      "check when you press r instead of on every save (for WSL drives, NFS)")(
      "exercise", po::value(&name), "start at this exercise instead");
  po::variables_map vm;
  if (!parse_words(desc, args, vm, "exercise", 1))
    return exit_ok;
  const exercise_entry* current =
      name.empty() ? where_to_continue(ctx, progress{ctx.source_dir}) : &ctx.exercise(name);
  if (!current) {
    bar(ctx);
    std::cout << "Every exercise passes. `dca check --all` re-checks them; `dca solution NN` "
                 "shows a reference solution to compare with yours.\n";
    return exit_ok;
  }
  return watch_session{ctx, manual}.run(*current);
}

} // namespace dca::cli
