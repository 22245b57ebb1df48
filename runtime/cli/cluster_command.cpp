// `dca cluster up N | status | kill|stop|cont NODE | call NODE KEY COMMAND... | down`: the bank's
// accounts on N node processes on this machine (bank_node serve, on loopback ports 7101...), over
// the services' PostgreSQL (database dca_cluster: journal, shard leases, member table). The node
// processes outlive the command; .dca/cluster/NODE.pid says where they are, so kill, stop and
// cont inject real process faults (SIGKILL, SIGSTOP, SIGCONT) and down stops them all.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "child_process.hpp"
#include "command.hpp"
#include "text.hpp"

namespace dca::cli {

namespace {

namespace fs = std::filesystem;

constexpr int base_port = 7100;
constexpr int nodes_max = 9;
constexpr auto cluster_up_limit = std::chrono::seconds(30);
constexpr auto cluster_down_limit = std::chrono::seconds(10);

const std::string usage =
    "usage: dca cluster up N | status | kill|stop|cont NODE | call NODE KEY open OWNER|deposit "
    "CENTS|withdraw CENTS | down";

fs::path cluster_dir(const context& ctx) {
  return ctx.source_dir / ".dca" / "cluster";
}

fs::path bank_node(const context& ctx) {
  auto p = ctx.build_dir / "runtime" / "examples" / "bank_cluster" / "bank_node";
  if (!fs::exists(p))
    throw usage_error("dca cluster runs bank_node, which this build lacks: configure with "
                      "-DDCA_WITH_SERVICES=ON and build the target bank_node");
  return p;
}

/// Starts the services' PostgreSQL if needed; the cluster database's connection string.
std::string cluster_db(const context& ctx, bool create) {
  auto script = (ctx.source_dir / "scripts" / "services").string();
  auto started = run_captured({script, "start", "--only", "postgres"}, std::chrono::seconds(300));
  auto env = run_captured({script, "env"}, std::chrono::seconds(60));
  std::smatch m;
  static const std::regex primary{"export DCA_PG_PRIMARY='([^']*)'"};
  if (!started.ok() || !std::regex_search(env.output, m, primary))
    throw std::runtime_error("cluster: PostgreSQL did not start: " + started.output);
  auto admin = m[1].str();
  if (create) {
    auto found = run_captured(
        {"psql", admin, "-Atc", "SELECT 1 FROM pg_database WHERE datname = 'dca_cluster'"},
        std::chrono::seconds(30));
    if (found.ok() && found.output.find('1') == std::string::npos)
      run_captured({"psql", admin, "-qc", "CREATE DATABASE dca_cluster"}, std::chrono::seconds(30));
  }
  return admin + " dbname=dca_cluster";
}

/// The node processes `up` started, by name, from their pid files.
std::map<std::string, pid_t> node_pids(const context& ctx) {
  std::map<std::string, pid_t> out;
  if (!fs::exists(cluster_dir(ctx)))
    return out;
  for (auto& f : fs::directory_iterator(cluster_dir(ctx))) {
    if (f.path().extension() != ".pid")
      continue;
    std::ifstream in{f.path()};
    pid_t pid = 0;
    if (in >> pid)
      out[f.path().stem().string()] = pid;
  }
  return out;
}

/// "running", "stopped" (SIGSTOP) or "exited", from /proc (a zombie has exited).
std::string process_state(pid_t pid) {
  std::ifstream stat{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(stat, line))
    return "exited";
  auto state = line.substr(line.rfind(')') + 2, 1);
  return state == "Z" || state == "X" ? "exited" : state == "T" ? "stopped" : "running";
}

pid_t spawn_node(const context& ctx, const std::string& name, const std::string& db) {
  auto port = std::to_string(base_port + std::stoi(name.substr(1)));
  std::vector<std::string> argv{
      bank_node(ctx).string(), "serve", "--id", name, "--port", port, "--db", db};
  auto args = c_array(argv);
  auto log = (cluster_dir(ctx) / (name + ".log")).string();
  auto pid = ::fork();
  if (pid == 0) {
    ::setsid(); // its own session: Ctrl-C in this terminal does not reach it
    auto fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    auto null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  std::ofstream{cluster_dir(ctx) / (name + ".pid")} << pid << '\n';
  return pid;
}

/// The "K live" of bank_node status, or -1 when it could not be read.
int live_members(const context& ctx, const std::string& db) {
  auto st = run_captured({bank_node(ctx).string(), "status", "--db", db}, std::chrono::seconds(10));
  std::smatch m;
  static const std::regex live{R"(\((\d+) live\))"};
  return st.ok() && std::regex_search(st.output, m, live) ? std::stoi(m[1]) : -1;
}

int show_status(const context& ctx, const std::string& db) {
  for (auto& [name, pid] : node_pids(ctx))
    std::cout << fit_columns(name, 8) << "pid " << fit_columns(std::to_string(pid), 9)
              << process_state(pid) << '\n';
  std::cout << '\n';
  auto st = run_captured({bank_node(ctx).string(), "status", "--db", db}, std::chrono::seconds(10));
  std::cout << st.output;
  return st.ok() ? exit_ok : exit_failed;
}

int cluster_up(const context& ctx, int n) {
  if (n < 1 || n > nodes_max)
    throw usage_error("dca cluster up N: N must be between 1 and " + std::to_string(nodes_max));
  for (auto& [name, pid] : node_pids(ctx))
    if (process_state(pid) != "exited")
      throw usage_error("a cluster is running (" + name + " is pid " + std::to_string(pid) +
                        "): dca cluster down first");
  auto db = cluster_db(ctx, true);
  fs::create_directories(cluster_dir(ctx));
  std::vector<pid_t> pids;
  for (int k = 1; k <= n; ++k)
    pids.push_back(spawn_node(ctx, "n" + std::to_string(k), db));
  auto deadline = std::chrono::steady_clock::now() + cluster_up_limit;
  while (live_members(ctx, db) < n) {
    for (int k = 0; k < n; ++k) {
      int status = 0;
      if (::waitpid(pids[static_cast<std::size_t>(k)], &status, WNOHANG) > 0) {
        std::ifstream log{cluster_dir(ctx) / ("n" + std::to_string(k + 1) + ".log")};
        std::string line, last;
        while (std::getline(log, line))
          last = line;
        std::cerr << "cluster: node n" << k + 1 << " exited: " << last << '\n';
        return exit_failed;
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "cluster: not every node joined within 30 s (see .dca/cluster/*.log)\n";
      return exit_failed;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // polling the member table
  }
  return show_status(ctx, db);
}

int signal_node(const context& ctx, const std::string& verb, const std::string& name) {
  auto pids = node_pids(ctx);
  auto it = pids.find(name);
  if (it == pids.end())
    throw usage_error("no node " + name + " in this cluster (dca cluster status lists them)");
  auto sig = verb == "kill" ? SIGKILL : verb == "stop" ? SIGSTOP : SIGCONT;
  if (process_state(it->second) == "exited" || ::kill(it->second, sig) != 0) {
    std::cerr << "cluster: " << name << " (pid " << it->second << ") is not running\n";
    return exit_failed;
  }
  std::cout << name << ": "
            << (verb == "kill"   ? "killed (SIGKILL)"
                : verb == "stop" ? "stopped (SIGSTOP)"
                                 : "continued (SIGCONT)")
            << '\n';
  return exit_ok;
}

int cluster_down(const context& ctx) {
  auto pids = node_pids(ctx);
  for (auto& [name, pid] : pids)
    if (process_state(pid) != "exited") {
      ::kill(pid, SIGCONT); // a stopped node cannot handle SIGTERM
      ::kill(pid, SIGTERM);
    }
  auto deadline = std::chrono::steady_clock::now() + cluster_down_limit;
  for (auto& [name, pid] : pids) {
    while (process_state(pid) != "exited" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50)); // polling /proc for its exit
    if (process_state(pid) != "exited")
      ::kill(pid, SIGKILL);
    fs::remove(cluster_dir(ctx) / (name + ".pid"));
    std::cout << name << ": down\n";
  }
  return exit_ok;
}

int cluster_call(const context& ctx, const std::vector<std::string>& args) {
  if (args.size() < 4)
    throw usage_error(usage);
  auto port = std::to_string(base_port + std::stoi(args[1].substr(1)));
  std::vector<std::string> argv{bank_node(ctx).string(), "call", "--to", "127.0.0.1:" + port};
  argv.insert(argv.end(), args.begin() + 2, args.end());
  auto r = run_captured(argv, std::chrono::seconds(30));
  std::cout << r.output;
  return r.ok() ? exit_ok : exit_failed;
}

} // namespace

int cluster_command(const context& ctx, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage << '\n';
    return args.empty() ? exit_usage : exit_ok;
  }
  auto& verb = args[0];
  if (verb == "up" && args.size() == 2)
    return cluster_up(ctx, std::stoi(args[1]));
  if (verb == "status" && args.size() == 1)
    return show_status(ctx, cluster_db(ctx, false));
  if ((verb == "kill" || verb == "stop" || verb == "cont") && args.size() == 2)
    return signal_node(ctx, verb, args[1]);
  if (verb == "call")
    return cluster_call(ctx, args);
  if (verb == "down" && args.size() == 1)
    return cluster_down(ctx);
  throw usage_error("dca cluster " + verb + ": " + usage);
}

} // namespace dca::cli
