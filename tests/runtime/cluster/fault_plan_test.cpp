// The fault plan: its text form and its dice.
#include <doctest/doctest.h>

#include "dca/cluster/fault_plan.hpp"

using namespace dca::cluster;

TEST_CASE("a fault plan parses every rate, the delay and the seed") {
  fault_plan plan;
  REQUIRE(parse_fault_plan("drop=100,dup=50,delay=200,reorder=25,delay_ms=80,seed=7", plan) == "");
  CHECK(plan.drop_per_mille == 100);
  CHECK(plan.duplicate_per_mille == 50);
  CHECK(plan.delay_per_mille == 200);
  CHECK(plan.reorder_per_mille == 25);
  CHECK(plan.delay == std::chrono::milliseconds{80});
  CHECK(plan.seed == 7);
}

TEST_CASE("a fault plan refuses unknown faults, rates over 1000 and bad numbers in one line") {
  fault_plan plan;
  plan.seed = 42;
  CHECK(parse_fault_plan("drip=1", plan).find("unknown fault 'drip'") != std::string::npos);
  CHECK(parse_fault_plan("drop=600,dup=600", plan).find("add up to 1200") != std::string::npos);
  CHECK(parse_fault_plan("drop=ten", plan).find("whole number") != std::string::npos);
  CHECK(parse_fault_plan("drop", plan).find("no value") != std::string::npos);
  CHECK(plan.seed == 42); // untouched by a refused plan
}

TEST_CASE("the dice roll each fault at about its rate and replay with their seed") {
  fault_plan plan;
  plan.drop_per_mille = 100;
  plan.duplicate_per_mille = 200;
  plan.seed = 3;
  fault_dice a{plan};
  fault_dice b{plan};
  int drops = 0;
  int dups = 0;
  for (int i = 0; i < 10000; ++i) {
    auto f = a.roll();
    CHECK(f == b.roll());
    drops += f == fault::drop;
    dups += f == fault::duplicate;
  }
  CHECK(drops > 800);
  CHECK(drops < 1200);
  CHECK(dups > 1700);
  CHECK(dups < 2300);
}
