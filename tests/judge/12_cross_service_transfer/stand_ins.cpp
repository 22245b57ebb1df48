// Exercise 12's contract as the judge implements it: the learner writes the saga's steps, hold,
// credit, confirm and release, each SQL on one bank's connection. The judge keeps the banks, the
// connections (the slot's role and password), the saga entities and their driver; each step runs
// the learner's function in the subject (subject.cpp) with the judge's connection lent to it, so
// every statement runs here, on the thread and at the step the judge's scheduler chose. Linked
// into the judge's spec and program instead of message_passing.cpp: no learner code in the judge.
#include "scenario.hpp"

#include "dca/bridge/statement_relay.hpp"

namespace cross_service_transfer {

using dca::bridge::call_relayed;
using dca::services::pg_connection;

bool hold(pg_connection& x, const transfer_order& t) {
  return call_relayed<bool>("hold", {{"x", &x}}, t.tid, t.from, t.to, t.cents);
}

bool credit(pg_connection& y, const transfer_order& t) {
  return call_relayed<bool>("credit", {{"y", &y}}, t.tid, t.from, t.to, t.cents);
}

void confirm(pg_connection& x, const std::string& tid) {
  call_relayed<void>("confirm", {{"x", &x}}, tid);
}

void release(pg_connection& x, const std::string& tid) {
  call_relayed<void>("release", {{"x", &x}}, tid);
}

} // namespace cross_service_transfer
