// The journal contract, run against the memory journal (the SQLite journal runs it in
// sqlite_journal_test.cpp and, with the sync in COMMIT, in wal_sync_test.cpp).
#include <doctest/doctest.h>

#include "dca/es/memory_journal.hpp"
#include "journal_contract.hpp"

using namespace dca::es;
using dca::es::testing::check_contract;

TEST_CASE("the memory journal keeps the journal contract") {
  memory_journal j;
  check_contract(j);
}
