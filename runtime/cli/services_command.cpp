// `dca services start|stop|status|destroy`: the servers modules B and D run against (PostgreSQL
// 15, its streaming replica, Redis 7, a 3-member etcd), through the checkout's scripts/services,
// and one table saying what runs where (each etcd member's role) and what is in doubt. Commands
// that need the servers start them on their own; this is for looking and for stopping them.
#include <algorithm>
#include <iostream>
#include <optional>
#include <regex>

#include "command.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

/// Long enough for a first start: initdb, a base backup for the replica, and Redis.
constexpr auto services_start_limit = std::chrono::seconds(300);

struct service_row {
  std::string name, state, pid, socket, note;
};

/// The lines of a program's output.
std::vector<std::string> lines_in(const std::string& text) {
  std::vector<std::string> out;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      out.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  if (!line.empty())
    out.push_back(line);
  return out;
}

/// One line of `scripts/services status`: "postgres  running  pid 123  socket /x  replay lag...".
std::optional<service_row> parse_status_line(const std::string& line) {
  static const std::regex shape{
      R"(^(\S+)\s+(running|stopped)\s+(?:pid (\d+)\s+)?socket (\S+)\s*(.*)$)"};
  std::smatch m;
  if (!std::regex_match(line, m, shape))
    return std::nullopt;
  auto note = std::regex_replace(m[5].str(), std::regex{R"(\s{2,})"}, ", ");
  return service_row{m[1], m[2], m[3].matched ? m[3].str() : "-", m[4], note};
}

std::string shown_path(const context& ctx, const std::string& path) {
  auto root = ctx.source_dir.string() + '/';
  return path.rfind(root, 0) == 0 ? path.substr(root.size()) : path;
}

/// The status as one table; lines it does not know ("sockets are under /tmp/...") pass through.
/// Returns whether every server runs.
bool print_status(const context& ctx, std::vector<std::string> argv) {
  argv[1] = "status";
  auto status = run_captured(argv, std::chrono::seconds(60));
  std::vector<service_row> rows;
  for (const auto& line : lines_in(status.output)) {
    if (auto row = parse_status_line(line))
      rows.push_back(*row);
    else if (!line.empty())
      std::cout << line << '\n';
  }
  std::cout << fit_columns("service", 10) << fit_columns("state", 9) << fit_columns("pid", 9)
            << fit_columns("socket", 44) << "note\n";
  for (const auto& r : rows) {
    auto line = fit_columns(r.name, 10) + fit_columns(r.state, 9) + fit_columns(r.pid, 9) +
                fit_columns(shown_path(ctx, r.socket), 44) + r.note;
    std::cout << line.substr(0, line.find_last_not_of(' ') + 1) << '\n';
  }
  return status.exit_code == 0;
}

} // namespace

int services_command(const context& ctx, const std::vector<std::string>& args) {
  const std::string usage = "usage: dca services start|stop|status|destroy [--only "
                            "SERVER[,SERVER...]] (postgres replica redis etcd etcd1 etcd2 etcd3)";
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << usage
              << "\nThe servers of exercises 05-08 and 14, under .dca/services (etcd on "
                 "loopback ports of this checkout's own): "
                 "start (commands that need them start them too), stop, status (what "
                 "runs where), destroy (stop, and remove their data)\n";
    return exit_ok;
  }
  static const std::vector<std::string> verbs{"start", "stop", "status", "destroy"};
  if (args.empty() || std::find(verbs.begin(), verbs.end(), args[0]) == verbs.end())
    throw usage_error(args.empty() ? usage
                                   : "unknown services command '" + args[0] + "' (" + usage + ")");
  std::vector<std::string> argv{(ctx.source_dir / "scripts" / "services").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (args[0] == "status")
    return print_status(ctx, argv) ? exit_ok : exit_failed;
  auto done = run_captured(argv, services_start_limit);
  if (!done.ok()) {
    std::cerr << (done.output.empty() ? "services: " + args[0] + " failed\n" : done.output);
    return exit_failed;
  }
  print_status(ctx, argv);
  return exit_ok;
}

} // namespace dca::cli
