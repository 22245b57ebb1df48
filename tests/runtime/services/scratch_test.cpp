// dca::services::scratch built relayed, as a judged grading's subject builds it: the judge's run
// space's name, no servers, and every connection on an executor from a fake relay that records
// what it was asked for and answers from a script.
#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "dca/services/endpoints.hpp"
#include "dca/services/scratch.hpp"

namespace {

using dca::services::connection_relay;
using dca::services::pg_result;
using dca::services::redis_reply;
using dca::services::relayed_connection;
using dca::services::scratch;

/// What the fake relay was asked for and what ran on each connection, in order.
struct ledger {
  std::vector<std::string> asked; // "redis reader #1"
  std::vector<std::string> ran;   // "#1 GET dca_ex06_grade_1000_0:price:1"
};

std::string label(const relayed_connection& c) {
  return c.space + ' ' + c.name + " #" + std::to_string(c.number);
}

class fake_statements final : public dca::services::statement_executor {
public:
  fake_statements(std::shared_ptr<ledger> book, std::uint64_t number)
      : book_(std::move(book)), number_(number) {}
  pg_result exec(dca::services::sql_text sql,
                 const std::vector<dca::services::sql_param>&) override {
    book_->ran.push_back('#' + std::to_string(number_) + ' ' + sql.text);
    return pg_result{{"cents"}, {{std::string{"100"}}}, "SELECT 1", 0};
  }

private:
  std::shared_ptr<ledger> book_;
  std::uint64_t number_;
};

class fake_commands final : public dca::services::redis_executor {
public:
  fake_commands(std::shared_ptr<ledger> book, std::uint64_t number)
      : book_(std::move(book)), number_(number) {}
  redis_reply command(const std::vector<std::string>& argv,
                      dca::explore::source_location) override {
    book_->ran.push_back('#' + std::to_string(number_) + ' ' + argv.at(0) + ' ' + argv.at(1));
    return redis_reply{};
  }

private:
  std::shared_ptr<ledger> book_;
  std::uint64_t number_;
};

connection_relay fake_relay(const std::shared_ptr<ledger>& book) {
  auto statements = [book](const char* server) {
    return [book, server](const relayed_connection& c) {
      book->asked.push_back(std::string{server} + ' ' + label(c));
      return std::make_unique<fake_statements>(book, c.number);
    };
  };
  return {statements("primary"), statements("replica"), [book](const relayed_connection& c) {
            book->asked.push_back("redis " + label(c));
            return std::make_unique<fake_commands>(book, c.number);
          }};
}

} // namespace

TEST_CASE("a relayed run space names the judge's keys and builds each connection on the relay") {
  auto book = std::make_shared<ledger>();
  scratch space{"dca_ex06_grade_1000_0", fake_relay(book)};
  CHECK(space.relayed());
  CHECK(space.name() == "dca_ex06_grade_1000_0");
  CHECK(space.key("price:1") == "dca_ex06_grade_1000_0:price:1");
  auto reader = space.connect_redis("reader");
  auto second_reader = space.connect_redis("reader");
  auto db = space.connect("catalog");
  auto replica = space.connect_replica("view");
  CHECK(reader.name() == "reader");
  CHECK(db.name() == "catalog");
  CHECK(book->asked == std::vector<std::string>{"redis dca_ex06_grade_1000_0 reader #1",
                                                "redis dca_ex06_grade_1000_0 reader #2",
                                                "primary dca_ex06_grade_1000_0 catalog #3",
                                                "replica dca_ex06_grade_1000_0 view #4"});
  CHECK(second_reader.command({"GET", space.key("price:1")}).is_nil());
  CHECK(reader.command({"HMGET", space.key("price:2"), "cents"}).is_nil());
  CHECK(db.exec("SELECT cents FROM prices WHERE sku = $1", "1").int_at(0, 0) == 100);
  CHECK(book->ran == std::vector<std::string>{"#2 GET dca_ex06_grade_1000_0:price:1",
                                              "#1 HMGET dca_ex06_grade_1000_0:price:2",
                                              "#3 SELECT cents FROM prices WHERE sku = $1"});
}

TEST_CASE("a relayed run space refuses to reset or name its servers: they are the judge's") {
  scratch space{"dca_ex07_grade_1000_0", fake_relay(std::make_shared<ledger>())};
  CHECK_THROWS_WITH_AS(space.reset("CREATE TABLE orders (id text)"),
                       "reset on the relayed run space dca_ex07_grade_1000_0: its servers are the "
                       "judge's, which resets and reaches them itself",
                       std::logic_error);
  CHECK_THROWS_AS(space.primary(), std::logic_error);
  CHECK_THROWS_AS(space.replica(), std::logic_error);
  CHECK_THROWS_AS(space.redis_socket(), std::logic_error);
}

TEST_CASE("a relayed run space reaches no server: it works in a process with no environment") {
  // As a subject runs: an empty environment, and a checkout where no servers could start.
  auto child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::clearenv();
    ::setenv("DCA_CHECKOUT", "/nonexistent", 1);
    try {
      auto book = std::make_shared<ledger>();
      scratch space{"dca_ex06_grade_1000_0", fake_relay(book)};
      space.connect_redis("projection").command({"EVAL", "return 1"});
      space.connect("catalog").exec("SELECT 1");
      if (book->ran.size() != 2)
        ::_exit(2);
    } catch (...) {
      ::_exit(1);
    }
    // And here no server can be found: a run space that reached for one would have failed.
    ::_exit(dca::services::if_running() ? 3 : 0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
