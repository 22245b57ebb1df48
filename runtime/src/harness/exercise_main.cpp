// The command line of every exercise program: `run` on real threads or actors, `explore` the
// schedules. Errors are one line and exit 2; a finished run ends with a RESULT line that graders
// and `dca tour` read.
#include "dca/harness/exercise.hpp"
#include "dca/json.hpp"

#include <boost/program_options.hpp>

#include <chrono>
#include <cstdlib>
#include <iomanip>
#include <iostream>
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

int run_command(const exercise& ex, const std::string& name, const std::vector<std::string>& args) {
  po::options_description desc{"Usage: " + name + " [options]\nRuns one variant on real threads " +
                               "(shared) or real actors (actors) and reports what it observed"};
  std::string variant = "shared";
  std::string format = "table";
  std::uint64_t seed = 0;
  auto add = desc.add_options();
  add("help,h", "show this help");
  add("variant", po::value(&variant)->default_value("shared"),
      "shared: the shared-state code; actors: the message-passing code");
  for (const auto& p : ex.parameters)
    add(p.name.c_str(), po::value<std::int64_t>()->default_value(p.value_default), p.help.c_str());
  add("seed", po::value(&seed),
      "add seeded yields at every shared access, so a run repeats its interleaving more closely");
  add("format", po::value(&format)->default_value("table"),
      "table, or json: the result as one JSON object");
  if (ex.run_compare)
    add("compare", "run the same load on each fix and print one table of what each costs");
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
  for (const auto& p : ex.parameters) {
    auto v = vm[p.name].as<std::int64_t>();
    if (v < p.value_min || v > p.value_max)
      throw po::error("--" + p.name + " must be between " + with_commas(p.value_min) + " and " +
                      with_commas(p.value_max) + ", not " + std::to_string(v));
    values[p.name] = v;
  }
  DCA_ASSERT(values.size() == ex.parameters.size());
  const auto& run =
      vm.count("compare") ? ex.run_compare : pick_variant(ex.run_shared, ex.run_actors, variant);
  if (vm.count("compare"))
    variant = "compare";
  arguments in{values, vm.count("seed") ? std::optional<std::uint64_t>{seed} : std::nullopt};
  run_result r;
  auto t0 = std::chrono::steady_clock::now();
  {
    progress_bar bar{!json};
    r = run(in, [&](double f) { bar.update(f); });
  }
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  if (json) {
    std::cout << "{\"pattern\":\"" << ex.pattern << "\",\"variant\":\"" << variant
              << "\",\"corrupted\":" << (r.corrupted ? "true" : "false") << ",\"summary\":\""
              << json_escaped(r.summary) << "\",\"elapsed_ms\":" << ms;
    for (auto& [k, v] : r.fields)
      std::cout << ",\"" << k << "\":\"" << json_escaped(v) << '"';
    std::cout << "}\n";
  } else {
    std::cout << (r.corrupted ? "CORRUPTED: " : "ok: ") << r.summary << "  (" << ms << " ms)\n";
    if (!r.corrupted && variant == "shared")
      std::cout << still_racy(name);
    std::cout << "RESULT pattern=" << ex.pattern << " variant=" << variant;
    for (auto& [k, v] : r.fields)
      std::cout << ' ' << k << '=' << v;
    std::cout << " corrupted=" << (r.corrupted ? 1 : 0) << " elapsed_ms=" << ms << '\n';
  }
  return r.corrupted ? exit_corrupted : exit_clean;
}

/// The flags of `explore` as they were given, before they are checked.
struct explore_flags {
  std::string variant = "shared";
  std::string strategy = "systematic";
  std::string format = "table";
  std::optional<std::string> replay;
  explore::options opts;
};

/// Checks the flags and completes `flags.opts`: the strategy, and the replayed schedule if any.
void check_explore_flags(explore_flags& flags) {
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
  if (flags.replay) {
    auto parsed = explore::schedule::parse(*flags.replay);
    if (!parsed)
      throw po::error("--replay: " + parsed.error());
    flags.opts.replay = *parsed;
  }
}

void print_explore_table(const exercise& ex, const std::string& name, const std::string& variant,
                         const explore::report& r) {
  std::cout << ex.id << " (" << ex.pattern << ", " << variant << "): " << ex.title << "\n\n";
  auto hint = name + " --variant " + variant + " --replay";
  explore::print_table(std::cout, r, hint);
  std::cout << "RESULT pattern=" << ex.pattern << " variant=" << variant
            << " mode=explore outcome=" << explore::to_string(r.result)
            << " schedules=" << r.schedules_explored
            << " schedule=" << (r.failed() ? r.failing_schedule.to_string() : "-")
            << " elapsed_us=" << r.elapsed.count() << '\n';
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
  add("strategy", po::value(&flags.strategy)->default_value("systematic"),
      "systematic: every schedule within the preemption bound; dpor: every schedule up to "
      "reordering; delay: within a delay bound; random: seeded random schedules");
  add("bound", po::value(&opts.preemptions_max)->default_value(opts.preemptions_max),
      "the preemption bound of a systematic search");
  add("seed", po::value(&opts.seed)->default_value(opts.seed), "the seed of a random search");
  add("schedules", po::value(&opts.schedules_max)->default_value(opts.schedules_max),
      "stop after this many schedules");
  add("replay", po::value(&replay), "run exactly this schedule (as printed by a failing run)");
  add("format", po::value(&flags.format)->default_value("table"), "table or json");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << '\n';
    return exit_clean;
  }
  if (vm.count("replay"))
    flags.replay = replay;
  check_explore_flags(flags);
  const auto& fn = pick_variant(ex.explore_shared, ex.explore_actors, flags.variant);
  if (!fn) {
    std::cerr << name << ": exploring the " << flags.variant << " variant of " << ex.id
              << " is not available yet\n";
    return exit_failure;
  }
  auto r = fn(opts);
  if (flags.format == "json")
    explore::print_json(std::cout, r);
  else
    print_explore_table(ex, name, flags.variant, r);
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
  auto digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return value < 0 ? '-' + out : out;
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
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << '\n';
    return exit_failure;
  }
}

} // namespace dca::harness
