// Finding and starting the servers: the environment when it names all three, else the checkout's
// scripts/services (start, then env), whose one-line failures pass through unchanged.
#include "dca/services/endpoints.hpp"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace dca::services {

namespace {

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string{} : std::string{value};
}

std::string shell_quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

/// Marks every descriptor above stderr close-on-exec. The servers the script starts outlive it:
/// one that inherited a pipe of whoever runs this program (dca's stack-report pipe, a test's
/// output) would hold it open, and they would wait for its end until their time limit.
void keep_descriptors_from_children() {
  std::error_code ec;
  std::vector<int> fds;
  for (const auto& entry : std::filesystem::directory_iterator{"/proc/self/fd", ec})
    fds.push_back(std::atoi(entry.path().filename().c_str()));
  for (int fd : fds)
    if (fd > STDERR_FILENO)
      ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC); // the iterator's own: closed, fails
}

/// Runs `command` in a shell; its output (stdout and stderr) and whether it exited 0.
std::pair<std::string, bool> run_shell(const std::string& command) {
  keep_descriptors_from_children();
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return {"cannot run " + command, false};
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr)
    output += buffer.data();
  int status = ::pclose(pipe);
  return {output, status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

/// The last line of `text` that says something: a failing script's own one-line reason.
std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of("\n ");
  if (end == std::string::npos)
    return "no output";
  auto begin = text.rfind('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end - begin);
}

/// The value of `export NAME='value'` in `scripts/services env`'s output.
std::string exported(const std::string& env_output, const std::string& name) {
  std::smatch m;
  std::regex line{"export " + name + "='((?:[^']|'\\\\'')*)'"};
  if (!std::regex_search(env_output, m, line))
    return {};
  return std::regex_replace(m[1].str(), std::regex{"'\\\\''"}, "'");
}

/// The first line of `file` as a pid that runs, or 0.
bool pid_file_alive(const std::string& file) {
  std::ifstream in{file};
  long pid = 0;
  return in >> pid && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

/// The servers of a checkout whose sockets sit beside their data, found without a process: their
/// pid files name running processes and their sockets exist. Starting on demand costs a second on
/// a loaded machine (the script checks everything); this costs a few system calls.
std::optional<endpoints> already_running(const std::string& checkout) {
  auto root = checkout + "/.dca/services";
  if (const char* moved = std::getenv("DCA_SERVICES_ROOT"))
    root = moved;
  auto primary = root + "/pg-primary", replica = root + "/pg-replica";
  auto redis = root + "/redis/redis.sock";
  for (const auto& dir : {primary, replica})
    if (!pid_file_alive(dir + "/data/postmaster.pid") ||
        ::access((dir + "/.s.PGSQL.5432").c_str(), F_OK) != 0)
      return std::nullopt;
  if (!pid_file_alive(root + "/redis/redis.pid") || ::access(redis.c_str(), F_OK) != 0)
    return std::nullopt;
  // Paths with spaces or quotes need quoting in a conninfo: leave those to the script.
  if ((primary + replica).find_first_of(" '\\") != std::string::npos)
    return std::nullopt;
  auto conninfo = [](const std::string& host) {
    return "host=" + host + " port=5432 user=postgres dbname=postgres";
  };
  return endpoints{conninfo(primary), conninfo(replica), redis, ""}; // no password: the kit's own
}

std::string this_checkout() {
  auto checkout = env_or_empty("DCA_CHECKOUT");
#ifdef DCA_SERVICES_CHECKOUT
  if (checkout.empty())
    checkout = DCA_SERVICES_CHECKOUT;
#endif
  return checkout;
}

/// The comma-separated `list` as its items.
std::vector<std::string> split_commas(const std::string& list) {
  std::vector<std::string> out;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    auto end = std::min(list.find(',', begin), list.size());
    if (end > begin)
      out.push_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

/// The etcd members `scripts/services env` names for `checkout`; empty when it names none.
std::vector<std::string> etcd_members_of(const std::string& checkout) {
  auto [env, env_ok] = run_shell(shell_quoted(checkout + "/scripts/services") + " env");
  return env_ok ? split_commas(exported(env, "DCA_ETCD_ENDPOINTS")) : std::vector<std::string>{};
}

std::vector<std::string> start_etcd_from_checkout() {
  auto checkout = this_checkout();
  auto script = shell_quoted(checkout + "/scripts/services");
  auto [started, ok] = run_shell(script + " start --only etcd");
  if (!ok)
    throw unavailable{last_line(started)};
  auto members = etcd_members_of(checkout);
  if (members.empty())
    throw unavailable{"services: scripts/services env in " + checkout +
                      " named no etcd member: run scripts/services status --only etcd"};
  return members;
}

/// What the environment names (a grading slot's, or `eval "$(scripts/services env)"`).
endpoints from_environment() {
  return {env_or_empty("DCA_PG_PRIMARY"), env_or_empty("DCA_PG_REPLICA"),
          env_or_empty("DCA_REDIS_SOCKET"), env_or_empty("DCA_REDIS_PASSWORD")};
}

endpoints start_from_checkout() {
  auto checkout = this_checkout();
  if (auto running = already_running(checkout))
    return *running;
  auto script = shell_quoted(checkout + "/scripts/services");
  // Module B's servers only: etcd is asked for by what needs it (etcd_endpoints).
  auto [started, ok] = run_shell(script + " start --only postgres,replica,redis");
  if (!ok)
    throw unavailable{last_line(started)};
  auto [env, env_ok] = run_shell(script + " env");
  endpoints out{exported(env, "DCA_PG_PRIMARY"), exported(env, "DCA_PG_REPLICA"),
                exported(env, "DCA_REDIS_SOCKET"), ""};
  if (!env_ok || out.primary.empty() || out.replica.empty() || out.redis_socket.empty())
    throw unavailable{"services: scripts/services env in " + checkout +
                      " said nothing usable: run scripts/services status"};
  return out;
}

} // namespace

const endpoints& require() {
  static std::mutex lock;
  static std::unique_ptr<endpoints> found;
  std::lock_guard<std::mutex> guard{lock};
  if (found)
    return *found;
  auto given = from_environment();
  bool all_given = !given.primary.empty() && !given.replica.empty() && !given.redis_socket.empty();
  found = std::make_unique<endpoints>(all_given ? given : start_from_checkout());
  return *found;
}

const std::vector<std::string>& etcd_endpoints() {
  static std::mutex lock;
  static std::unique_ptr<std::vector<std::string>> found;
  std::lock_guard<std::mutex> guard{lock};
  if (!found) {
    auto given = split_commas(env_or_empty("DCA_ETCD_ENDPOINTS"));
    found = std::make_unique<std::vector<std::string>>(given.empty() ? start_etcd_from_checkout()
                                                                     : given);
  }
  return *found;
}

std::optional<endpoints> if_running() {
  auto given = from_environment();
  if (!given.primary.empty() && !given.replica.empty() && !given.redis_socket.empty())
    return given;
  return already_running(this_checkout());
}

std::optional<std::vector<std::string>> etcd_endpoints_if_running() {
  auto given = split_commas(env_or_empty("DCA_ETCD_ENDPOINTS"));
  if (!given.empty())
    return given;
  auto checkout = this_checkout();
  auto root = checkout + "/.dca/services";
  if (const char* moved = std::getenv("DCA_SERVICES_ROOT"))
    root = moved;
  bool any = false;
  for (const char* member : {"n1", "n2", "n3"})
    any = any || pid_file_alive(root + "/etcd/" + member + "/etcd.pid");
  auto members = any ? etcd_members_of(checkout) : std::vector<std::string>{};
  return members.empty() ? std::nullopt : std::optional<std::vector<std::string>>{members};
}

std::string with_dbname(const std::string& conninfo, const std::string& dbname) {
  static const std::regex existing{R"((^|\s)dbname=\S*)"};
  if (std::regex_search(conninfo, existing))
    return std::regex_replace(conninfo, existing, "$1dbname=" + dbname);
  return conninfo + " dbname=" + dbname;
}

std::string home_database() {
  static const std::regex named{R"((?:^|\s)dbname=(\S+))"};
  std::smatch m;
  const auto& primary = require().primary;
  return std::regex_search(primary, m, named) ? m[1].str() : std::string{"postgres"};
}

} // namespace dca::services
