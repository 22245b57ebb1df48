// Exercise 06's contract as the judge implements it. The judge hosts the price entity, its journal
// and state, runs the learner's decide and apply in the subject (entity_functions.hpp), and holds
// the run space: the servers, their passwords and every connection. The learner's cache projection
// and readers run in the subject behind stand-ins; the projection's journal is the judge's, lent
// (journal_relay.hpp), and each Redis command they send runs on a connection of the judge's run
// space (run_space_relay.hpp) at the step the judge's scheduler runs that actor. store_if_newer and
// load_cached, which the spec calls with its own connection, cross as calls lending it. Linked
// into the judge's spec and program instead of message_passing.cpp, so no learner code is in the
// judge.
#include "scenario.hpp"

#include <utility>

#include "dca/bridge/entity_functions.hpp"
#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/run_space_relay.hpp"
#include "dca/bridge/stand_in.hpp"
#include "dca/bridge/statement_relay.hpp"

#include "judged_types.hpp"

namespace cache_aside {

namespace {

// Before main: the judge's link to the subject announces its types when it is first used.
[[maybe_unused]] const bool types_added =
    (dca::bridge::add_exercise_types(announce_judged_types), true);

} // namespace

caf::expected<std::vector<price::event>> price::decide(const state& s, const command& cmd) {
  return dca::bridge::decide_in_subject<price>(s, cmd);
}

price::state price::apply(state s, const event& ev) {
  return dca::bridge::apply_in_subject<price>(s, ev);
}

bool store_if_newer(dca::services::redis_connection& cache, const run_space& space,
                    const std::string& sku, cached_price value) {
  // The spec's own connection, lent for this call: the learner's script runs on it.
  auto lent = dca::bridge::lend_redis_connection(space, cache);
  return dca::bridge::call_relayed<bool>("store_if_newer", {}, lent->id(), cache.name(), sku,
                                         value.cents, value.seq);
}

std::optional<cached_price> load_cached(dca::services::redis_connection& cache,
                                        const run_space& space, const std::string& sku) {
  auto lent = dca::bridge::lend_redis_connection(space, cache);
  auto out = dca::bridge::call_with_connections(
      "load_cached", dca::bridge::encode_result(lent->id(), cache.name(), sku), {});
  bool has = false;
  cached_price got;
  if (dca::es::decode(out, has, got.cents, got.seq))
    dca::bridge::fail_subject("the submission's load_cached returned a value of another type");
  return has ? std::optional<cached_price>{got} : std::nullopt;
}

caf::actor spawn_cache_projection(caf::actor_system& system, dca::es::journal_ptr journal,
                                  run_space_ptr space) {
  // Both cross as their services' numbers; the stand-in holds both offers while it lives.
  auto journal_lent = dca::bridge::lend_journal(std::move(journal));
  auto space_lent = dca::bridge::lend_run_space(std::move(space));
  auto args = caf::make_message(dca::bridge::service_ref{journal_lent->id()},
                                dca::bridge::service_ref{space_lent->id()});
  auto both = std::make_shared<std::pair<std::shared_ptr<dca::bridge::service_offer>,
                                         std::shared_ptr<dca::bridge::service_offer>>>(
      std::move(journal_lent), std::move(space_lent));
  return dca::bridge::spawn_stand_in(system, "cache projection", std::move(args), std::move(both));
}

caf::actor spawn_reader(caf::actor_system& system, caf::actor prices, run_space_ptr space) {
  auto lent = dca::bridge::lend_run_space(std::move(space));
  auto args = caf::make_message(std::move(prices), dca::bridge::service_ref{lent->id()});
  return dca::bridge::spawn_stand_in(system, "reader", std::move(args), std::move(lent));
}

} // namespace cache_aside
