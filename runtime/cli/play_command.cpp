// `dca play NN`: be the scheduler. The learner picks which thread, actor or node runs next (and,
// where a link may lose or repeat a message, what happens to the message), sees each step with the
// line it ran and what it read or wrote, and plays until the invariant breaks or the run ends
// clean. Every turn is the explorer's own: the exercise program runs the schedule chosen so far
// (`explore --turn`) and offers the step each thread or actor would take next, and the faults the
// explorer itself may choose there, so there is no second scheduler. The exercises on PostgreSQL
// and Redis play the same way: each turn re-runs the schedule so far against the servers, whose
// state the program resets before every run. At a terminal of 80x24 or more one key is a choice;
// otherwise (a pipe, a script) numbered prompts are read from stdin one line each.
#include <boost/program_options.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "command.hpp"
#include "dca/explore/schedule.hpp"
#include "dca/json.hpp"
#include "explore_page.hpp"
#include "program_report.hpp"
#include "text.hpp"

namespace po = boost::program_options;

namespace dca::cli {

namespace {

/// The smallest terminal the game's screen is drawn for: SSH's default.
constexpr int columns_min = 80;
constexpr int rows_min = 24;
/// Every line is cut to this, so an 80-column terminal never wraps.
constexpr std::size_t line_width = 79;
/// The "who" column: a node's name ("replica a") and a space.
constexpr std::size_t who_width = 10;
/// Choices a turn may offer: one key each (1-9, a-p; q quits).
constexpr std::size_t choices_max = 25;
/// The exercise programs exit with 3 when a run corrupted; the game does too.
constexpr int exit_corrupted = 3;

/// Which program and variant the game runs, and how the learner names them.
struct game {
  const exercise_entry* entry = nullptr;
  std::filesystem::path program;
  std::string variant;
  bool solution = false;
  std::string invoked;       // "dca %s 01": the exercise programs word errors with it
  explore_page_request code; // where each step's code is read from
};

/// One turn, as the program reported it: the steps so far and the choices, each with its code
/// and its operation ("handle", "load", or a fault of the link: "lose", "duplicate").
struct turn {
  json_value report;
  steps_with_code done;
  steps_with_code choices;
  std::vector<std::string> done_operations;
  std::vector<std::string> choice_operations;
  std::vector<std::string> actors;

  bool over() const { return choices.steps.empty(); }
};

std::string schedule_text(const std::vector<int>& chosen) {
  return explore::schedule{chosen}.to_string();
}

/// The last line the program printed (its one-line error).
std::string last_line_of(const std::string& output) {
  std::istringstream in{output};
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty())
      last = line;
  return last;
}

/// `PROGRAM explore --variant V EXTRA --format json`, as the learner's command.
process_result explore_json(const game& g, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{g.program.string(), "explore", "--variant", g.variant};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.insert(argv.end(), {"--format", "json"});
  return run_captured(argv, time_limit_from_env(std::chrono::seconds(60)),
                      {{"DCA_INVOKED_AS", g.invoked}});
}

std::vector<std::string> operations_of(const json_value* steps) {
  std::vector<std::string> out;
  if (steps != nullptr)
    for (const auto& s : steps->items)
      out.push_back(s.string_at("operation"));
  return out;
}

bool is_fault(const std::string& operation) {
  return operation == "lose" || operation == "duplicate";
}

/// The schedule's entry for choice `i` of turn `t`: the actor that runs, or the explorer's fault
/// on the message that actor would handle next (d1, t1).
int choice_code(const turn& t, std::size_t i) {
  auto who = t.choices.steps[i].actor;
  const auto& operation = t.choice_operations[i];
  return operation == "lose"        ? explore::drop_choice(who)
         : operation == "duplicate" ? explore::duplicate_choice(who)
                                    : who;
}

turn take_turn(const game& g, const std::vector<int>& chosen) {
  auto ran = explore_json(g, {"--turn", schedule_text(chosen)});
  if (ran.exit_code == exit_usage)
    throw usage_error(last_line_of(ran.output));
  auto report = last_json_object(ran.output);
  if (!report)
    throw std::runtime_error(g.program.filename().string() + " reported no turn (" +
                             (ran.timed_out ? "timed out" : "crashed") + "): run `dca explore " +
                             g.entry->number + "` to see why");
  turn t;
  t.done = steps_of(g.code, report->find("trace"));
  t.choices = steps_of(g.code, report->find("choices"));
  if (t.choices.steps.size() > choices_max)
    throw std::runtime_error(g.program.filename().string() + " offers " +
                             std::to_string(t.choices.steps.size()) + " choices at step " +
                             std::to_string(chosen.size() + 1) + ", more than dca play has keys (" +
                             std::to_string(choices_max) + "): step through it with dca explore " +
                             g.entry->number + " --html FILE");
  t.done_operations = operations_of(report->find("trace"));
  t.choice_operations = operations_of(report->find("choices"));
  if (const auto* names = report->find("actors"))
    for (const auto& n : names->items)
      t.actors.push_back(n.text);
  t.report = std::move(*report);
  return t;
}

// -- the screen ---------------------------------------------------------------------------------

std::string trimmed(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  auto last = s.find_last_not_of(" \t");
  return first == std::string::npos ? std::string{} : s.substr(first, last - first + 1);
}

/// `s` in `line_width` columns, without the padding fit_columns adds.
std::string fitted(const std::string& s) {
  auto out = fit_columns(s, line_width + 1);
  return out.substr(0, out.find_last_not_of(' ') + 1);
}

/// The line of code a step ran, without its indentation; empty when no line of ours ran it.
std::string code_line(const steps_with_code& s, const page_step& step) {
  if (step.code < 0)
    return {};
  const auto& c = s.codes[static_cast<std::size_t>(step.code)];
  auto at = c.marked_line - c.first_line;
  if (at < 0 || at >= static_cast<int>(c.lines.size()))
    return {};
  auto line = c.lines[static_cast<std::size_t>(at)];
  // The step's own comment is for the file's reader; the column has room for the code only.
  if (auto comment = line.find(" //"); comment != std::string::npos)
    line.erase(comment);
  return trimmed(line);
}

std::string actor_name(const turn& t, int actor) {
  return actor >= 0 && static_cast<std::size_t>(actor) < t.actors.size()
             ? t.actors[static_cast<std::size_t>(actor)]
             : "?";
}

/// A fault of the link in words: "drop reply 1 from payments on its way to checkout" as a choice,
/// "dropped ..." once done. The step's text is "lose MESSAGE" or "duplicate MESSAGE".
std::string fault_words(const std::string& operation, const page_step& step, const std::string& to,
                        bool done) {
  auto message = step.text.substr(std::min(step.text.size(), step.text.find(' ') + 1));
  if (operation == "lose")
    return (done ? "dropped " : "drop ") + message + " on its way to " + to;
  return (done ? "repeated " : "repeat ") + message + " to " + to +
         (done ? "" : ": it arrives twice");
}

/// "  3  T2      load counter = 0          std::int64_t seen = counter.load();", cut to 79; a
/// fault is the link's step: "  4  link     drop reply 1 from payments on its way to checkout".
std::string step_line(const std::string& label, const turn& t, const steps_with_code& s,
                      std::size_t i, const std::string& operation, bool done) {
  const auto& step = s.steps[i];
  auto who = actor_name(t, step.actor);
  if (is_fault(operation))
    return fitted(fit_columns(label, 5) + fit_columns("link", who_width) +
                  fault_words(operation, step, who, done));
  auto code = code_line(s, step);
  // A step no line of ours ran (a node handling a message) has the code's columns for its words.
  auto what = code.empty() ? step.text : fit_columns(step.text, 27);
  return fitted(fit_columns(label, 5) + fit_columns(who, who_width) + what + code);
}

/// A shared object's last step as the state line shows it: "counter = 1" for a thread's load or
/// store; for a statement, which has no value of its own (a row count, a Redis reply), its text on
/// the table or key it ran on: "UPDATE prices: cents=120". Empty object: none to show.
struct last_on {
  std::string object;
  std::string shown;
};

last_on last_on_of(const json_value& step) {
  auto value = step.string_at("value");
  if (value.empty())
    return {};
  if (auto object = step.string_at("object"); !object.empty())
    return {object, object + " = " + value};
  auto operation = step.string_at("operation");
  auto space = operation.find(' ');
  bool statement =
      space != std::string::npos && std::all_of(operation.begin(), operation.begin() + space,
                                                [](char c) { return c >= 'A' && c <= 'Z'; });
  // A statement that waits for a lock has read or written nothing yet.
  if (!statement || value.rfind("waits for ", 0) == 0)
    return {};
  return {operation.substr(space + 1), step.string_at("text")};
}

/// What the run holds now: each shared object's last value (threads), the last statement on each
/// table or key (services), or each mailbox (actors).
std::vector<std::string> state_lines(const turn& t) {
  if (t.done.steps.empty())
    return {"Now: nothing has run yet."};
  const auto& last = t.done.steps.back();
  std::vector<std::string> out;
  if (!last.mailboxes.empty()) {
    out.push_back("Mailboxes now (next message first):");
    // Only those with mail: six nodes' empty boxes would push the choices off an 80x24 screen.
    std::string idle;
    for (std::size_t i = 0; i < last.mailboxes.size() && i < t.actors.size(); ++i) {
      std::string box;
      for (const auto& m : last.mailboxes[i])
        box += (box.empty() ? "" : ", ") + m;
      if (box.empty())
        idle += (idle.empty() ? "" : ", ") + t.actors[i];
      else
        out.push_back(fitted("  " + t.actors[i] + ": " + box));
    }
    if (!idle.empty())
      out.push_back(fitted("  empty: " + idle));
    return out;
  }
  std::map<std::string, std::string> shown; // each object's last step
  for (const auto& raw : t.report.find("trace")->items)
    if (auto seen = last_on_of(raw); !seen.object.empty())
      shown[seen.object] = seen.shown;
  std::string now;
  for (const auto& [object, text] : shown)
    now += (now.empty() ? "" : ", ") + text;
  auto where = last.where.empty() ? std::string{} : "  (" + last.where + " ran last)";
  out.push_back(fitted("Now: " + (now.empty() ? "-" : now) + where));
  return out;
}

/// The key of choice `i`: 1-9, then a-p (q quits), so every choice is one key.
char key_of_choice(std::size_t i) {
  DCA_ASSERT(i < choices_max);
  return static_cast<char>(i < 9 ? '1' + i : 'a' + (i - 9));
}

/// The choice `key` names among `n`; nullopt when it names none.
std::optional<std::size_t> choice_of_key(char key, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (key_of_choice(i) == key)
      return i;
  return std::nullopt;
}

/// The choices, keyed from 1 in the order the program offered them.
std::vector<std::string> choice_lines(const turn& t) {
  std::vector<std::string> out{"Step " + std::to_string(t.done.steps.size() + 1) +
                               ": who runs next?"};
  for (std::size_t i = 0; i < t.choices.steps.size(); ++i)
    out.push_back(step_line(std::string{"  "} + key_of_choice(i), t, t.choices, i,
                            t.choice_operations[i], false));
  return out;
}

/// "1-3", or "1-9, a-c" when there are more choices than digits.
std::string keys_range(std::size_t n) {
  if (n == 1)
    return "1";
  if (n <= 9)
    return "1-" + std::to_string(n);
  return std::string{"1-9, a"} + (n > 10 ? std::string{"-"} + key_of_choice(n - 1) : "");
}

std::string keys_prompt(const turn& t) {
  return "Press " + keys_range(t.choices.steps.size()) + " (q quits): ";
}

std::vector<std::string> header_lines(const game& g) {
  std::vector<std::string> out;
  out.push_back(fitted("dca play " + g.entry->number + " (" + g.entry->pattern + ", " + g.variant +
                       (g.solution ? ", solution" : "") + "): " + g.entry->title));
  if (!g.entry->invariant.empty())
    out.push_back(fitted("Keep: " + g.entry->invariant));
  return out;
}

/// Steps [from, to) of the run so far, one line each.
std::vector<std::string> history_lines(const turn& t, std::size_t from, std::size_t to) {
  std::vector<std::string> out;
  for (std::size_t i = from; i < to && i < t.done.steps.size(); ++i)
    out.push_back(
        step_line("  " + std::to_string(i + 1), t, t.done, i, t.done_operations[i], true));
  return out;
}

/// The whole screen of a turn in `rows` rows: the latest steps that fit, the state, the choices.
std::vector<std::string> screen(const game& g, const turn& t, int rows, const std::string& note) {
  auto out = header_lines(g);
  auto state = state_lines(t);
  auto choices = t.over() ? std::vector<std::string>{} : choice_lines(t);
  // header, blank, column titles, steps, state, blank, choices, blank, note, prompt
  auto fixed = out.size() + 2 + state.size() + 1 + choices.size() + 3;
  auto room = static_cast<std::size_t>(std::max<int>(1, rows - static_cast<int>(fixed) - 1));
  auto steps = t.done.steps.size();
  out.push_back("");
  out.push_back("  #  who       what it did                the line");
  std::size_t from = 0;
  if (steps > room) {
    from = steps - (room - 1);
    out.push_back("  ... " + std::to_string(from) + " earlier steps");
  }
  for (auto& line : history_lines(t, from, steps))
    out.push_back(std::move(line));
  out.insert(out.end(), state.begin(), state.end());
  out.push_back("");
  out.insert(out.end(), choices.begin(), choices.end());
  out.push_back("");
  out.push_back(note);
  return out;
}

// -- the two ways to play -------------------------------------------------------------------------

/// The terminal in raw mode for one key a choice; restored on destruction and on Ctrl-C.
class raw_keys {
public:
  raw_keys() {
    ::tcgetattr(STDIN_FILENO, &saved_);
    saved_for_signal = saved_;
    auto raw = saved_;
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    std::signal(SIGINT, restore_and_exit);
    std::signal(SIGTERM, restore_and_exit);
  }
  ~raw_keys() {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
  }
  raw_keys(const raw_keys&) = delete;
  raw_keys& operator=(const raw_keys&) = delete;

  /// The next key; nullopt when stdin closed.
  static std::optional<char> key() {
    char c = 0;
    return ::read(STDIN_FILENO, &c, 1) == 1 ? std::optional<char>{c} : std::nullopt;
  }

private:
  static void restore_and_exit(int) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_for_signal);
    ::_exit(exit_interrupted);
  }
  static inline termios saved_for_signal{};
  termios saved_{};
};

/// What the learner answered: the index of a choice, or quit.
struct answer {
  bool quit = false;
  std::size_t choice = 0;
};

std::string closed_stdin(const turn& t) {
  return "stdin closed before the game ended (at step " + std::to_string(t.done.steps.size() + 1) +
         "): answer each prompt with one of the numbers offered, or q";
}

/// At a terminal: the screen redrawn each turn, one key a choice, a wrong key asked again.
answer ask_at_terminal(const game& g, const turn& t, int rows) {
  std::string note;
  for (;;) {
    std::cout << "\033[H\033[2J";
    for (const auto& line : screen(g, t, rows, note))
      std::cout << line << '\n';
    std::cout << keys_prompt(t) << std::flush;
    auto key = raw_keys::key();
    if (!key)
      throw usage_error(closed_stdin(t));
    if (*key == 'q' || *key == 'Q')
      return {true, 0};
    if (auto choice = choice_of_key(*key, t.choices.steps.size()))
      return {false, *choice};
    auto shown = *key >= ' ' && *key < 127 ? std::string{"'"} + *key + "'" : "that key";
    note = shown + " is not a choice: answer with a number offered, or q";
  }
}

/// Through a pipe: the new steps, the state, the numbered choices, one answer a line.
answer ask_in_plain_text(const turn& t, std::size_t& steps_shown) {
  for (const auto& line : history_lines(t, steps_shown, t.done.steps.size()))
    std::cout << line << '\n';
  steps_shown = t.done.steps.size();
  for (const auto& line : state_lines(t))
    std::cout << line << '\n';
  for (const auto& line : choice_lines(t))
    std::cout << line << '\n';
  auto n = t.choices.steps.size();
  std::cout << "Choose " << keys_range(n) << " (q quits): " << std::flush;
  std::string line;
  if (!std::getline(std::cin, line))
    throw usage_error(closed_stdin(t));
  std::cout << line << '\n';
  line = trimmed(line);
  if (line == "q")
    return {true, 0};
  if (auto choice = line.size() == 1 ? choice_of_key(line[0], n) : std::nullopt)
    return {false, *choice};
  auto range = keys_range(n);
  // "1-3" as words: "1 to 3"; "1-9, a-c": "1 to 9, a to c".
  for (auto at = range.find('-'); at != std::string::npos; at = range.find('-', at))
    range.replace(at, 1, " to ");
  throw usage_error("'" + line + "' is not one of the choices at step " +
                    std::to_string(t.done.steps.size() + 1) + ": answer " + range +
                    ", or q to quit");
}

// -- the end --------------------------------------------------------------------------------------

/// What the explorer's own search finds in the same program and variant, to set beside the run.
struct explorer_finding {
  bool failed = false;
  std::int64_t steps = 0; // its failing schedule's breaking step
  std::string schedule;
  std::string words; // "3 schedules in 2.0 ms", with the proof of a clean search
};

explorer_finding explorer_search(const game& g) {
  auto ran = explore_json(g, {});
  auto report = last_json_object(ran.output);
  auto words = read_explore_report(ran.output);
  if (!report || !words)
    throw std::runtime_error("the explorer's search reported nothing: run `dca explore " +
                             g.entry->number + "` to see why");
  return {words->failed(), report->integer_at("breaking_step"), words->schedule,
          words->explored_words()};
}

std::string replay_of(const game& g, const std::string& schedule) {
  auto command =
      "dca explore " + g.entry->number + " --variant " + g.variant + " --replay " + schedule;
  return g.solution ? "the solution's schedule " + schedule : command;
}

int corrupted_end(const game& g, const turn& t, const std::vector<int>& chosen) {
  auto steps = t.report.integer_at("breaking_step");
  auto outcome = t.report.string_at("outcome");
  bool deadlock = outcome == "deadlock";
  std::cout << (deadlock                        ? "DEADLOCK"
                : outcome == "invariant_broken" ? "CORRUPTED"
                                                : "FAILED (" + outcome + ")")
            << " at step " << steps << ":\n  " << t.report.string_at("verdict") << '\n';
  if (const auto* cycle = t.report.find("cycle"))
    for (const auto& wait : cycle->items)
      std::cout << "  " << wait.text << '\n';
  auto found = explorer_search(g);
  std::cout << (deadlock ? "You deadlocked it in " : "You corrupted it in ") << steps
            << (steps == 1 ? " step" : " steps");
  if (found.failed)
    std::cout << "; the explorer's search found it in " << found.steps << " (" << found.words
              << ").\n";
  else
    std::cout << "; the explorer's search did not (" << found.words << ").\n";
  std::cout << "See yours again: " << replay_of(g, schedule_text(chosen));
  if (!g.solution)
    std::cout << " (add --html FILE for the page)";
  std::cout << '\n';
  return exit_corrupted;
}

int clean_end(const game& g, const turn& t) {
  std::cout << "CLEAN after " << t.done.steps.size() << " steps: the invariant held.\n";
  auto found = explorer_search(g);
  if (!found.failed) {
    std::cout << "No choice corrupts it: the explorer's search agrees (" << found.words << ").\n";
    return exit_ok;
  }
  std::cout << "This schedule was lucky: the explorer corrupts it in " << found.steps
            << " steps: " << replay_of(g, found.schedule) << ". Play again and find it.\n";
  return exit_ok;
}

int finish(const game& g, const turn& t, const std::vector<int>& chosen, bool at_terminal) {
  if (at_terminal) {
    std::cout << "\033[H\033[2J";
    for (const auto& line : screen(g, t, rows_min - 3, {}))
      std::cout << line << '\n';
  } else {
    for (const auto& line : history_lines(t, chosen.empty() ? 0 : chosen.size() - 1, chosen.size()))
      std::cout << line << '\n';
  }
  auto outcome = t.report.string_at("outcome");
  if (outcome != "clean")
    return corrupted_end(g, t, chosen);
  return clean_end(g, t);
}

// -- the game -------------------------------------------------------------------------------------

/// The terminal's size when stdin and stdout are both one; nullopt for the plain-text game.
std::optional<winsize> terminal_size() {
  winsize size{};
  if (::isatty(STDIN_FILENO) == 0 || ::isatty(STDOUT_FILENO) == 0 ||
      ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0)
    return std::nullopt;
  if (size.ws_col < columns_min || size.ws_row < rows_min)
    throw usage_error("the terminal is " + std::to_string(size.ws_col) + "x" +
                      std::to_string(size.ws_row) + ", dca play needs " +
                      std::to_string(columns_min) + "x" + std::to_string(rows_min) +
                      ": enlarge it, or play in plain text through a pipe (dca play N | cat)");
  return size;
}

int play(const game& g) {
  auto size = terminal_size();
  std::optional<raw_keys> keys;
  if (size)
    keys.emplace();
  else
    for (const auto& line : header_lines(g))
      std::cout << line << '\n';
  std::vector<int> chosen;
  std::size_t steps_shown = 0;
  for (;;) {
    auto t = take_turn(g, chosen);
    if (t.over()) {
      keys.reset();
      return finish(g, t, chosen, size.has_value());
    }
    auto a = size ? ask_at_terminal(g, t, size->ws_row) : ask_in_plain_text(t, steps_shown);
    if (a.quit) {
      keys.reset();
      std::cout << "\nStopped at step " << chosen.size() + 1
                << ". Your schedule so far: " << (chosen.empty() ? "(none)" : schedule_text(chosen))
                << '\n';
      return exit_ok;
    }
    chosen.push_back(choice_code(t, a.choice));
  }
}

/// A game on PostgreSQL and Redis re-runs every turn against them: refused at once, before any
/// build, when they are not running (starting them is the learner's step, not every turn's).
void require_services_running(const context& ctx, const exercise_entry& e) {
  if (e.needs != "services")
    return;
  // Set together by `eval "$(scripts/services env)"` or a grading slot: servers found elsewhere.
  auto set = [](const char* name) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0';
  };
  if (set("DCA_PG_PRIMARY") && set("DCA_PG_REPLICA") && set("DCA_REDIS_SOCKET"))
    return;
  auto status = run_captured({(ctx.source_dir / "scripts" / "services").string(), "status",
                              "--only", "postgres,replica,redis"},
                             std::chrono::seconds(60));
  if (status.exit_code != 0)
    throw usage_error(e.id +
                      " runs on PostgreSQL and Redis, and they are not running: start them with "
                      "`dca services start`, then `dca play " +
                      e.number + "` again");
}

/// The variants `dca explore NN` steps through (manifest `explored =`; both when not given).
std::vector<std::string> explored_variants(const exercise_entry& e) {
  std::vector<std::string> out;
  std::istringstream words{e.explored.empty() ? "shared actors" : e.explored};
  for (std::string w; words >> w;)
    out.push_back(w);
  return out;
}

/// The variant played: the one asked for, if the exercise explores it; else a usage error.
std::string variant_of(const exercise_entry& e, bool solution, std::string variant) {
  auto explored = explored_variants(e);
  auto has = [&](const std::string& v) {
    return std::find(explored.begin(), explored.end(), v) != explored.end();
  };
  if (solution && !has("actors"))
    throw usage_error(e.id + " explores only its " + explored.front() +
                      " track, which is the same in the solution: play it without --solution");
  if (variant.empty())
    return solution || !has("shared") ? "actors" : "shared";
  if (variant != "shared" && variant != "actors")
    throw usage_error("--variant must be 'shared' or 'actors', not '" + variant + "'");
  if (!has(variant))
    throw usage_error(e.id + " explores only its " + explored.front() +
                      " track: play it without --variant");
  if (solution && variant != "actors")
    throw usage_error("the solution track is the message-passing code: play it with --variant "
                      "actors (or without --variant)");
  return variant;
}

game game_of(const context& ctx, const exercise_entry& e, bool solution, std::string variant) {
  game g;
  g.entry = &e;
  g.solution = solution;
  g.variant = variant_of(e, solution, std::move(variant));
  require_services_running(ctx, e);
  auto target = (solution ? "sol" : "ex") + e.number;
  auto built = ctx.build({target});
  if (!built.ok())
    throw std::runtime_error(e.id + " does not compile:\n" + compiler_errors(built.output));
  g.program = ctx.program(target);
  g.invoked = "dca %s " + e.number;
  g.code.entry = &e;
  g.code.build_dir = ctx.build_dir;
  g.code.exercise_dir = ctx.source_dir / "exercises" / e.id;
  g.code.learner_file = (solution ? ctx.source_dir / "solutions" / e.id : g.code.exercise_dir) /
                        "message_passing.cpp";
  return g;
}

} // namespace

int play_command(const context& ctx, const std::vector<std::string>& args) {
  po::options_description desc{
      "Usage: dca play NN [--solution] [--variant shared|actors]\nBe the scheduler: choose which "
      "thread, actor or node runs next (and whether a message on a lossy link is delivered, "
      "dropped or repeated) until the invariant breaks or the run ends clean"};
  std::string variant;
  desc.add_options()("help,h", "show this help")(
      "solution", "play the reference solution (its message-passing code): no choice corrupts it")(
      "variant", po::value(&variant),
      "shared (threads over shared state, the default) or actors (your message_passing.cpp)");
  const auto* chosen = parse_exercise_words(ctx, desc, args, "dca play 01");
  if (chosen == nullptr)
    return exit_ok;
  bool solution = std::find(args.begin(), args.end(), "--solution") != args.end();
  return play(game_of(ctx, *chosen, solution, variant));
}

} // namespace dca::cli
