// The journal relay: a journal the judge gives a learner's spawn function (08's views read the
// entity journal) crosses as a number, and in the subject the learner's code gets a
// dca::es::journal whose reads are answered, one judge service request each (judge_services.hpp),
// from the judge's own journal, at the step where the judge's scheduler runs that learner's actor.
// The judge's journal is written only by the judge's entity host: a write from the subject (append,
// a snapshot) or a commit subscription ends the judge with one line saying so (fail).
#pragma once

#include <memory>

#include "dca/bridge/judge_services.hpp"
#include "dca/bridge/wire.hpp"
#include "dca/es/journal.hpp"

namespace dca::bridge {

/// The judge's side: offers `journal`'s reads to the subject while the returned offer lives (a
/// stand-in holds it as long as the learner's actor it was given to). Its id, as a service_ref, is
/// what crosses in the spawn's arguments in place of the journal.
std::shared_ptr<service_offer> lend_journal(dca::es::journal_ptr journal);

/// The subject's side: the journal the judge lent as `ref`. Reads cross to the judge (bounded per
/// answer: read_all and read_stream may return fewer than asked, as their contract allows); writes
/// and subscriptions end the judge.
dca::es::journal_ptr relayed_journal(service_ref ref);

/// The most events one relayed read carries (and the bytes they may take, well under a frame).
constexpr std::size_t relayed_events_max = 1'000;
constexpr std::size_t relayed_bytes_max = frame_bytes_max / 4;

} // namespace dca::bridge
