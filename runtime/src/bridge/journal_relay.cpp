// Both ends of the journal relay (dca/bridge/journal_relay.hpp). A request crosses as (OP, ARGS),
// each encoded by CAF's binary serialiser inside a (service, "journal", ID, BYTES) frame; the
// answer as (served, BYTES). The judge believes a request only once every byte decodes, and the
// subject an answer likewise.
#include "dca/bridge/journal_relay.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "caf/make_message.hpp"

#include "dca/assert.hpp"
#include "dca/bridge/subject_call.hpp"
#include "dca/es/codec.hpp"

namespace dca::bridge {

namespace {

using dca::es::entity_id;
using dca::es::errc;
using dca::es::event_record;

constexpr const char* kind = "journal";

/// An event as it crosses: event_record's fields (it has no inspect of its own).
struct wire_record {
  std::uint64_t position = 0;
  entity_id entity;
  std::uint64_t seq = 0;
  std::string type;
  std::vector<char> payload;
  std::string text;
  std::string idempotency_key;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_record& x) {
  return f(caf::meta::type_name("dca_wire_record"), x.position, x.entity, x.seq, x.type, x.payload,
           x.text, x.idempotency_key);
}

/// An error as it crosses: its dcaes code (0: none; another category crosses as journal_io) and
/// its rendering.
struct wire_error {
  std::uint8_t code = 0;
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_error& x) {
  return f(caf::meta::type_name("dca_wire_error"), x.code, x.detail);
}

wire_error wire_error_of(const caf::error& err) {
  if (!err)
    return {};
  auto code = err.category() == dca::es::error_category
                  ? err.code()
                  : static_cast<std::uint8_t>(errc::journal_io);
  return {code, dca::es::render(err)};
}

caf::error error_of(const wire_error& x) {
  if (x.code == 0)
    return caf::none;
  return dca::es::make_error(static_cast<errc>(x.code), "the judge's journal: " + x.detail);
}

template <class... Ts>
std::vector<char> encoded(const Ts&... xs) {
  std::vector<char> out;
  if (auto err = dca::es::encode(out, xs...))
    throw std::logic_error{"the journal relay cannot encode a value: " + dca::es::render(err)};
  return out;
}

// -- the judge's side ---------------------------------------------------------------------------

/// `records` as they cross, as many as fit the relay's bound (at least one: the reader moves on).
std::vector<wire_record> wire_records(std::vector<event_record>& records) {
  std::vector<wire_record> out;
  std::size_t bytes = 0;
  for (auto& r : records) {
    bytes += r.payload.size() + r.text.size() + r.type.size() + r.entity.key.size() + 64;
    if (!out.empty() && bytes > relayed_bytes_max)
      break;
    out.push_back({r.position, std::move(r.entity), r.seq, std::move(r.type), std::move(r.payload),
                   std::move(r.text), std::move(r.idempotency_key)});
  }
  return out;
}

[[noreturn]] void refuse_write(const std::string& op) {
  fail_subject("the submission's actors called " + op +
               " on the journal the judge lent them: the judge's journal is written only by its "
               "entity host (send the host a command), and a projection follows the commits it "
               "is sent");
}

/// One request of the subject's, answered from `journal`.
caf::message serve_journal(dca::es::journal& journal, const std::vector<char>& request) {
  std::string op;
  std::vector<char> args;
  if (dca::es::decode(request, op, args))
    fail_subject("the submission's actors sent a journal request that does not decode");
  auto bad_args = [&] {
    fail_subject("the submission's actors sent a journal " + op + " whose arguments do not decode");
  };
  std::vector<event_record> records;
  if (op == "read_all") {
    std::uint64_t after = 0, max = 0;
    if (dca::es::decode(args, after, max))
      bad_args();
    auto err = journal.read_all(after, std::min<std::uint64_t>(max, relayed_events_max), records);
    return caf::make_message(served_atom::value,
                             encoded(wire_error_of(err), wire_records(records)));
  }
  if (op == "read_stream") {
    entity_id entity;
    std::uint64_t from_seq = 0, max = 0;
    if (dca::es::decode(args, entity, from_seq, max))
      bad_args();
    auto err = journal.read_stream(entity, from_seq,
                                   std::min<std::uint64_t>(max, relayed_events_max), records);
    return caf::make_message(served_atom::value,
                             encoded(wire_error_of(err), wire_records(records)));
  }
  if (op == "committed_position")
    return caf::make_message(served_atom::value, encoded(journal.committed_position()));
  if (op == "load_snapshot") {
    entity_id entity;
    if (dca::es::decode(args, entity))
      bad_args();
    auto got = journal.load_snapshot(entity);
    dca::es::snapshot_record s;
    bool has = got && got->has_value();
    if (has)
      s = **got;
    return caf::make_message(served_atom::value,
                             encoded(wire_error_of(got ? caf::error{} : got.error()), has, s.seq,
                                     s.position, s.payload, s.text));
  }
  // The op is the subject's word: named only when it is one of the journal's writes.
  if (op == "append" || op == "save_snapshot" || op == "subscribe")
    refuse_write(op);
  fail_subject("the submission's actors sent a journal request the judge does not know");
}

// -- the subject's side ---------------------------------------------------------------------------

class relayed final : public dca::es::journal {
public:
  explicit relayed(service_ref ref) : id_(ref.id) {}

  void append(dca::es::append_request, dca::es::append_callback done) override {
    ask("append", {}); // the judge ends here; should it answer, the append still fails
    done(dca::es::make_error(errc::journal_read_only, "the judge's journal takes no append"));
  }

  caf::error read_stream(const entity_id& entity, std::uint64_t from_seq, std::size_t max,
                         std::vector<event_record>& out) override {
    return records(ask("read_stream", encoded(entity, from_seq, std::uint64_t{max})), out);
  }

  caf::error read_all(std::uint64_t after, std::size_t max,
                      std::vector<event_record>& out) override {
    return records(ask("read_all", encoded(after, std::uint64_t{max})), out);
  }

  caf::expected<std::optional<dca::es::snapshot_record>>
  load_snapshot(const entity_id& entity) override {
    wire_error err;
    bool has = false;
    dca::es::snapshot_record s;
    decoded(ask("load_snapshot", encoded(entity)), err, has, s.seq, s.position, s.payload, s.text);
    if (err.code != 0)
      return error_of(err);
    return has ? std::optional<dca::es::snapshot_record>{std::move(s)} : std::nullopt;
  }

  void save_snapshot(const entity_id&, dca::es::snapshot_record) override {
    ask("save_snapshot", {});
  }

  std::uint64_t committed_position() const override {
    std::uint64_t position = 0;
    decoded(ask("committed_position", {}), position);
    return position;
  }

  int subscribe(dca::es::commit_listener) override {
    ask("subscribe", {});
    throw std::logic_error{"the judge's journal takes no commit listener"};
  }

  void unsubscribe(int) override {}

private:
  std::vector<char> ask(const std::string& op, const std::vector<char>& args) const {
    auto answer = ask_service(kind, id_, encoded(op, args));
    if (!answer.match_elements<served_atom, std::vector<char>>())
      throw std::logic_error{"the judge's answer to a journal " + op + " is not one"};
    return answer.get_as<std::vector<char>>(1);
  }

  template <class... Ts>
  static void decoded(const std::vector<char>& bytes, Ts&... xs) {
    if (dca::es::decode(bytes, xs...))
      throw std::logic_error{"the judge's answer to a journal read does not decode"};
  }

  static caf::error records(const std::vector<char>& bytes, std::vector<event_record>& out) {
    wire_error err;
    std::vector<wire_record> got;
    decoded(bytes, err, got);
    out.clear();
    for (auto& r : got)
      out.push_back({r.position, std::move(r.entity), r.seq, std::move(r.type),
                     std::move(r.payload), std::move(r.text), std::move(r.idempotency_key)});
    return error_of(err);
  }

  std::uint64_t id_;
};

} // namespace

std::shared_ptr<service_offer> lend_journal(dca::es::journal_ptr journal) {
  DCA_ASSERT(journal);
  return std::make_shared<service_offer>(kind, [journal](const std::vector<char>& request) {
    return serve_journal(*journal, request);
  });
}

dca::es::journal_ptr relayed_journal(service_ref ref) {
  return std::make_shared<relayed>(ref);
}

} // namespace dca::bridge
