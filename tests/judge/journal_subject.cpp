// A subject for the journal relay's own test (journal_relay_test.cpp): functions and one actor
// that read the journal the judge lends them, each exercising one part of the relay: reads during
// a call, during an actor's start-up and during its handler, and the writes the judge refuses.
#include "caf/event_based_actor.hpp"

#include "dca/bridge/journal_relay.hpp"
#include "dca/bridge/statement_relay.hpp"
#include "dca/bridge/subject_host.hpp"

namespace {

using dca::bridge::decode_arguments;
using dca::bridge::encode_result;
using dca::bridge::relayed_journal;
using dca::bridge::service_ref;

/// The journal's events after (id, after, max): its error's code, then position and key of each.
std::vector<char> read_all(const std::vector<char>& args) {
  std::uint64_t id = 0, after = 0, max = 0;
  decode_arguments(args, id, after, max);
  std::vector<dca::es::event_record> out;
  auto err = relayed_journal(service_ref{id})->read_all(after, max, out);
  std::vector<std::uint64_t> positions;
  std::vector<std::string> keys;
  for (const auto& r : out) {
    positions.push_back(r.position);
    keys.push_back(r.entity.key + "#" + std::to_string(r.seq) + ":" + r.text);
  }
  return encode_result(std::uint8_t{err ? err.code() : std::uint8_t{0}}, positions, keys);
}

std::vector<char> committed(const std::vector<char>& args) {
  std::uint64_t id = 0;
  decode_arguments(args, id);
  return encode_result(relayed_journal(service_ref{id})->committed_position());
}

/// (id, key): whether the entity has a snapshot, its seq and payload.
std::vector<char> snapshot(const std::vector<char>& args) {
  std::uint64_t id = 0;
  std::string key;
  decode_arguments(args, id, key);
  auto got = relayed_journal(service_ref{id})->load_snapshot({"thing", key});
  if (!got || !*got)
    return encode_result(false, std::uint64_t{0}, std::vector<char>{});
  return encode_result(true, (*got)->seq, (*got)->payload);
}

std::vector<char> append(const std::vector<char>& args) {
  std::uint64_t id = 0;
  decode_arguments(args, id);
  relayed_journal(service_ref{id})->append({{"thing", "a"}, 0, {}, {}, {}}, [](auto) {});
  return {};
}

std::vector<char> subscribe(const std::vector<char>& args) {
  std::uint64_t id = 0;
  decode_arguments(args, id);
  relayed_journal(service_ref{id})->subscribe([](std::uint64_t) {});
  return {};
}

/// Asks the judge for the journal's position until it stops answering: a loop that only asks.
std::vector<char> read_forever(const std::vector<char>& args) {
  std::uint64_t id = 0;
  decode_arguments(args, id);
  auto journal = relayed_journal(service_ref{id});
  for (;;)
    journal->committed_position();
}

using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// Reads the journal's committed position in its start-up and at each tick, and tells `report`.
caf::behavior follower(caf::event_based_actor* self, dca::es::journal_ptr journal,
                       caf::actor report) {
  self->send(report, journal->committed_position());
  return {[=](tick_atom) { self->send(report, journal->committed_position()); }};
}

} // namespace

int main(int argc, char** argv) {
  dca::bridge::function_table functions{{"read_all", read_all},   {"committed", committed},
                                        {"snapshot", snapshot},   {"append", append},
                                        {"subscribe", subscribe}, {"read_forever", read_forever}};
  dca::bridge::factory_table kinds{
      {"follower", [](caf::actor_system& sys, const caf::message& args) {
         if (!args.match_elements<service_ref, caf::actor>())
           return caf::actor{};
         return sys.spawn(follower, relayed_journal(args.get_as<service_ref>(0)),
                          args.get_as<caf::actor>(1));
       }}};
  return dca::bridge::subject_main(argc, argv, kinds, functions);
}
