// The command line of every exercise program: `run` on real threads or actors, `explore` the
// schedules. Errors are one line and exit 2; programs read the result as --format json (a learner's
// terminal only ever gets words).
#include "dca/explore/report.hpp"
#include "dca/harness/exercise.hpp"
#include "dca/json.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "dca/assert.hpp"

namespace po = boost::program_options;

namespace dca::harness {

namespace {

constexpr int exit_clean = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;
constexpr int exit_corrupted = 3;
/// Seeds are printed and typed back as signed 64-bit figures by the tools that read our JSON.
constexpr auto seed_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
/// A search is bounded by its time limit too; this keeps a typo from reading as a plan.
constexpr std::uint64_t schedules_max = 1'000'000'000;

/// How the learner invoked us ("dca run 01"), so errors name a command they can type again.
std::string invoked_as(const char* argv0, const std::string& subcommand) {
  if (const char* pattern = std::getenv("DCA_INVOKED_AS")) {
    // dca passes "dca %s 01": the subcommand goes where %s is.
    std::string name = pattern;
    if (auto at = name.find("%s"); at != std::string::npos)
      return name.replace(at, 2, subcommand);
    return name + ' ' + subcommand;
  }
  return std::string{argv0} + ' ' + subcommand;
}

/// A progress bar on stderr, redrawn at most ten times a second, only on a terminal.
class progress_bar {
public:
  explicit progress_bar(bool enabled) : enabled_(enabled && isatty(STDERR_FILENO) != 0) {}

  void update(double fraction) {
    DCA_ASSERT(fraction >= 0.0);
    DCA_ASSERT(fraction <= 1.0);
    if (!enabled_)
      return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100) && fraction < 1.0)
      return;
    last_ = now;
    constexpr int width = 40;
    int filled = static_cast<int>(fraction * width);
    std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << std::setw(3)
              << static_cast<int>(fraction * 100) << '%' << std::flush;
    drawn_ = true;
  }

  ~progress_bar() {
    if (drawn_)
      std::cerr << '\r' << std::string(48, ' ') << '\r' << std::flush;
  }

private:
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

/// The number in `text`: digits, optionally grouped with commas as we print them ("1,000,000");
/// nothing when it is not one or exceeds `max`.
std::optional<std::uint64_t> digits_value(const std::string& text, std::uint64_t max) {
  std::uint64_t value = 0;
  bool digits = false;
  for (char c : text) {
    if (c == ',' && digits)
      continue;
    if (c < '0' || c > '9')
      return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (max - std::min(max, digit)) / 10 || digit > max)
      return std::nullopt;
    value = value * 10 + digit;
    digits = true;
  }
  return digits && text.back() != ',' ? std::optional<std::uint64_t>{value} : std::nullopt;
}

/// The whole number a flag was given. Boost would read "-5" into an unsigned flag as
/// 18,446,744,073,709,551,611, and a typo must not become a search that never ends.
std::uint64_t whole_number(const std::string& flag, const std::string& text, std::uint64_t max,
                           std::uint64_t min = 0) {
  auto value = digits_value(text, max);
  if (!value || *value < min)
    throw po::error("--" + flag + " takes a whole number from " +
                    with_commas(static_cast<std::int64_t>(min)) + " to " +
                    with_commas(static_cast<std::int64_t>(max)) + ", not '" + text + "'");
  return *value;
}

/// A knob's value from its flag, within the knob's range.
std::int64_t parameter_value(const parameter& p, const std::string& text) {
  DCA_ASSERT(p.value_min >= 0);
  auto value = digits_value(text, static_cast<std::uint64_t>(p.value_max));
  if (!value || static_cast<std::int64_t>(*value) < p.value_min)
    throw po::error("--" + p.name + " must be a whole number from " + with_commas(p.value_min) +
                    " to " + with_commas(p.value_max) + ", not '" + text + "'");
  return static_cast<std::int64_t>(*value);
}

/// `shared` or `actors`, as --variant names them.
template <class T>
const T& pick_variant(const T& shared, const T& actors, const std::string& variant) {
  if (variant == "shared")
    return shared;
  if (variant == "actors")
    return actors;
  throw po::error("--variant must be 'shared' or 'actors', not '" + variant + "'");
}

/// After a clean free run of the shared-state code: luck, not correctness, and how to see the race.
std::string still_racy(const std::string& name) {
  auto explore = name;
  if (auto at = explore.find(" run"); at != std::string::npos)
    explore.replace(at, 4, " explore");
  return "The race is still there: this run was lucky (a busy machine often hides it). `" +
         explore + "` finds an interleaving that corrupts; `--seed 1` makes it show more often.\n";
}

/// What one run observed, as a table for people or one JSON object.
void print_run(const std::string& pattern, const std::string& name, const std::string& variant,
               bool json, const run_result& r, std::int64_t ms) {
  if (json) {
    std::cout << "{\"pattern\":\"" << pattern << "\",\"variant\":\"" << variant
              << "\",\"corrupted\":" << (r.corrupted ? "true" : "false") << ",\"summary\":\""
              << json_escaped(r.summary) << "\",\"elapsed_ms\":" << ms;
    for (const auto& [k, v] : r.fields)
      std::cout << ",\"" << k << "\":\"" << json_escaped(v) << '"';
    std::cout << "}\n";
    return;
  }
  std::cout << r.table << (r.corrupted ? "CORRUPTED: " : "ok: ") << r.summary << "  ("
            << with_commas(ms) << " ms)\n";
  if (!r.corrupted && variant == "shared")
    std::cout << still_racy(name);
}

int run_command(const exercise& ex, const std::string& name, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: " + name + " [options]\nRuns one variant on real threads " +
                               "(shared) or real actors (actors) and reports what it observed"};
  std::string variant = "shared";
  std::string format = "table";
  std::string seed;
  auto add = desc.add_options();
  add("help,h", "show this help");
  add("variant", po::value(&variant)->default_value("shared"),
      "shared: the shared-state code; actors: the message-passing code");
  for (const auto& p : ex.parameters)
    add(p.name.c_str(), po::value<std::string>()->default_value(with_commas(p.value_default)),
        p.help.c_str());
  add("seed", po::value(&seed),
      "add seeded yields at every shared access, so a run repeats its interleaving more closely");
  add("format", po::value(&format)->default_value("table"),
      "table, or json: the result as one JSON object");
  if (ex.run_compare)
    add("compare", "run the same load on each fix and print one table of what each costs");
  if (ex.run_real)
    add("real", "run the message-passing code against the real servers its stand-ins play");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_clean;
  }
  if (format != "table" && format != "json")
    throw po::error("--format must be 'table' or 'json', not '" + format + "'");
  bool json = format == "json";
  std::map<std::string, std::int64_t> values;
  for (const auto& p : ex.parameters)
    values[p.name] = parameter_value(p, vm[p.name].as<std::string>());
  DCA_ASSERT(values.size() == ex.parameters.size());
  bool variant_given = !vm["variant"].defaulted();
  if (vm.count("real") && (vm.count("compare") || (variant_given && variant != "actors")))
    throw po::error("--real runs the message-passing code (--variant actors) on the real servers: "
                    "give it without --compare or --variant shared");
  const auto& run = vm.count("compare") ? ex.run_compare
                    : vm.count("real")  ? ex.run_real
                                        : pick_variant(ex.run_shared, ex.run_actors, variant);
  if (vm.count("compare") || vm.count("real"))
    variant = vm.count("compare") ? "compare" : "real";
  arguments in{values, vm.count("seed")
                           ? std::optional<std::uint64_t>{whole_number("seed", seed, seed_max)}
                           : std::nullopt};
  run_result r;
  auto t0 = std::chrono::steady_clock::now();
  {
    progress_bar bar{!json};
    r = run(in, [&](double f) { bar.update(f); });
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  print_run(ex.pattern, name, variant, json, r, ms);
  return r.corrupted ? exit_corrupted : exit_clean;
}

/// The flags of `explore` as they were given, before they are checked.
struct explore_flags {
  std::string variant = "shared";
  std::string strategy; // empty: dpor for actors (their fix is proven), systematic for threads
  std::string format = "table";
  std::optional<std::string> replay;
  bool default_schedule = false;   // run only the schedule a search tries first, traced
  std::optional<std::string> turn; // dca play: the schedule chosen so far ("" at the start)
  std::string level;               // --level: one level of the failure instead of a variant
  bool fixed = false;              // --fixed: that level's fix
  std::string seed = with_commas(static_cast<std::int64_t>(explore::options{}.seed));
  std::string schedules_max =
      with_commas(static_cast<std::int64_t>(explore::options{}.schedules_max));
  explore::options opts;
};

/// Checks the flags and completes `flags.opts`: the strategy, and the replayed schedule if any.
void check_explore_flags(explore_flags& flags) {
  if (flags.strategy.empty())
    flags.strategy = flags.variant == "actors" ? "dpor" : "systematic";
  if (flags.strategy == "random")
    flags.opts.search = explore::strategy::random;
  else if (flags.strategy == "dpor")
    flags.opts.search = explore::strategy::dpor;
  else if (flags.strategy == "delay")
    flags.opts.search = explore::strategy::delay;
  else if (flags.strategy != "systematic")
    throw po::error("--strategy must be 'systematic', 'dpor', 'delay' or 'random', not '" +
                    flags.strategy + "'");
  if (flags.format != "table" && flags.format != "json")
    throw po::error("--format must be 'table' or 'json', not '" + flags.format + "'");
  // The explorers take a negative bound as no bound; from the command line that is a typo.
  if (flags.opts.preemptions_max < 0 || flags.opts.preemptions_max > 10)
    throw po::error("--bound must be between 0 and 10, not " +
                    std::to_string(flags.opts.preemptions_max));
  flags.opts.seed = whole_number("seed", flags.seed, seed_max);
  flags.opts.schedules_max = whole_number("schedules", flags.schedules_max, schedules_max, 1);
  if (flags.default_schedule) {
    if (flags.replay)
      throw po::error(
          "--default-schedule and --replay each name the one schedule to run: give one");
    // An empty schedule to follow: every choice falls back to the explorer's own (see search.cpp).
    flags.opts.replay = explore::schedule{};
  }
  if (flags.replay) {
    auto parsed = explore::schedule::parse(*flags.replay);
    if (!parsed)
      throw po::error("--replay: " + parsed.error());
    flags.opts.replay = *parsed;
  }
  if (flags.turn) {
    if (flags.replay || flags.default_schedule || flags.format != "json")
      throw po::error("--turn is dca play's: give it alone with --format json");
    auto parsed = flags.turn->empty() ? explore::schedule_parsed::value_of(explore::schedule{})
                                      : explore::schedule::parse(*flags.turn);
    if (!parsed)
      throw po::error("--turn: " + parsed.error());
    flags.opts.turn_after = *parsed;
  }
}

/// The options that pick what was explored, as a replay repeats them: "--variant shared",
/// "--level nodes --fixed".
std::string variant_flags(const explore_flags& flags) {
  if (flags.level.empty())
    return "--variant " + flags.variant;
  return "--level " + flags.level + (flags.fixed ? " --fixed" : "");
}

/// The level --level names (nullptr without one); sets the variant its search defaults follow.
const level* level_of(const exercise& ex, explore_flags& flags, bool variant_given) {
  if (flags.level.empty()) {
    if (flags.fixed)
      throw po::error("--fixed goes with --level actors or --level nodes");
    return nullptr;
  }
  if (ex.levels.empty())
    throw po::error("--level: " + ex.id + " is not explored at every level (01 and 02 are)");
  if (variant_given)
    throw po::error("--level and --variant each pick what to explore: give one");
  std::string names;
  for (const auto& l : ex.levels) {
    if (l.name == flags.level) {
      if (flags.fixed && !l.fixed)
        throw po::error("--fixed: the " + l.name +
                        " level has no fix to explore (actors and "
                        "nodes do)");
      flags.variant = l.name == "threads" ? "shared" : "actors";
      return &l;
    }
    names += (names.empty() ? "" : ", ") + l.name;
  }
  throw po::error("--level must be one of " + names + ", not '" + flags.level + "'");
}

void print_explore_table(const exercise& ex, const std::string& name, const std::string& shown,
                         const std::string& picked, const explore::report& r) {
  std::cout << ex.id << " (" << ex.pattern << ", " << shown << "): " << ex.title << "\n\n";
  auto hint = name + " " + picked + " --replay";
  explore::print_table(std::cout, r, hint);
}

/// A replay that is not a whole schedule of this scenario is bad input, not a finding: a step names
/// a thread or actor with nothing to do, the run ended before the schedule did (its trailing steps
/// unused), or the schedule is only a prefix (the run went on in the default order, so its outcome
/// says nothing about the schedule typed).
void check_replayed(const explore::schedule& given, const explore::report& r, const char* unit,
                    const char* flag = "--replay") {
  const std::string mismatch = "the schedule does not match this scenario: at step";
  auto typed = flag + (" " + given.to_string());
  auto steps = r.failing_schedule.size();
  if (r.result == explore::outcome::crashed && r.verdict.rfind(mismatch, 0) == 0)
    throw po::error(typed + " is not a schedule of this scenario: at step" +
                    r.verdict.substr(mismatch.size()) + " (give a schedule as printed after " +
                    "`replay:`)");
  if (std::string{flag} == "--turn")
    return; // a turn's schedule is a prefix, or a whole run that ended where it does
  if (steps < given.size())
    throw po::error(typed + " has " + with_commas(given.size()) +
                    " steps, but the run ended after " + with_commas(steps) + ": steps " +
                    with_commas(steps + 1) + " to " + with_commas(given.size()) +
                    " were not used (the whole schedule is --replay " +
                    r.failing_schedule.to_string() + ")");
  if (steps > given.size())
    throw po::error(typed + " is incomplete: it gives " + with_commas(given.size()) + " of the " +
                    with_commas(steps) + " steps of a run, so the rest ran in the default order " +
                    "(the whole schedule is --replay " + r.failing_schedule.to_string() + ", one " +
                    unit + " number a step)");
}

int explore_command(const exercise& ex, const std::string& name,
                    const std::vector<std::string>& args) {
  po::options_description desc{"Usage: " + name + " [options]\nSearches the interleavings of " +
                               "one variant for a schedule that breaks its invariant"};
  explore_flags flags;
  auto& opts = flags.opts;
  std::string replay;
  auto add = desc.add_options();
  add("help,h", "show this help");
  add("variant", po::value(&flags.variant)->default_value("shared"),
      "shared: threads over shared state; actors: message delivery orders");
  add("strategy", po::value(&flags.strategy),
      "systematic (the default for shared): every schedule within the preemption bound; dpor "
      "(the default for actors): every schedule up to reordering; delay: within a delay bound; "
      "random: seeded random schedules");
  add("bound", po::value(&opts.preemptions_max)->default_value(opts.preemptions_max),
      "the preemption bound of a systematic search");
  add("seed", po::value(&flags.seed)->default_value(flags.seed), "the seed of a random search");
  add("schedules", po::value(&flags.schedules_max)->default_value(flags.schedules_max),
      "stop after this many schedules");
  add("replay", po::value(&replay), "run exactly this schedule (as printed by a failing run)");
  add("default-schedule",
      "run only the schedule a search tries first (each thread or actor keeps going while it "
      "can), with its trace: one clean run to read, as `dca explore --html` shows it");
  add("format", po::value(&flags.format)->default_value("table"), "table or json");
  add("level", po::value(&flags.level),
      "one level of the failure instead of a variant (threads, actors, nodes: `dca explore NN "
      "--levels` shows them side by side)");
  add("fixed", "with --level actors or nodes: the fix (one message does the whole "
               "read-modify-write in the owner)");
  add("turn", po::value<std::string>(),
      "dca play's turn: run this schedule (\"\" for none yet), stop where it ends, and report the "
      "step each thread or actor that can run there would take (--format json)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_clean;
  }
  if (vm.count("replay"))
    flags.replay = replay;
  flags.default_schedule = vm.count("default-schedule") > 0;
  if (vm.count("turn"))
    flags.turn = vm["turn"].as<std::string>();
  flags.fixed = vm.count("fixed") > 0;
  const auto* picked = level_of(ex, flags, !vm["variant"].defaulted());
  check_explore_flags(flags);
  const auto& fn = picked != nullptr
                       ? (flags.fixed ? picked->fixed : picked->split)
                       : pick_variant(ex.explore_shared, ex.explore_actors, flags.variant);
  if (!fn) {
    std::cerr << name << ": exploring the " << flags.variant << " variant of " << ex.id
              << " is not available yet\n";
    return exit_failure;
  }
  auto r = fn(opts);
  const char* unit = flags.variant == "shared" ? "thread" : "actor";
  auto shown = picked != nullptr ? flags.level + (flags.fixed ? ", fixed" : "") : flags.variant;
  if (opts.replay && !flags.default_schedule)
    check_replayed(*opts.replay, r, unit);
  if (opts.turn_after)
    check_replayed(*opts.turn_after, r, unit, "--turn");
  if (flags.format == "json")
    explore::print_json(std::cout, r);
  else
    print_explore_table(ex, name, shown, variant_flags(flags), r);
  return r.failed() ? exit_corrupted : exit_clean;
}

void print_usage(const exercise& ex, const char* argv0) {
  std::cout << ex.id << " (" << ex.pattern << "): " << ex.title << "\n\n"
            << "Usage: " << argv0
            << " run [options]       run a variant on real threads or actors\n"
            << "       " << argv0 << " explore [options]   search its interleavings\n"
            << "Add --help after a command for its options. Exit status: 0 clean, 3 corrupted, "
               "2 bad usage.\n";
}

} // namespace

std::int64_t arguments::get(const std::string& name) const {
  auto i = values_.find(name);
  if (i == values_.end())
    throw std::logic_error("exercise asked for an undeclared parameter: " + name);
  return i->second;
}

std::string with_commas(std::int64_t value) {
  auto magnitude = explore::with_commas(value < 0 ? 0 - static_cast<std::uint64_t>(value)
                                                  : static_cast<std::uint64_t>(value));
  return value < 0 ? '-' + magnitude : magnitude;
}

int exercise_main(int argc, char** argv, const exercise& ex) {
  DCA_ASSERT(argc >= 1);
  DCA_ASSERT_MSG(static_cast<bool>(ex.run_shared), "every exercise runs its shared variant");
  DCA_ASSERT_MSG(static_cast<bool>(ex.run_actors), "every exercise runs its actors variant");
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(ex, argv[0]);
    return args.empty() ? exit_usage : exit_clean;
  }
  auto command = args[0];
  args.erase(args.begin());
  auto name = invoked_as(argv[0], command);
  try {
    if (command == "run")
      return run_command(ex, name, args);
    if (command == "explore")
      return explore_command(ex, name, args);
    std::cerr << argv[0] << ": unknown command '" << command << "': expected run or explore\n";
    return exit_usage;
  } catch (const po::error& e) {
    std::cerr << name << ": " << e.what() << " (see " << name << " --help)\n";
    return exit_usage;
  } catch (const cannot_run& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return exit_failure;
  }
}

} // namespace dca::harness
