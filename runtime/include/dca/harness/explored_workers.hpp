// dca::harness::explored_workers: what an exploration of stateless workers over PostgreSQL (05, 13)
// keeps across its schedules: the run's own database, one connection per worker ("T1", "T2", ...)
// and one for the judge. Connecting costs more than a whole schedule on a loaded machine, so the
// connections are made once and each schedule only resets the tables. Header-only: it needs
// dca::services, which those exercises link (needs = services).
//   auto shop = std::make_shared<dca::harness::explored_workers>("ex05", schema_sql, 2);
//   shop->reset(stock_rows(1)); // in the explorer's make: a fresh start for each schedule
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dca/services/pg_connection.hpp"
#include "dca/services/scratch.hpp"

namespace dca::harness {

struct explored_workers {
  dca::services::scratch space;
  std::string schema_sql; // the tables every schedule starts with
  std::vector<std::shared_ptr<dca::services::pg_connection>> workers;
  dca::services::pg_connection judge; // reads the outcome after a schedule

  /// Claims a database for `purpose` (e.g. "ex05") and connects `count` workers and the judge.
  explored_workers(const std::string& purpose, std::string schema, std::size_t count)
      : space(purpose), schema_sql(std::move(schema)), judge(space.connect("judge")) {
    for (std::size_t t = 1; t <= count; ++t)
      workers.push_back(
          std::make_shared<dca::services::pg_connection>(space.connect("T" + std::to_string(t))));
  }

  /// A fresh start for the next schedule: the same tables, holding `rows_sql`. A schedule cut
  /// short may have left a worker inside a transaction, so each is made idle first.
  void reset(const std::string& rows_sql) {
    for (auto& w : workers)
      w->make_idle();
    space.reset(schema_sql, rows_sql);
  }
};

} // namespace dca::harness
