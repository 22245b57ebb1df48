// The wait-for graph of the server, read from pg_blocking_pids through one monitor connection per
// server (it must not be one of the waiting connections: those are busy with their statement).
#include "lock_waits.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "dca/services/endpoints.hpp"
#include "statement_text.hpp"

namespace dca::services::lock_waits {

namespace {

struct connection_deleter {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};

struct registry {
  std::mutex lock;
  std::map<int, std::string> names;   // pid -> name
  std::map<int, std::string> servers; // pid -> monitor conninfo
  std::map<std::string, std::unique_ptr<PGconn, connection_deleter>> monitors; // by conninfo
};

registry& the_registry() {
  static registry r;
  return r;
}

PGconn* monitor_for(registry& r, const std::string& conninfo) {
  auto& slot = r.monitors[conninfo];
  if (!slot || PQstatus(slot.get()) != CONNECTION_OK)
    slot.reset(PQconnectdb(conninfo.c_str()));
  if (PQstatus(slot.get()) != CONNECTION_OK)
    throw unavailable{"services: postgres does not answer the lock monitor (" +
                      first_line(PQerrorMessage(slot.get())) + "): run scripts/services start"};
  return slot.get();
}

using wait_graph = std::map<int, std::vector<int>>; // waiter -> the backends it waits for

std::vector<int> pids_of(const std::string& array_text) { // "{12,34}"
  std::vector<int> out;
  std::string digits;
  for (char c : array_text + ",") {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (!digits.empty()) {
      out.push_back(std::stoi(digits));
      digits.clear();
    }
  }
  return out;
}

wait_graph read_graph(PGconn* monitor) {
  PGresult* r = PQexec(monitor, "SELECT pid, waits_for::text FROM (SELECT pid, "
                                "pg_blocking_pids(pid) AS waits_for FROM pg_stat_activity) w "
                                "WHERE cardinality(waits_for) > 0");
  std::unique_ptr<PGresult, void (*)(PGresult*)> guard{r, PQclear};
  if (PQresultStatus(r) != PGRES_TUPLES_OK)
    throw unavailable{"services: postgres refused to show its lock waits (" +
                      first_line(PQerrorMessage(monitor)) + "): run scripts/services status"};
  wait_graph g;
  for (int i = 0; i < PQntuples(r); ++i)
    g[std::stoi(PQgetvalue(r, i, 0))] = pids_of(PQgetvalue(r, i, 1));
  return g;
}

bool reaches(const wait_graph& g, int from, int target) {
  std::set<int> seen;
  std::vector<int> todo{from};
  while (!todo.empty()) {
    int at = todo.back();
    todo.pop_back();
    auto next = g.find(at);
    if (next == g.end() || !seen.insert(at).second)
      continue;
    for (int p : next->second) {
      if (p == target)
        return true;
      todo.push_back(p);
    }
  }
  return false;
}

} // namespace

void remember(int pid, const std::string& name, const std::string& conninfo) {
  auto monitor =
      with_dbname(conninfo, home_database()); // never a scratch database: reset ends those
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard{r.lock};
  r.names[pid] = name.empty() ? "backend " + std::to_string(pid) : name;
  r.servers[pid] = monitor;
}

void forget(int pid) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard{r.lock};
  r.names.erase(pid);
  r.servers.erase(pid);
}

std::vector<int> holders_of(int pid) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard{r.lock};
  auto server = r.servers.find(pid);
  if (server == r.servers.end())
    return {};
  auto g = read_graph(monitor_for(r, server->second));
  auto waits = g.find(pid);
  if (waits == g.end() || reaches(g, pid, pid))
    return {};
  for (int holder : waits->second)
    if (r.names.count(holder) == 0)
      return {};
  return waits->second;
}

std::vector<int> live_pids() {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard{r.lock};
  std::vector<int> out;
  for (const auto& entry : r.names)
    out.push_back(entry.first);
  return out;
}

std::string names_of(const std::vector<int>& pids) {
  auto& r = the_registry();
  std::lock_guard<std::mutex> guard{r.lock};
  std::string out;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    auto name = r.names.find(pids[i]);
    out += (i == 0                 ? ""
            : i + 1 == pids.size() ? " and "
                                   : ", ") +
           (name == r.names.end() ? "backend " + std::to_string(pids[i]) : name->second);
  }
  return out;
}

} // namespace dca::services::lock_waits
