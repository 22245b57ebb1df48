// The grading sandbox against hostile programs, written as shell one-liners: an infinite loop, a
// fork bomb, a disk filler, a memory hog, a program that reaches for the network. Each must end
// with a clear reason, within its limits, and leave nothing behind. Needs root for the full
// sandbox; elsewhere the isolation checks are skipped and the fallback is checked instead.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grade/sandbox.hpp"

namespace fs = std::filesystem;
using dca::cli::sandbox;
using dca::cli::sandbox_request;

namespace {

struct fixture {
  sandbox box{1};
  fs::path dir;

  fixture() {
    // The sandbox hides /tmp behind a private tmpfs: keep the working folder elsewhere.
    dir = fs::path{DCA_TEST_SCRATCH} / ("sandbox-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "run");
    box.hand_over(0, dir);
  }
  ~fixture() { fs::remove_all(dir); }

  dca::cli::sandbox_result sh(const std::string& script, int wall_s = 20) {
    sandbox_request r;
    r.argv = {"/bin/sh", "-c", script};
    r.cwd = dir / "run";
    r.private_scratch = true;
    r.limits.wall = std::chrono::seconds(wall_s);
    r.limits.cpu_seconds = 60;
    r.limits.address_space_bytes = 512ull << 20;
    r.limits.file_bytes = 4ull << 20;
    r.limits.scratch_bytes = 8ull << 20;
    r.limits.tasks_max = 32;
    return box.run(0, r);
  }

  int processes_of_slot_user() {
    if (box.slot_uid(0) == 0)
      return 0; // runs as ourselves: nothing to tell its processes from ours
    int n = 0;
    for (const auto& p : fs::directory_iterator("/proc")) {
      std::ifstream status{p.path() / "status"};
      std::string key;
      unsigned uid = 0;
      while (status >> key)
        if (key == "Uid:" && status >> uid) {
          n += uid == box.slot_uid(0) ? 1 : 0;
          break;
        }
    }
    return n;
  }
};

} // namespace

TEST_CASE_FIXTURE(fixture, "a well-behaved program runs and its output is kept") {
  auto r = sh("echo hello; echo oops >&2; exit 3");
  CHECK(r.error.empty());
  CHECK(r.exit_code == 3);
  CHECK(r.output == "hello\noops\n");
  CHECK_FALSE(r.timed_out);
}

TEST_CASE_FIXTURE(fixture, "an infinite loop is killed at the wall clock") {
  auto r = sh("while :; do :; done", 2);
  CHECK(r.timed_out);
  CHECK(r.elapsed < std::chrono::seconds(6));
  CHECK(processes_of_slot_user() == 0);
}

TEST_CASE_FIXTURE(fixture, "a file larger than the limit ends the writer with SIGXFSZ") {
  auto r = sh("exec dd if=/dev/zero of=big bs=1M count=100");
  CHECK(r.signal == SIGXFSZ);
  CHECK(r.limit_hit == "file size");
}

TEST_CASE_FIXTURE(fixture, "a memory hog runs out of address space") {
  auto r = sh("exec awk 'BEGIN { s = \"x\"; while (1) s = s s }'");
  CHECK_FALSE(r.ok());
  CHECK(r.limit_hit == "memory");
}

TEST_CASE_FIXTURE(fixture, "the sandbox says how isolated it is") {
  REQUIRE(!box.description().empty());
  for (const auto& line : box.description())
    MESSAGE(line);
  if (!box.complete())
    CHECK(box.description().front().find("NOT isolated") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a fork bomb hits the process cap and nothing survives it") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (namespaces, cgroups)");
    return;
  }
  auto r = sh("b() { b | b & }; b; sleep 5", 5);
  CHECK(r.limit_hit == "processes");
  CHECK(r.elapsed < std::chrono::seconds(15));
  CHECK(processes_of_slot_user() == 0);
}

TEST_CASE_FIXTURE(fixture, "filling the disk fills only a small private tmpfs") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount namespace)");
    return;
  }
  auto r = sh("i=0; while [ $i -lt 100 ]; do head -c 1048576 /dev/zero > f$i || exit 7; "
              "i=$((i+1)); done");
  CHECK(r.exit_code == 7);
  CHECK(r.limit_hit == "disk");
  CHECK(fs::is_empty(dir / "run")); // the real folder under the tmpfs never saw a byte
  if (fs::absolute(dir).string().rfind("/tmp/", 0) == 0) {
    // A build under /tmp keeps the real /tmp visible, or the run could not see its own folder.
    MESSAGE("the build lives under /tmp: the private /tmp is not checked here");
    return;
  }
  auto probe = "/tmp/dca-sandbox-probe-" + std::to_string(getpid());
  auto t = sh("echo x > " + probe + " && cat " + probe);
  CHECK(t.output == "x\n");
  CHECK_FALSE(fs::exists(probe)); // the sandbox's /tmp was its own
}

TEST_CASE_FIXTURE(fixture, "the network is out of reach: even our own loopback listener") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (network namespace)");
    return;
  }
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 4) == 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  auto port = std::to_string(ntohs(addr.sin_port));
  // Outside the sandbox the listener is reachable...
  int probe = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  close(probe);
  // ...inside it, 127.0.0.1 is the sandbox's own empty loopback.
  sandbox_request r;
  r.argv = {"/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port + " && echo connected"};
  r.cwd = dir / "run";
  r.limits.wall = std::chrono::seconds(10);
  auto result = box.run(0, r);
  close(listener);
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("connected") == std::string::npos);
  CHECK(result.output.find("Connection refused") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "the program runs as the slot's own unprivileged user") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root");
    return;
  }
  auto r = sh("id -u; touch " + (fs::path{DCA_TEST_SCRATCH} / "not-yours").string() +
              " 2>/dev/null && echo wrote");
  CHECK(r.output == std::to_string(box.slot_uid(0)) + "\n");
  CHECK(box.slot_uid(0) >= 1'000'000);
}
