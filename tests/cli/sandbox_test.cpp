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
#include <set>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

  static sandbox_request request(const std::string& script, const fs::path& cwd, int wall_s = 20) {
    sandbox_request r;
    r.argv = {"/bin/sh", "-c", script};
    r.cwd = cwd;
    r.private_scratch = true;
    r.limits.wall = std::chrono::seconds(wall_s);
    r.limits.cpu_seconds = 60;
    r.limits.address_space_bytes = 512ull << 20;
    r.limits.file_bytes = 4ull << 20;
    r.limits.scratch_bytes = 8ull << 20;
    r.limits.tasks_max = 32;
    return r;
  }

  dca::cli::sandbox_result sh(const std::string& script, int wall_s = 20) {
    return box.run(0, request(script, dir / "run", wall_s));
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
  auto probe = "/tmp/dca-sandbox-probe-" + std::to_string(getpid());
  auto t = sh("echo x > " + probe + " && cat " + probe);
  CHECK(t.output == "x\n");
  CHECK_FALSE(fs::exists(probe)); // the sandbox's /tmp was its own
}

TEST_CASE_FIXTURE(fixture,
                  "a run that fills its disk without a word and then hangs is a full disk, "
                  "not a timeout") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount namespace)");
    return;
  }
  // The files are each under the file-size limit; every error is silenced; then it waits for
  // the clock. Nothing the run says names the full disk: the grader must see it for itself.
  auto r = sh("i=0; while [ $i -lt 4 ]; do head -c 3000000 /dev/zero > /tmp/f$i 2>/dev/null; "
              "i=$((i+1)); done; exec sleep 60",
              3);
  CHECK(r.timed_out);
  CHECK(r.output == "");
  CHECK(r.limit_hit == "disk");
  auto calm = sh("exec sleep 60", 2); // a hang alone is a timeout, nothing more
  CHECK(calm.timed_out);
  CHECK(calm.limit_hit == "");
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

namespace {

/// The names in the host's /tmp that these runs write ("dca-fill-*", "dca-leak"): only those,
/// since other programs on the machine come and go in /tmp while a test runs.
std::set<std::string> host_tmp() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator("/tmp")) {
    auto name = e.path().filename().string();
    if (name.rfind("dca-fill-", 0) == 0 || name == "dca-leak")
      names.insert(name);
  }
  return names;
}

} // namespace

TEST_CASE_FIXTURE(fixture, "many files across /tmp, /dev/shm and the cwd share one small disk") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount namespace)");
    return;
  }
  auto before = host_tmp();
  // 3 MiB files (under the 4 MiB file limit), errors ignored, exit 0: 30 MiB wanted, 8 MiB given.
  auto r = sh("for d in /tmp /var/tmp /dev/shm .; do i=0; while [ $i -lt 10 ]; do "
              "head -c 3145728 /dev/zero > $d/dca-fill-$i 2>/dev/null; i=$((i+1)); done; done; "
              "du -sk /tmp /var/tmp /dev/shm . 2>/dev/null | awk '{s += $1} END {print s}'; "
              "exit 0");
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.limit_hit == "disk");
  CHECK(std::stoi(r.output) <= 8 * 1024); // KiB: all four places together
  CHECK(host_tmp() == before);
  CHECK(fs::is_empty(dir / "run"));
}

TEST_CASE_FIXTURE(fixture, "a checkout under /tmp still gets a private /tmp and stays visible") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount namespace)");
    return;
  }
  // The grader's folders under the host's /tmp, as in a CI clone there.
  auto checkout = fs::path{"/tmp"} / ("dca-sandbox-checkout-" + std::to_string(getpid()));
  fs::create_directories(checkout / "build");
  std::ofstream{checkout / "build" / "input"} << "instructor data\n";
  auto before = host_tmp();
  auto req = request("cat ../build/input && echo leak > /tmp/dca-leak && ls /tmp | wc -l && "
                     "echo x > ../build/input",
                     checkout / "run");
  fs::create_directories(checkout / "run");
  req.read_only = {checkout / "build"};
  auto r = box.run(0, req);
  auto after = host_tmp();
  fs::remove_all(checkout);
  INFO(r.error, "\n", r.output);
  CHECK(r.output.find("instructor data\n") == 0);
  CHECK(r.output.find("Read-only file system") != std::string::npos);
  CHECK(r.error.empty());
  CHECK(after == before);
}

TEST_CASE_FIXTURE(fixture, "forked children together over the slot's memory limit get a memory "
                           "verdict") {
  if (!box.limits_memory()) {
    MESSAGE("skipped: needs a memory cgroup");
    return;
  }
  auto req = request("perl -e 'for (1..3) { if (!fork) { vec(my $x, 100 << 20, 8) = 1; sleep 2; "
                     "exit 0 } } 1 while wait != -1; exit 0'",
                     dir / "run");
  req.limits.memory_bytes = 256ull << 20;
  auto r = box.run(0, req);
  CHECK_FALSE(r.ok());
  CHECK(r.limit_hit == "memory");
  // One such child fits. (The children hold their memory 2 s, so that all three hold it at once.)
  auto one = request("perl -e 'vec(my $x, 100 << 20, 8) = 1; exit 0'", dir / "run");
  one.limits.memory_bytes = 256ull << 20;
  auto alone = box.run(0, one);
  INFO(alone.error, "\n", alone.output, "\n", alone.limit_hit);
  CHECK(alone.ok());
}

TEST_CASE_FIXTURE(fixture, "the run sees its own /proc, not the grader's command line") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (PID namespace)");
    return;
  }
  auto r = sh("test -e /proc/" + std::to_string(getpid()) +
              " && echo host-visible; cat /proc/1/cmdline 2>/dev/null | tr '\\0' ' '; "
              "ls /proc | grep -c '^[0-9]'");
  CHECK(r.output.find("host-visible") == std::string::npos);
  CHECK(r.output.find("test_cli_sandbox") == std::string::npos);
  CHECK(std::stoi(r.output) <= 4); // sh, ls, grep: the sandbox user's own
}

namespace {

int unix_listener(const std::string& name, bool abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::copy(name.begin(), name.end(), addr.sun_path + (abstract ? 1 : 0));
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(s, 4) != 0)
    return -1;
  chmod(name.c_str(), 0777); // (a path socket) anyone may connect
  return s;
}

std::string perl_connect(const std::string& name) {
  return "perl -MSocket -e 'socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; "
         "connect($s, pack_sockaddr_un(\"" +
         name + "\")) and print \"connected " + name.substr(0, 2) + "\\n\"'; ";
}

} // namespace

TEST_CASE_FIXTURE(fixture, "host Unix sockets, by path or abstract, are out of reach") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount and network namespaces)");
    return;
  }
  auto tag = "dca-sandbox-" + std::to_string(getpid());
  auto in_run = "/run/" + tag + ".sock";
  auto in_tmp = "/tmp/" + tag + ".sock";
  int a = unix_listener(in_run, false), b = unix_listener(in_tmp, false);
  int c = unix_listener(tag, true);
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  REQUIRE(c >= 0);
  // Reachable from here (the test's own connect), and not from the sandbox.
  auto outside = sh("true"); // warm-up: the same slot, nothing shared
  CHECK(outside.ok());
  auto r =
      sh(perl_connect(in_run) + perl_connect(in_tmp) + perl_connect("\\0" + tag) + "echo done");
  close(a);
  close(b);
  close(c);
  fs::remove(in_run);
  fs::remove(in_tmp);
  CHECK(r.output.find("connected") == std::string::npos);
  CHECK(r.output.find("done") != std::string::npos);
}

TEST_CASE_FIXTURE(fixture, "a peer's scratch folder is hidden and the instructor's files are "
                           "read-only") {
  if (!box.complete()) {
    MESSAGE("skipped: needs root (mount namespace)");
    return;
  }
  fs::create_directories(dir / "peer");
  std::ofstream{dir / "peer" / "message_passing.cpp"} << "peer source\n";
  fs::create_directories(dir / "own" / "build");
  std::ofstream{dir / "own" / "build" / "program"} << "instructor's program\n";
  box.hand_over(0, dir / "own");
  CHECK((fs::status(dir / "own").permissions() & fs::perms::others_read) == fs::perms::none);
  auto req = request("cat " + (dir / "peer" / "message_passing.cpp").string() +
                         "; ls ..; echo x > ../own/build/program; cat ../own/build/program",
                     dir / "run");
  req.hidden = dir;
  req.read_only = {dir / "own"};
  auto r = box.run(0, req);
  INFO(r.error, "\n", r.output);
  CHECK(r.output.find("peer source") == std::string::npos);
  CHECK(r.output.find("peer\n") == std::string::npos);
  CHECK(r.output.find("Read-only file system") != std::string::npos);
  CHECK(r.output.find("instructor's program") != std::string::npos);
}
