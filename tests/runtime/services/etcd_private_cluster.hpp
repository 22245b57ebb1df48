// A 3-member etcd cluster of a test's own, through the kit's scripts/services in a temporary
// DCA_SERVICES_ROOT (its ports derive from that folder): a test may kill its members without
// disturbing the checkout's cluster, which other tests use at the same time.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

namespace dca::services::testing {

/// `command`'s output (stdout and stderr).
inline std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr)
    out += buffer.data();
  ::pclose(pipe);
  return out;
}

/// A 3-member cluster of its own, destroyed at the end; `services` runs the kit's script on it.
struct private_cluster {
  std::string root;
  std::vector<std::string> members;

  private_cluster() {
    char folder[] = "/tmp/dca-etcd-test.XXXXXX";
    REQUIRE(::mkdtemp(folder) != nullptr);
    root = folder;
    auto started = services("start --only etcd");
    INFO(started);
    auto env = services("env");
    std::smatch m;
    REQUIRE(std::regex_search(env, m, std::regex{"DCA_ETCD_ENDPOINTS='([^']*)'"}));
    auto list = m[1].str();
    static const std::regex member{"[^,]+"};
    for (std::sregex_iterator i{list.begin(), list.end(), member}, end; i != end; ++i)
      members.push_back(i->str());
    REQUIRE(members.size() == 3);
  }

  ~private_cluster() {
    services("destroy --only etcd");
    run("rm -rf '" + root + "'");
  }

  std::string services(const std::string& args) const {
    return run("DCA_SERVICES_ROOT='" + root + "' " DCA_SERVICES_SCRIPT " " + args);
  }

  /// Kills member `name` (etcd1..3) with SIGKILL, as a crash would.
  void kill_member(const std::string& name) const {
    std::ifstream pid_file{root + "/etcd/n" + name.substr(4) + "/etcd.pid"};
    long pid = 0;
    REQUIRE(static_cast<bool>(pid_file >> pid));
    REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
  }

  /// The member `scripts/services status` names as the leader.
  std::string leader() const {
    std::smatch m;
    auto status = services("status --only etcd");
    REQUIRE_MESSAGE(std::regex_search(status, m, std::regex{"(etcd[123]) +running[^\n]*leader"}),
                    status);
    return m[1].str();
  }
};

} // namespace dca::services::testing
