// The run space relay: a run space the judge gives a learner's spawn function (06's readers and
// cache projection, 07's relay and shipping) crosses as a number, and in the subject the learner's
// code gets a relayed dca::services::scratch (connection_relay.hpp) of the judge's run space's
// name, so key() gives the judge's keys. Each connection the learner's code asks it for
// (connect_redis, connect, connect_replica) sends every command or statement to the judge as one
// judge service request (judge_services.hpp); the judge runs it on its own connection, one per
// connection the subject's run space handed out, made in the judge's run space on first use, at
// the step where its scheduler runs that learner's actor: the explorer's Redis and statement hooks
// fire in the judge, and the trace reads as in process. The slot's servers, and their password,
// never reach the subject.
//   judge:   auto lent = lend_run_space(space);   // held by the stand-in while the actor lives
//            spawn_stand_in(sys, "reader", make_message(service_ref{lent->id()}), lent);
//   subject: auto space = relayed_run_space(args.get_as<service_ref>(0));
#pragma once

#include <cstdint>
#include <memory>

#include "dca/bridge/judge_services.hpp"
#include "dca/bridge/wire.hpp"
#include "dca/services/scratch.hpp"

namespace dca::bridge {

/// The judge's side: offers `space`'s servers to the subject while the returned offer lives (a
/// stand-in holds it as long as the learner's actor it was given to). The judge's connections are
/// made on first use and closed with the offer. A request the contract does not allow (a
/// connection number past relayed_connections_max, a number asked again under another name or
/// for another server, bytes that do not decode) ends the judge with one line (fail).
std::shared_ptr<service_offer> lend_run_space(std::shared_ptr<const services::scratch> space);

/// The same for one call of a learner's function the judge makes with its own Redis connection
/// (06's store_if_newer and load_cached): the subject's first connection (number 1) is
/// `connection` itself; any other is made on first use, as lend_run_space's. Both must outlive
/// the offer.
std::shared_ptr<service_offer> lend_redis_connection(const services::scratch& space,
                                                     services::redis_connection& connection);

/// The subject's side: the run space the judge lent as `ref` (its name is asked of the judge, so
/// only inside an exchange with it: a spawn function, a handler, a call).
std::shared_ptr<services::scratch> relayed_run_space(service_ref ref);

/// The most connections one lent run space makes for the subject: a bound on what a submission
/// can make the judge hold (06's actors ask for one each).
constexpr std::uint64_t relayed_connections_max = 64;

} // namespace dca::bridge
