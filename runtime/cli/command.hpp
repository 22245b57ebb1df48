// The shape of every dca command, and the table of them. `dca NAME WORDS...` finds NAME in
// commands() and calls it with the checkout and the words after NAME. A new command is one file
// defining one `int NAME_command(const context&, const std::vector<std::string>&)` and one row in
// commands.cpp.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "context.hpp"

namespace dca::cli {

/// Every command: the checkout it works on and the words after its name. Returns the exit status
/// (exit_ok, exit_failed, exit_usage); a usage_error thrown is printed as one line, exit_usage.
using command_fn = int (*)(const context&, const std::vector<std::string>& args);

struct command {
  const char* name;
  command_fn run;
};

/// Every command, in the order `dca --help` lists them.
const std::vector<command>& commands();

/// The command called `name`, or null.
const command* find_command(const std::string& name);

/// `dca --help`: every command in one line.
void print_usage(std::ostream& out);

int list_command(const context&, const std::vector<std::string>& args);
int hint_command(const context&, const std::vector<std::string>& args);
int run_command(const context&, const std::vector<std::string>& args);
int explore_command(const context&, const std::vector<std::string>& args);
int play_command(const context&, const std::vector<std::string>& args);
int check_command(const context&, const std::vector<std::string>& args);
int tour_command(const context&, const std::vector<std::string>& args);
int grade_command(const context&, const std::vector<std::string>& args);
int watch_command(const context&, const std::vector<std::string>& args);
int reset_command(const context&, const std::vector<std::string>& args);
int solution_command(const context&, const std::vector<std::string>& args);
int dev_command(const context&, const std::vector<std::string>& args);
int services_command(const context&, const std::vector<std::string>& args);
int cluster_command(const context&, const std::vector<std::string>& args);

} // namespace dca::cli
