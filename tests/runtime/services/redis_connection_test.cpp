// dca::services::redis_connection built on an executor (a judged grading's subject: no server,
// each command answered from elsewhere), and against a Redis server of the test's own that wants a
// password, as a grading slot's does.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <memory>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "dca/explore/explorer.hpp"
#include "dca/services/endpoints.hpp"
#include "dca/services/redis_connection.hpp"

namespace {

using dca::services::redis_connection;
using dca::services::redis_reply;

/// A server in a function: what each command sent to it gets back, and what it saw.
struct scripted final : dca::services::redis_executor {
  std::vector<std::vector<std::string>> seen;
  std::vector<int> lines;
  redis_reply command(const std::vector<std::string>& argv,
                      dca::explore::source_location where) override {
    seen.push_back(argv);
    lines.push_back(where.line);
    redis_reply r;
    r.type = argv.at(0) == "GET" ? redis_reply::kind::text : redis_reply::kind::error;
    r.text = argv.at(0) == "GET" ? "100" : "ERR refused on purpose";
    return r;
  }
};

/// A Redis server of this test's own on a socket in a fresh folder, wanting `password`; stopped
/// at the end. Ready once a connection to its socket answers (bounded polling, not a sleep).
struct private_redis {
  std::string folder, socket;
  pid_t pid = -1;

  explicit private_redis(const std::string& password) {
    char dir[] = "/tmp/dca-redis-test.XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    folder = dir;
    socket = folder + "/r.sock";
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", socket.c_str(),
               "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", dir,
               "--logfile", (folder + "/log").c_str(), "--requirepass", password.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int tries = 0; tries < 1000; ++tries) { // up to 10 s for a start of milliseconds
      try {
        redis_connection probe{socket};
        return;
      } catch (const dca::services::unavailable&) {
        ::usleep(10'000);
      }
    }
    FAIL("the test's own redis-server did not start: see " << folder << "/log");
  }
  ~private_redis() {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    std::system(("rm -rf '" + folder + "'").c_str());
  }
  private_redis(const private_redis&) = delete;
  private_redis& operator=(const private_redis&) = delete;
};

} // namespace

TEST_CASE("a connection built on an executor sends it every command with the caller's line") {
  auto executor = std::make_unique<scripted>();
  auto& server = *executor;
  redis_connection r{std::move(executor), "reader"};
  int line = __LINE__ + 1;
  auto price = r.command({"GET", "dca_ex06_local_0:price:1"});
  auto refused = r.command({"SET", "k", "v"});
  CHECK(price.text == "100");
  CHECK(refused.is_error()); // an error reply is a value, as on a server connection
  CHECK(refused.text == "ERR refused on purpose");
  REQUIRE(server.seen.size() == 2);
  CHECK(server.seen[0] == std::vector<std::string>{"GET", "dca_ex06_local_0:price:1"});
  CHECK(server.lines[0] == line);
  CHECK(r.name() == "reader");
}

TEST_CASE("under the explorer a relayed command is no scheduling point: the executor's side "
          "schedules it") {
  auto make = [] {
    dca::explore::thread_execution exec;
    for (const char* name : {"T1", "T2"}) {
      auto r = std::make_shared<redis_connection>(std::make_unique<scripted>(), name);
      exec.threads.push_back({name, [r] { r->command({"GET", "n"}); }});
    }
    exec.check = [](const auto& trace) -> std::optional<std::string> {
      if (!trace.empty())
        return std::to_string(trace.size()) + " steps, the first " + trace.front().operation;
      return std::nullopt;
    };
    return exec;
  };
  auto r = dca::explore::explore_threads(make);
  CHECK(r.verdict == "");
  CHECK(r.result == dca::explore::outcome::clean);
  CHECK(r.schedules_explored == 1); // nothing to interleave
}

TEST_CASE("a server with a password refuses a connection without it and serves one with it") {
  private_redis server{"correct horse"};
  redis_connection without{server.socket};
  auto refused = without.command({"SET", "k", "v"});
  CHECK(refused.is_error());
  CHECK(refused.text.rfind("NOAUTH", 0) == 0);
  redis_connection with{server.socket, "judge", "correct horse"};
  CHECK(with.command({"SET", "k", "v"}).text == "OK");
  CHECK(with.command({"GET", "k"}).text == "v");
  CHECK_THROWS_WITH_AS(redis_connection(server.socket, "wrong", "battery staple"),
                       doctest::Contains("refused the password"), dca::services::unavailable);
}
