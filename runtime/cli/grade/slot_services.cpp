// A grading slot's own corner of the module-B servers (see slot_services.hpp): roles and
// databases made through psql as the superuser (dca links no database client: the grader works in
// builds without module B too), a Redis server per slot started as the slot's user.
#include "grade/slot_services.hpp"

#include <csignal>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "spec_words.hpp"
#include "text.hpp"

namespace fs = std::filesystem;

namespace dca::cli {

namespace {

constexpr auto step_limit = std::chrono::seconds(60);
constexpr auto start_limit = std::chrono::seconds(300); // a first start: initdb, a base backup
constexpr const char* psql = "/usr/lib/postgresql/15/bin/psql";
constexpr int connections_per_slot_max = 32;
/// What pauses and resumes the replica's replay: a slot may, for 08's explorations (make_slot).
constexpr const char* replica_functions = "pg_wal_replay_pause(), pg_wal_replay_resume()";

/// A failing script's own one-line reason: its last line that says something.
std::string last_line(const std::string& output) {
  auto line = last_lines(output, 1);
  auto begin = line.find_first_not_of(' '), end = line.find_last_not_of('\n');
  return begin == std::string::npos || end < begin ? "no output"
                                                   : line.substr(begin, end - begin + 1);
}

/// The value of `export NAME='value'` in `scripts/services env`'s output.
std::string exported(const std::string& env_output, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(env_output, m, std::regex{"export " + name + "='([^']*)'"}))
    throw std::runtime_error("grading module B: scripts/services env gave no " + name +
                             ": run scripts/services status");
  return m[1].str();
}

/// The socket folder of a libpq connection string ("host=/x/pg-primary port=5432 ...").
std::string host_of(const std::string& conninfo) {
  std::smatch m;
  if (!std::regex_search(conninfo, m, std::regex{R"(host=(/[^ ']+))"}))
    throw std::runtime_error("grading module B needs a checkout whose path has no spaces or "
                             "quotes (the servers' sockets are under it): move it");
  return m[1].str();
}

std::string conninfo(const std::string& host, const std::string& role,
                     const std::string& password) {
  return "host=" + host + " port=5432 user=" + role + " password=" + password + " dbname=" + role;
}

/// What redis-server reads from its stdin: the password, in no file the slot's user can read, no
/// argv (/proc/PID/cmdline is world-readable) and not in the server's environment; and CONFIG and
/// ACL renamed away, so that code holding the password (a spec run in process) cannot take it off
/// or add a user without one for a later run of the slot (a judged subject) to walk in with.
constexpr const char* redis_secret_settings =
    "printf 'requirepass %s\\nrename-command CONFIG \"\"\\nrename-command ACL \"\"\\n' "
    "\"$DCA_REDIS_PASSWORD\" | exec env -u DCA_REDIS_PASSWORD \"$@\"";

/// Starts slot `index`'s Redis as `uid` (0: ours) in `dir`, wanting `password`, and checks that it
/// serves a client with the password and refuses one without (NOAUTH) before any run may use it.
void start_redis(int index, unsigned uid, const fs::path& dir, const std::string& password) {
  auto socket = (dir / "redis.sock").string();
  std::vector<std::string> redis{"sh", "-c", redis_secret_settings, "sh"};
  if (uid != 0) // the slot's user: only it (and root) can reach the socket's folder
    redis.insert(redis.end(), {"setpriv", "--reuid=" + std::to_string(uid),
                               "--regid=" + std::to_string(uid), "--clear-groups"});
  redis.insert(redis.end(), {"redis-server",
                             "-",
                             "--port",
                             "0",
                             "--unixsocket",
                             socket,
                             "--unixsocketperm",
                             "700",
                             "--daemonize",
                             "yes",
                             "--dir",
                             dir.string(),
                             "--save",
                             "",
                             "--appendonly",
                             "no",
                             "--pidfile",
                             (dir / "redis.pid").string(),
                             "--logfile",
                             (dir / "log").string(),
                             "--maxmemory",
                             "64mb"});
  auto launched = run_captured(redis, step_limit, {{"DCA_REDIS_PASSWORD", password}});
  auto ping = [&](const std::map<std::string, std::string>& auth) {
    return run_captured({"redis-cli", "-s", socket, "ping"}, step_limit, auth).output;
  };
  std::map<std::string, std::string> with_password{{"REDISCLI_AUTH", password}};
  for (int tries = 0; tries < 100 && ping(with_password).rfind("PONG", 0) != 0; ++tries)
    ::usleep(50'000); // bounded: 5 s for a server that starts in milliseconds
  auto slot = "grading module B: the Redis server of slot " + std::to_string(index);
  if (!launched.ok() || ping(with_password).rfind("PONG", 0) != 0)
    throw std::runtime_error(slot + " did not start (see " + (dir / "log").string() + ")");
  if (auto without = ping({}); without.rfind("NOAUTH", 0) != 0)
    throw std::runtime_error(slot + " answers a client without its password (" +
                             last_line(without) + "): its redis-server ignored requirepass");
}

} // namespace

slot_services::slot_services(const context& ctx, const sandbox& box, const fs::path& scratch,
                             int slots, bool replica_control)
    : box_(box) {
  auto script = (ctx.source_dir / "scripts" / "services").string();
  auto started = run_captured({script, "start"}, start_limit);
  if (!started.ok())
    throw std::runtime_error(last_line(started.output));
  auto env = run_captured({script, "env"}, step_limit);
  primary_host_ = host_of(exported(env.output, "DCA_PG_PRIMARY"));
  replica_host_ = host_of(exported(env.output, "DCA_PG_REPLICA"));
  // Every database is its owner's alone: the instructor's (owned by postgres) and those a slot
  // makes (scratch revokes the same when it creates one).
  std::vector<std::string> close_all;
  for (const auto& db : superuser_rows("SELECT quote_ident(datname) FROM pg_database "
                                       "WHERE datallowconn"))
    close_all.push_back("REVOKE CONNECT, TEMPORARY ON DATABASE " + db + " FROM PUBLIC");
  superuser(close_all);
  for (int i = 0; i < slots; ++i)
    slots_.push_back(make_slot(i, box.slot_uid(i), scratch, replica_control));
}

slot_services::corner slot_services::make_slot(int index, unsigned uid, const fs::path& scratch,
                                               bool replica_control) const {
  corner s;
  auto id = uid != 0 ? std::to_string(uid) : std::to_string(getpid()) + "_" + std::to_string(index);
  s.role = "dca_grade_" + id;
  auto password = random_hex();
  drop_role(s.role); // a grader that died with this uid left it
  superuser({"CREATE ROLE " + s.role + " LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOREPLICATION " +
                 "CONNECTION LIMIT " + std::to_string(connections_per_slot_max) + " PASSWORD '" +
                 password + "'",
             "CREATE DATABASE " + s.role + " OWNER " + s.role + " TEMPLATE template0",
             "REVOKE CONNECT, TEMPORARY ON DATABASE " + s.role + " FROM PUBLIC"});
  // 08's spec holds the one replica still while it explores the shared-state track (its advisory
  // lock lives in database postgres, which holds no data): the instructor's code, judged; in
  // process a learner's could pause the replica too, which costs other slots' 08 runs time, never
  // their data (grade/README.md). Only for a run that grades 08.
  if (replica_control)
    superuser({"GRANT CONNECT ON DATABASE postgres TO " + s.role,
               "GRANT EXECUTE ON FUNCTION " + std::string{replica_functions} + " TO " + s.role});
  s.redis_dir = scratch / ".services" / ("slot-" + std::to_string(index));
  fs::create_directories(s.redis_dir);
  box_.hand_over(index, s.redis_dir);
  ::chmod(s.redis_dir.c_str(), 0700);
  auto socket = (s.redis_dir / "redis.sock").string();
  auto redis_password = random_hex();
  start_redis(index, uid, s.redis_dir, redis_password);
  s.env = {{"DCA_PG_PRIMARY", conninfo(primary_host_, s.role, password)},
           {"DCA_PG_REPLICA", conninfo(replica_host_, s.role, password)},
           {"DCA_REDIS_SOCKET", socket},
           {"DCA_REDIS_PASSWORD", redis_password},
           {"DCA_SLOT", "grade_" + id}};
  s.folders = {primary_host_, replica_host_, s.redis_dir};
  return s;
}

slot_services::~slot_services() {
  for (const auto& s : slots_) {
    std::ifstream pid_file{s.redis_dir / "redis.pid"};
    long pid = 0;
    if (pid_file >> pid && pid > 0)
      ::kill(static_cast<pid_t>(pid), SIGTERM);
    try {
      drop_role(s.role);
    } catch (const std::exception&) { // best effort: the next grader with this uid drops it
    }
  }
}

void slot_services::drop_role(const std::string& role) const {
  std::vector<std::string> drops;
  for (const auto& db : superuser_rows("SELECT quote_ident(d.datname) FROM pg_database d JOIN "
                                       "pg_roles r ON r.oid = d.datdba WHERE r.rolname = '" +
                                       role + "'"))
    drops.push_back("DROP DATABASE " + db + " WITH (FORCE)");
  // A role holding a grant cannot be dropped: the replica's control goes first.
  if (!superuser_rows("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'").empty())
    drops.insert(drops.end(), {"REVOKE CONNECT ON DATABASE postgres FROM " + role,
                               "REVOKE EXECUTE ON FUNCTION " + std::string{replica_functions} +
                                   " FROM " + role});
  drops.push_back("DROP ROLE IF EXISTS " + role);
  superuser(drops);
}

std::vector<std::string> slot_services::superuser_rows(const std::string& query) const {
  auto ran = run_captured({psql, "-h", primary_host_, "-p", "5432", "-U", "postgres", "-d",
                           "postgres", "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", query},
                          step_limit);
  if (!ran.ok())
    throw std::runtime_error("grading module B: the primary refused the grader's query: " +
                             last_line(ran.output));
  std::vector<std::string> rows;
  std::istringstream lines{ran.output};
  for (std::string line; std::getline(lines, line);)
    if (!line.empty())
      rows.push_back(line);
  return rows;
}

void slot_services::superuser(const std::vector<std::string>& statements) const {
  std::vector<std::string> argv{psql,       "-h",    primary_host_, "-p",
                                "5432",     "-U",    "postgres",    "-d",
                                "postgres", "-XAtq", "-v",          "ON_ERROR_STOP=1"};
  for (const auto& statement : statements) // one -c each: CREATE DATABASE is no transaction's
    argv.insert(argv.end(), {"-c", statement});
  if (statements.empty())
    return;
  auto ran = run_captured(argv, step_limit);
  if (!ran.ok())
    throw std::runtime_error("grading module B: the primary refused the grader's statement: " +
                             last_line(ran.output));
}

std::string slot_services::description() const {
  if (box_.slot_uid(0) == 0)
    return "module B servers: NOT isolated between slots (the slots run as the grader's user: "
           "grade as root)";
  return "module B servers: each slot its own PostgreSQL role and databases (password; the "
         "superuser only by peer), its own Redis server (password) on a socket only its user "
         "reaches";
}

} // namespace dca::cli
