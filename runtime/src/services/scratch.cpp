// A run's own database and Redis prefix (see scratch.hpp). Databases are kept and claimed again
// by later runs (emptied first): creating one costs a second, more than a whole explored search.
#include "dca/services/scratch.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "dca/assert.hpp"
#include "dca/services/endpoints.hpp"
#include "lock_waits.hpp"

namespace dca::services {

namespace {

/// Lower-case letters, digits and '_' only: the name goes into SQL and Redis patterns unquoted.
std::string identifier_part(const std::string& text) {
  std::string out;
  for (char c : text)
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
      out += c;
    else if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
  return out.empty() ? "x" : out.substr(0, 16);
}

/// How many runs of one purpose may hold a database of their own at once, per slot.
constexpr int databases_per_slot_max = 64;

std::string slot_prefix(const std::string& purpose) {
  const char* slot = std::getenv("DCA_SLOT");
  return "dca_" + identifier_part(purpose) + '_' +
         (slot != nullptr ? identifier_part(slot) : std::string{"local"}) + '_';
}

/// Claims the first database of `prefix` no other run holds: a session advisory lock on its name,
/// held by `admin` until it disconnects (a run that dies releases it with its connection).
/// Creating a database takes about a second; claiming an existing one, a millisecond.
std::string claim(pg_connection& admin, const std::string& prefix) {
  for (int k = 0; k < databases_per_slot_max; ++k) {
    auto name = prefix + std::to_string(k);
    if (admin.exec("SELECT pg_try_advisory_lock(hashtext($1))", name).at(0, 0) != "t")
      continue;
    if (admin.exec("SELECT 1 FROM pg_database WHERE datname = $1", name).rows() == 0) {
      auto create = "CREATE DATABASE " + name + " TEMPLATE template0 STRATEGY FILE_COPY";
      admin.exec_params(create.c_str(), {});
      // Only its owner may connect: a grading slot's role never reaches another slot's database.
      auto owner_only = "REVOKE CONNECT, TEMPORARY ON DATABASE " + name + " FROM PUBLIC";
      admin.exec_params(owner_only.c_str(), {});
    }
    return name;
  }
  throw unavailable{"services: all " + std::to_string(databases_per_slot_max) + " databases " +
                    prefix + "* are in use by other runs: wait for them, or scripts/services stop"};
}

} // namespace

// The admin connection goes to the database the endpoints name: "postgres" for the kit's own
// runs, the slot's home database for a grading slot (whose role may not connect to "postgres").
scratch::scratch(const std::string& purpose) {
  admin_.emplace(require().primary, "admin");
  name_ = claim(*admin_, slot_prefix(purpose));
  owner_.emplace(primary(), "setup");
  reset("");
}

scratch::scratch(std::string judge_name, connection_relay relay) : name_(std::move(judge_name)) {
  DCA_ASSERT_MSG(relay.primary && relay.replica && relay.redis,
                 "a relayed run space needs an executor for each server");
  relay_.emplace(std::move(relay));
}

scratch::~scratch() = default; // admin_'s disconnect releases the claim

void scratch::refuse_if_relayed(const char* what) const {
  if (relay_)
    throw std::logic_error{std::string{what} + " on the relayed run space " + name_ +
                           ": its servers are the judge's, which resets and reaches them itself"};
}

std::string scratch::primary() const {
  refuse_if_relayed("primary()");
  return with_dbname(require().primary, name_);
}

std::string scratch::replica() const {
  refuse_if_relayed("replica()");
  return with_dbname(require().replica, name_);
}

const std::string& scratch::redis_socket() const {
  refuse_if_relayed("redis_socket()");
  return require().redis_socket;
}

void scratch::reset_redis(redis_connection& redis) const {
  std::string cursor = "0";
  do {
    auto page = redis.command({"SCAN", cursor, "MATCH", name_ + ":*", "COUNT", "1000"});
    if (page.type != redis_reply::kind::array || page.elements.size() != 2)
      throw unavailable{"services: redis answered SCAN with " + to_string(page) +
                        ": run scripts/services status"};
    cursor = page.elements[0].text;
    std::vector<std::string> del{"DEL"};
    for (const auto& key : page.elements[1].elements)
      del.push_back(key.text);
    if (del.size() > 1)
      redis.command(del);
  } while (cursor != "0");
}

void scratch::reset(const std::string& setup_sql) {
  schema_.reset(); // its rows are in it: always made anew
  reset(setup_sql, "");
}

void scratch::reset(const std::string& schema_sql, const std::string& rows_sql) {
  refuse_if_relayed("reset");
  std::string ours = "{";
  for (int pid : lock_waits::live_pids())
    ours += (ours.size() > 1 ? "," : "") + std::to_string(pid);
  // Who else can be in this database: no other run (claim()'s advisory lock gives it to one run at
  // a time, and only its owner's role may connect). So: sessions of an earlier run of this slot
  // that died or was stopped, a backend still ending, the instructor looking in with psql, this
  // process's own connections that are not pg_connections (the PostgreSQL journal's), and
  // autovacuum. Only a session inside a transaction can hold or wait for a lock the DROP or
  // TRUNCATE below needs, and one whose client is stopped would make the reset wait forever: those
  // are ended (an earlier run's, or the instructor's left open). An idle session holds no lock, and
  // ending it would only break whoever holds it (this run's journal, the instructor's psql).
  // Client backends only: an autovacuum worker is a superuser's process that a grading slot's role
  // may not end, and it holds nothing a run could see.
  owner_->exec("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
               "WHERE datname = current_database() AND backend_type = 'client backend' "
               "AND xact_start IS NOT NULL AND pid <> pg_backend_pid() AND pid <> ALL($1::int[])",
               ours + "}");
  roll_back_in_doubt();
  std::string script;
  if (schema_ == schema_sql) {
    auto tables = owner_->exec("SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables "
                               "WHERE schemaname = 'public'");
    if (auto names = tables.at(0, 0))
      script = "TRUNCATE " + *names + " RESTART IDENTITY; ";
  } else {
    script = "DROP SCHEMA public CASCADE; CREATE SCHEMA public; " + schema_sql + "; ";
  }
  script += rows_sql;
  schema_.reset(); // until the script has run: a failed one leaves an unknown schema
  owner_->exec_params(script.c_str(), {});
  schema_ = schema_sql;
  if (!redis_)
    redis_.emplace(connect_redis("reset"));
  reset_redis(*redis_);
}

// A prepared transaction outlives its session and the server's restarts, holding its row locks:
// one an earlier run left (a coordinator that died after the votes) would make the DROP or
// TRUNCATE below wait forever. It belongs to no live run, since this run holds the database.
void scratch::roll_back_in_doubt() {
  auto in_doubt = owner_->exec("SELECT gid, format('ROLLBACK PREPARED %L', gid) FROM "
                               "pg_prepared_xacts WHERE database = current_database()");
  for (std::size_t r = 0; r < in_doubt.rows(); ++r) {
    owner_->exec_params(in_doubt.at(r, 1)->c_str(), {});
    std::cerr << "services: rolled back prepared transaction '" << *in_doubt.at(r, 0)
              << "' that an earlier run left in doubt in database " << name_ << '\n';
  }
}

relayed_connection scratch::next_relayed(std::string connection_name) const {
  return {name_, std::move(connection_name), ++relayed_count_};
}

pg_connection scratch::connect(std::string connection_name) const {
  if (relay_) {
    auto asked = next_relayed(std::move(connection_name));
    return pg_connection{relay_->primary(asked), asked.name};
  }
  return pg_connection{primary(), std::move(connection_name)};
}

pg_connection scratch::connect_replica(std::string connection_name) const {
  if (relay_) {
    auto asked = next_relayed(std::move(connection_name));
    return pg_connection{relay_->replica(asked), asked.name};
  }
  return pg_connection{replica(), std::move(connection_name)};
}

redis_connection scratch::connect_redis(std::string connection_name) const {
  if (relay_) {
    auto asked = next_relayed(std::move(connection_name));
    return redis_connection{relay_->redis(asked), asked.name};
  }
  return redis_connection{redis_socket(), std::move(connection_name), require().redis_password};
}

} // namespace dca::services
