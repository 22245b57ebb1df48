// The cost of one statement through dca::services::pg_connection in process, since it may be
// built on a statement_executor (the judge's statement relay): every exec now first checks which
// it is. Baseline, in the same run: the same statement through libpq alone, no wrapper at all,
// which is a floor under the exec path as it was before the executor (that path was this libpq
// work plus the wrapper's copying). So ours minus the floor bounds what the check added. Rounds
// alternate ours and the floor; prints the median and min-max of --rounds, in microseconds per
// statement. Needs the servers (scripts/services start).
// bench_pg_exec [--statements N] [--rounds R]
#include <boost/program_options.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dca/services/pg_connection.hpp"
#include "dca/services/scratch.hpp"

namespace po = boost::program_options;

namespace {

constexpr const char* balance_sql = "SELECT balance FROM accounts WHERE id = $1";

/// Microseconds per statement for `statements` runs of `one`, which returns the balance read;
/// checks it, so a path that read nothing cannot look fast.
double per_statement_us(int statements, const std::function<std::int64_t()>& one) {
  auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < statements; ++k)
    if (one() != 100)
      throw std::runtime_error{"a statement read the wrong balance"};
  std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  return took.count() / statements;
}

/// The floor: libpq's own calls for the same statement and parameter, the value read out.
std::int64_t through_libpq(PGconn* conn) {
  const char* values[] = {"a1"};
  if (PQsendQueryParams(conn, balance_sql, 1, nullptr, values, nullptr, nullptr, 0) == 0)
    throw std::runtime_error{PQerrorMessage(conn)};
  std::int64_t balance = -1;
  while (PGresult* r = PQgetResult(conn)) {
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
      balance = std::stoll(PQgetvalue(r, 0, 0));
    PQclear(r);
  }
  return balance;
}

void print(const char* what, std::vector<double> us) {
  std::sort(us.begin(), us.end());
  std::cout << std::left << std::setw(44) << what << std::right << std::fixed
            << std::setprecision(2) << std::setw(8) << us[us.size() / 2] << " us  (" << us.front()
            << "-" << us.back() << ")\n";
}

} // namespace

int main(int argc, char** argv) {
  int statements = 5'000;
  int rounds = 5;
  po::options_description desc{"bench_pg_exec"};
  desc.add_options()("statements", po::value(&statements), "statements per round and path")(
      "rounds", po::value(&rounds), "rounds, each path once per round");
  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, desc), vm);
  po::notify(vm);
  dca::services::scratch space{"benchpg"};
  space.reset("CREATE TABLE accounts (id text PRIMARY KEY, balance bigint); "
              "INSERT INTO accounts VALUES ('a1', 100)");
  auto ours = space.connect("ours");
  PGconn* floor = PQconnectdb(space.primary().c_str());
  if (PQstatus(floor) != CONNECTION_OK)
    throw std::runtime_error{PQerrorMessage(floor)};
  std::vector<double> ours_us;
  std::vector<double> floor_us;
  for (int r = 0; r < rounds; ++r) {
    ours_us.push_back(
        per_statement_us(statements, [&] { return ours.exec(balance_sql, "a1").int_at(0, 0); }));
    floor_us.push_back(per_statement_us(statements, [&] { return through_libpq(floor); }));
  }
  PQfinish(floor);
  std::cout << statements << " statements x " << rounds << " rounds, median (min-max):\n";
  print("pg_connection::exec (ours, executor check)", ours_us);
  print("libpq alone (floor under before)", floor_us);
  std::sort(ours_us.begin(), ours_us.end());
  std::sort(floor_us.begin(), floor_us.end());
  std::cout << "ours - floor: " << std::setprecision(2)
            << ours_us[ours_us.size() / 2] - floor_us[floor_us.size() / 2] << " us per statement\n";
}
