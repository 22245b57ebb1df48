// The table of dca commands and `dca --help`.
#include "command.hpp"

#include <iostream>

#include "journal_command.hpp"

namespace dca::cli {

namespace {

/// `dca journal` needs no checkout; its core takes the streams so its tests can read them.
int journal_in_terminal(const context&, const std::vector<std::string>& args) {
  return journal_command(args, std::cout, std::cerr);
}

} // namespace

const std::vector<command>& commands() {
  static const std::vector<command> table{
      {"watch", watch_command},
      {"tour", tour_command},
      {"list", list_command},
      {"run", run_command},
      {"explore", explore_command},
      {"play", play_command},
      {"check", check_command},
      {"hint", hint_command},
      {"reset", reset_command},
      {"solution", solution_command},
      {"journal", journal_in_terminal},
      {"grade", grade_command},
      {"dev", dev_command},
      {"services", services_command},
      {"cluster", cluster_command},
  };
  return table;
}

const command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name)
      return &c;
  return nullptr;
}

void print_usage(std::ostream& out) {
  out << "dca: Data Corrupting Architectures, the workshop kit\n\n"
         "  dca                   continue where you left off: checks your exercise on "
         "every save\n"
         "  dca tour              every pattern corrupting, next to its fix (start here)\n"
         "  dca list              the exercises and your progress\n"
         "  dca run NN            run exercise NN on real threads (or --variant actors)\n"
         "  dca explore NN        find the interleaving that corrupts, step by step\n"
         "  dca play NN           be the scheduler: pick who runs next until it corrupts\n"
         "  dca check NN          check your message_passing.cpp against the spec\n"
         "  dca check --all       re-check every exercise you have passed\n"
         "  dca hint NN           a hint when you are stuck (--level 2, 3 for more)\n"
         "  dca reset NN          start exercise NN over (your version is backed up)\n"
         "  dca solution NN       the reference solution, once yours passes\n"
         "  dca journal inspect|verify PATH   read or check an entity journal\n"
         "                                    (a SQLite file or a PostgreSQL database)\n"
         "  dca services status   the servers of exercises 05-08 (start, stop, destroy)\n"
         "  dca cluster up N      the bank on N node processes (status, kill|stop|cont NODE,\n"
         "                        call NODE KEY COMMAND, down)\n\n"
         "For instructors and authors:\n"
         "  dca grade SUB...      grade submissions in a sandbox (table, json, csv, junit, "
         "gradescope)\n"
         "  dca dev check         every exercise: listed, documented, skeleton fails, "
         "solution passes\n\n"
         "Commands that report take --format json (one JSON document on stdout).\n"
         "Add --help after any command for its options.\n";
}

} // namespace dca::cli
