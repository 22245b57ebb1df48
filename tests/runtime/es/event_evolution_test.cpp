// Events evolve without being misread: replay decodes the type stored with each event, not its
// place in the entity's variant; older layouts are upcast; a type the entity does not read, and a
// snapshot of another state layout, are never applied as a guess. Four versions of one small
// "cart" entity share a stream here, as one program would over its life.
#include "asking_fixture.hpp"

#include <map>

#include "dca/es/decoder_registry.hpp"
#include "dca/es/entity_host.hpp"
#include "dca/es/journal_check.hpp"
#include "dca/es/memory_journal.hpp"
#include "dca/es/recovery.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "es_test_support.hpp"

using namespace dca::es;
using dca::es::testing::append_sync;
using dca::es::testing::temp_dir;

namespace evo {

// -- events, in every layout the cart has had -----------------------------------------------------

struct cart_opened {
  std::string owner;
};
struct item_added_v1 { // the first layout of item_added: no price
  std::string sku;
  std::int32_t quantity = 0;
};
struct item_added { // the second: with a price
  std::string sku;
  std::int32_t quantity = 0;
  std::int64_t price_cents = 0;
};
struct item_removed { // added later, at the front of the variant
  std::string sku;
  std::int32_t quantity = 0;
};
struct coupon_applied { // added in version 2
  std::int32_t percent = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cart_opened& x) {
  return f(caf::meta::type_name("cart_opened"), x.owner);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_added_v1& x) {
  return f(caf::meta::type_name("item_added"), x.sku, x.quantity);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_added& x) {
  return f(caf::meta::type_name("item_added"), x.sku, x.quantity, x.price_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_removed& x) {
  return f(caf::meta::type_name("item_removed"), x.sku, x.quantity);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, coupon_applied& x) {
  return f(caf::meta::type_name("coupon_applied"), x.percent);
}

struct cart_state {
  std::map<std::string, std::int32_t> quantities;
  std::int64_t total_cents = 0;
  std::int32_t discount_percent = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cart_state& x) {
  return f(caf::meta::type_name("cart_state"), x.quantities, x.total_cents, x.discount_percent);
}

/// The same cart state as its first version had it (no discount): an older snapshot layout.
struct cart_state_v1 {
  std::map<std::string, std::int32_t> quantities;
  std::int64_t total_cents = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cart_state_v1& x) {
  return f(caf::meta::type_name("cart_state"), x.quantities, x.total_cents);
}

struct no_command {};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, no_command&) {
  return f(caf::meta::type_name("no_command"));
}

cart_state add(cart_state s, const std::string& sku, std::int32_t quantity, std::int64_t price) {
  s.quantities[sku] += quantity;
  s.total_cents += quantity * price;
  return s;
}

/// The parts every version shares: a command type the tests never send, and apply by visiting.
template <class Event, class State = cart_state>
struct cart_base {
  static constexpr const char* type_name = "cart"; // every version reads the same streams
  using state = State;
  using command = caf::variant<no_command>;
  using event = Event;
  static caf::expected<std::vector<event>> decide(const state&, const command&) {
    return std::vector<event>{};
  }
};

/// Version 1: opened, item_added (no price).
struct cart_v1 : cart_base<caf::variant<item_added_v1, cart_opened>, cart_state_v1> {
  static state apply(state s, const event& ev) {
    if (auto* added = caf::get_if<item_added_v1>(&ev))
      s.quantities[added->sku] += added->quantity;
    return s;
  }
};

/// Version 1 with a new event type at the front of the variant, of the same shape as item_added.
struct cart_reordered : cart_base<caf::variant<item_removed, item_added_v1, cart_opened>> {
  static constexpr std::uint32_t state_version = 2;
  static state apply(state s, const event& ev) {
    if (auto* added = caf::get_if<item_added_v1>(&ev))
      return add(std::move(s), added->sku, added->quantity, 0);
    if (auto* removed = caf::get_if<item_removed>(&ev))
      s.quantities[removed->sku] -= removed->quantity;
    return s;
  }
};

/// Version 2: item_added has a price (event_version 2); version 1 events are upcast to it.
struct cart_v2 : cart_base<caf::variant<coupon_applied, cart_opened, item_added>> {
  static constexpr std::uint32_t state_version = 2;
  using legacy_events = event_list<item_added_v1>;
  static item_added upcast(item_added_v1 old) {
    return item_added{std::move(old.sku), old.quantity, 0}; // the price was not recorded
  }
  static state apply(state s, const event& ev) {
    if (auto* added = caf::get_if<item_added>(&ev))
      return add(std::move(s), added->sku, added->quantity, added->price_cents);
    if (auto* coupon = caf::get_if<coupon_applied>(&ev))
      s.discount_percent = coupon->percent;
    return s;
  }
};

/// Version 2 without coupons: a type removed while the journal still holds one.
struct cart_without_coupons : cart_base<caf::variant<cart_opened, item_added>> {
  static constexpr std::uint32_t state_version = 2;
  using legacy_events = event_list<item_added_v1>;
  static item_added upcast(item_added_v1 old) { return cart_v2::upcast(std::move(old)); }
  static state apply(state s, const event& ev) {
    if (auto* added = caf::get_if<item_added>(&ev))
      return add(std::move(s), added->sku, added->quantity, added->price_cents);
    return s;
  }
};

} // namespace evo

namespace dca::es {
template <>
constexpr std::uint32_t event_version<evo::item_added> = 2;
} // namespace dca::es

using namespace evo;

namespace {

const entity_id alice{"cart", "alice"};

template <class E>
void append_as(journal& j, std::uint64_t expected, typename E::event ev) {
  append_request req;
  req.entity = alice;
  req.expected_seq = expected;
  req.events.push_back(*to_event_data(ev));
  REQUIRE(append_sync(j, std::move(req)));
}

/// What version 1 wrote: opened, then 2 apples.
void write_v1(journal& j) {
  append_as<cart_v1>(j, 0, cart_opened{"Alice"});
  append_as<cart_v1>(j, 1, item_added_v1{"apple", 2});
}

template <class E>
entity_image<E> recovered(journal& j, recovery_report* report = nullptr) {
  entity_image<E> img;
  auto err = recover(j, alice, entity_options{}, img, report);
  REQUIRE_MESSAGE(!err, render(err));
  return img;
}

std::vector<journal_ptr> both_journals(const temp_dir& dir) {
  auto sqlite = sqlite_journal::open(dir.file("journal.db"));
  REQUIRE(sqlite);
  return {std::make_shared<memory_journal>(), *sqlite};
}

} // namespace

TEST_CASE("each event is stored with its type name, and its version when above 1") {
  CHECK(stored_type_of(cart_v1::event{item_added_v1{"apple", 2}}) == "item_added");
  CHECK(stored_type_of(cart_v2::event{item_added{"apple", 2, 30}}) == "item_added@2");
  auto data = to_event_data(cart_v2::event{item_added{"apple", 2, 30}});
  REQUIRE(data);
  CHECK(data->type == "item_added@2");
  CHECK(data->text == R"(item_added("apple", 2, 30))");
}

TEST_CASE("an event type added at the front of the variant leaves stored events their meaning") {
  temp_dir dir;
  for (auto& j : both_journals(dir)) {
    write_v1(*j);
    // Decoding by position, as replay did, reads the stored item_added as the new first type,
    // without an error: 2 apples added would have replayed as 2 apples removed.
    std::vector<event_record> stored;
    REQUIRE(!j->read_stream(alice, 2, 1, stored));
    cart_reordered::event by_position;
    REQUIRE(!decode(stored.at(0).payload, by_position));
    CHECK(caf::holds_alternative<item_removed>(by_position));
    // Replay decodes the stored type.
    auto img = recovered<cart_reordered>(*j);
    CHECK(img.seq == 2);
    CHECK(img.value.quantities == std::map<std::string, std::int32_t>{{"apple", 2}});
    CHECK(img.value.discount_percent == 0);
  }
}

TEST_CASE("a version 1 event is upcast to version 2 on replay, next to version 2 events") {
  temp_dir dir;
  for (auto& j : both_journals(dir)) {
    write_v1(*j);
    append_as<cart_v2>(*j, 2, item_added{"pear", 3, 40});
    auto img = recovered<cart_v2>(*j);
    CHECK(img.seq == 3);
    CHECK(img.value.quantities == std::map<std::string, std::int32_t>{{"apple", 2}, {"pear", 3}});
    CHECK(img.value.total_cents == 120); // the apples' price was never recorded: 0
    std::vector<event_record> stored;
    REQUIRE(!j->read_stream(alice, 1, 10, stored));
    CHECK(stored.at(1).type == "item_added");
    CHECK(stored.at(2).type == "item_added@2");
  }
}

TEST_CASE("a stored type the entity does not read stops replay, naming stream, seq and types") {
  temp_dir dir;
  for (auto& j : both_journals(dir)) {
    write_v1(*j);
    append_as<cart_v2>(*j, 2, coupon_applied{10});
    entity_image<cart_without_coupons> img;
    auto err = recover(*j, alice, entity_options{}, img);
    REQUIRE(err);
    CHECK(is(err, errc::event_type_unknown));
    CHECK(render(err) == "event_type_unknown: cart/alice seq 3: stored type \"coupon_applied\" is "
                         "not an event of cart (it reads cart_opened, item_added@2, item_added "
                         "(upcast))");
    CHECK(img.seq == 2); // stopped before it, applied nothing of it
  }
}

namespace {

struct host_fixture : asking_fixture {
  std::shared_ptr<memory_journal> journal = std::make_shared<memory_journal>();
};

} // namespace

TEST_CASE_FIXTURE(
    host_fixture,
    "an entity whose stream holds a type it does not read never starts with a state") {
  write_v1(*journal);
  append_as<cart_v2>(*journal, 2, coupon_applied{10});
  auto host = spawn_entity_host<cart_without_coupons>(sys, journal, entity_options{});
  auto st = ask<cart_state>(host, get_atom::value, std::string{"alice"});
  REQUIRE(!st);
  CHECK(is(st.error(), errc::event_type_unknown));
  auto a = ask<ack>(host, command_atom::value, std::string{"alice"},
                    cart_without_coupons::command{no_command{}}, std::string{});
  REQUIRE(!a);
  CHECK(is(a.error(), errc::event_type_unknown));
  CHECK(journal->committed_position() == 3); // nothing appended
  anon_send_exit(host, caf::exit_reason::user_shutdown);
}

TEST_CASE("a snapshot of an older state layout is ignored with a reason and the events replayed") {
  memory_journal j;
  write_v1(j);
  entity_options opts;
  opts.snapshot_every = 1;
  auto v1 = recovered<cart_v1>(j);
  v1.events_since_snapshot = 1;
  maybe_snapshot(j, alice, opts, v1);
  REQUIRE(j.load_snapshot(alice)->has_value());
  recovery_report report;
  auto img = recovered<cart_v2>(j, &report);
  CHECK(report.snapshot_ignored ==
        "cart/alice: snapshot at seq 2 is not of the layout cart_state@2 (an older state, or "
        "written before dca recorded layouts); replayed the events instead");
  CHECK(img.seq == 2);
  CHECK(img.value.quantities == std::map<std::string, std::int32_t>{{"apple", 2}});
}

TEST_CASE("a snapshot written before layouts were recorded is ignored, not misread") {
  memory_journal j;
  write_v1(j);
  snapshot_record old;
  old.seq = 2;
  old.position = 2;
  cart_state state;
  state.quantities["plum"] = 7;
  std::vector<idempotency_entry> keys;
  REQUIRE(!encode(old.payload, state, keys)); // no layout in front: what dca wrote before
  j.save_snapshot(alice, old);
  recovery_report report;
  auto img = recovered<cart_v2>(j, &report);
  CHECK(!report.snapshot_ignored.empty());
  CHECK(img.value.quantities == std::map<std::string, std::int32_t>{{"apple", 2}});
}

TEST_CASE("a snapshot of the current layout is used") {
  memory_journal j;
  write_v1(j);
  auto img = recovered<cart_v2>(j);
  img.value.quantities["plum"] = 7; // so the test can tell the snapshot from the events
  img.events_since_snapshot = 1;
  entity_options opts;
  opts.snapshot_every = 1;
  maybe_snapshot(j, alice, opts, img);
  recovery_report report;
  auto again = recovered<cart_v2>(j, &report);
  CHECK(report.snapshot_ignored.empty());
  CHECK(again.value.quantities.count("plum") == 1);
}

TEST_CASE("journal verify decodes a registered entity's current and legacy events") {
  temp_dir dir;
  auto path = dir.file("journal.db");
  {
    auto j = sqlite_journal::open(path);
    REQUIRE(j);
    write_v1(**j);
    append_as<cart_v2>(**j, 2, item_added{"pear", 3, 40});
  }
  decoder_registry decoders;
  decoders.add<cart_v2>();
  auto report = verify_journal(path, decoders);
  REQUIRE_MESSAGE(report, render(report.error()));
  CHECK(report->decoded == 3);
  decoder_registry without_legacy;
  without_legacy.add<cart_reordered>(); // reads item_added, but not item_added@2
  auto refused = verify_journal(path, without_legacy);
  REQUIRE(!refused);
  CHECK(render(refused.error())
            .find("position 3 (cart/alice seq 3) does not decode: "
                  "event_type_unknown: stored type \"item_added@2\"") != std::string::npos);
}
