// Hostile submission (tests/cli/hostile_services_test.cmake): a correct exercise 05 whose static
// constructor, in the grader's sandbox, reaches for data that is not its slot's: the instructor's
// databases as the superuser, every database another role owns, a role's rights it was not given,
// the instructor's Redis, its own slot's Redis without the password (as a judged subject of the
// same uid would: it has no environment), taking that password off, and Redis files outside its
// server. Each attempt is printed; one that works does damage (drops the instructor's canary,
// flushes the instructor's Redis), which the test would see. It then exits 1, so the report shows
// the lines.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dca/services/pg_connection.hpp"
#include "dca/services/redis_connection.hpp"
#include "scenario.hpp"

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string{} : std::string{value};
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

struct attack_tally {
  int tried = 0;
  int refused = 0;
  void report(const std::string& what, bool was_refused, const std::string& why) {
    ++tried;
    refused += was_refused ? 1 : 0;
    std::printf("%s: %s: %s\n", was_refused ? "refused" : "BREACH", what.c_str(),
                first_line(why).c_str());
  }
};

std::string socket_host(const std::string& conninfo) {
  auto at = conninfo.find("host=") + 5;
  return conninfo.substr(at, conninfo.find(' ', at) - at);
}

void attack_as_superuser(attack_tally& t, const std::string& host) {
  try {
    dca::services::pg_connection db{"host=" + host + " port=5432 user=postgres dbname=postgres"};
    db.exec("DROP DATABASE IF EXISTS dca_canary_instructor WITH (FORCE)");
    t.report("the superuser postgres", false, "connected and dropped the instructor's canary");
  } catch (const std::exception& e) {
    t.report("the superuser postgres", true, e.what());
  }
}

void attack_other_databases(attack_tally& t, dca::services::pg_connection& home,
                            const std::string& own) {
  auto others = home.exec("SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba "
                          "WHERE d.datallowconn AND r.rolname <> current_user");
  std::size_t refused = 0;
  std::string why = "there were none to try";
  for (std::size_t i = 0; i < others.rows(); ++i) {
    try { // its own role and password, another's database
      dca::services::pg_connection db{own.substr(0, own.find("dbname=")) +
                                      "dbname=" + *others.at(i, 0)};
      db.exec("DROP TABLE IF EXISTS canary");
      t.report("the database " + *others.at(i, 0), false, "connected and dropped its canary");
    } catch (const std::exception& e) {
      ++refused;
      why = e.what();
    }
  }
  t.report("all " + std::to_string(refused) + " databases other roles own",
           refused > 0 && refused == others.rows(), why);
}

void attack_rights(attack_tally& t, dca::services::pg_connection& home) {
  for (const char* sql : {"ALTER ROLE CURRENT_USER SUPERUSER", "SET ROLE postgres"}) {
    try {
      home.exec(sql);
      t.report(sql, false, "allowed");
    } catch (const std::exception& e) {
      t.report(sql, true, e.what());
    }
  }
}

void attack_redis(attack_tally& t, const std::string& pg_host) {
  auto instructor = pg_host.substr(0, pg_host.rfind('/')) + "/redis/redis.sock";
  try {
    dca::services::redis_connection r{instructor};
    auto reply = r.command({"FLUSHALL"});
    t.report("the instructor's Redis", reply.is_error(), "FLUSHALL answered " + reply.text);
  } catch (const std::exception& e) {
    t.report("the instructor's Redis", true, e.what());
  }
  dca::services::redis_connection stranger{env("DCA_REDIS_SOCKET")};
  auto unauthenticated = stranger.command({"SET", "dca_canary_slot", "stranger"});
  t.report("its own slot's Redis without the password", unauthenticated.is_error(),
           unauthenticated.text);
  dca::services::redis_connection own{env("DCA_REDIS_SOCKET"), "own", env("DCA_REDIS_PASSWORD")};
  own.command({"FLUSHALL"}); // allowed: the slot's own server, nobody else's data
  // One line for the three (the report keeps a run's last 8 lines): moving its files, and taking
  // the password off or adding a user without one, for a later run of the slot to walk in.
  auto moved = own.command({"CONFIG", "SET", "dir", "/"});
  auto opened = own.command({"CONFIG", "SET", "requirepass", ""});
  auto added = own.command({"ACL", "SETUSER", "default", "nopass"});
  t.report("CONFIG SET dir, CONFIG SET requirepass and ACL SETUSER default nopass on its own Redis",
           moved.is_error() && opened.is_error() && added.is_error(),
           moved.text + " | " + opened.text + " | " + added.text);
}

[[maybe_unused]] const bool attacked = [] {
  auto own = env("DCA_PG_PRIMARY");
  if (own.empty())
    return false; // not in a grading slot: nothing to reach for
  attack_tally t;
  auto host = socket_host(own);
  attack_as_superuser(t, host);
  try {
    dca::services::pg_connection home{own};
    attack_other_databases(t, home, own);
    attack_rights(t, home);
  } catch (const std::exception& e) {
    std::printf("hostile: its own database refused it: %s\n", first_line(e.what()).c_str());
  }
  attack_redis(t, host);
  std::printf("hostile: %d of %d attacks refused\n", t.refused, t.tried);
  std::fflush(stdout);
  std::_Exit(1);
}();

} // namespace

#include "scenario.hpp"

namespace shared_database {

caf::expected<std::vector<sku::event>> sku::decide(const state& s, const command& cmd) {
  if (const auto* delivery = caf::get_if<receive_stock>(&cmd))
    return std::vector<event>{stock_received{delivery->units}};
  const auto& order = caf::get<buy_item>(cmd);
  if (s.stock <= 0) // decided where the stock lives: no other buy can come in between
    return make_error(errc::sold_out,
                      "sku has no stock left for order " + std::to_string(order.order_id));
  return std::vector<event>{item_sold{order.order_id}};
}

sku::state sku::apply(state s, const event& ev) {
  if (const auto* delivery = caf::get_if<stock_received>(&ev)) {
    s.stock += delivery->units;
    return s;
  }
  s.stock -= 1;
  s.sold += 1;
  return s;
}

caf::expected<std::vector<username::event>> username::decide(const state& s, const command& cmd) {
  const auto& claim = caf::get<claim_username>(cmd);
  if (s.owner != 0)
    return make_error(errc::taken, "the name belongs to user " + std::to_string(s.owner));
  return std::vector<event>{username_claimed{claim.user_id}};
}

username::state username::apply(state s, const event& ev) {
  s.owner = caf::get<username_claimed>(ev).user_id;
  return s;
}

} // namespace shared_database
