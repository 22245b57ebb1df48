// Exercise 12's subject: the learner's message_passing.cpp, linked with this main, runs in a child
// process of the judge and answers the judge's calls of the saga's steps. Each step gets a
// connection with no server behind it: its statements go back to the judge, which runs them on
// the bank's real connection (dca/bridge/statement_relay.hpp).
#include "scenario.hpp"

#include "dca/bridge/statement_relay.hpp"
#include "dca/bridge/subject_host.hpp"

namespace {

namespace cst = cross_service_transfer;
using dca::bridge::decode_arguments;
using dca::bridge::encode_result;
using dca::bridge::relayed_connection;

cst::transfer_order order_of(const std::vector<char>& args) {
  cst::transfer_order t;
  decode_arguments(args, t.tid, t.from, t.to, t.cents);
  return t;
}

std::string tid_of(const std::vector<char>& args) {
  std::string tid;
  decode_arguments(args, tid);
  return tid;
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::function_table steps;
  steps["hold"] = [](const std::vector<char>& args) {
    auto x = relayed_connection("x");
    return encode_result(cst::hold(x, order_of(args)));
  };
  steps["credit"] = [](const std::vector<char>& args) {
    auto y = relayed_connection("y");
    return encode_result(cst::credit(y, order_of(args)));
  };
  steps["confirm"] = [](const std::vector<char>& args) {
    auto x = relayed_connection("x");
    cst::confirm(x, tid_of(args));
    return std::vector<char>{};
  };
  steps["release"] = [](const std::vector<char>& args) {
    auto x = relayed_connection("x");
    cst::release(x, tid_of(args));
    return std::vector<char>{};
  };
  return dca::bridge::subject_main(argc, argv, {}, steps);
}
