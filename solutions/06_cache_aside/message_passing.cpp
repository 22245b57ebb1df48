// Exercise 06, message-passing track (the reference): the price has one owner, the price entity,
// and the cache is a projection of its events. Every cached price carries the sequence number of
// the event it came from, and a store only ever moves the cache forward, so a reader that fills
// the cache late can no longer put an older price over a newer one.
#include "scenario.hpp"

#include <chrono>

#include "dca/es/event_decoders.hpp"
#include "dca/es/projection.hpp"

namespace cache_aside {

caf::expected<std::vector<price::event>> price::decide(const state&, const command& cmd) {
  return std::vector<event>{price_set{caf::get<set_price>(cmd).cents}};
}

price::state price::apply(state s, const event& ev) {
  s.cents = caf::get<price_set>(ev).cents;
  s.seq += 1; // the entity's sequence number: the version the cache stores beside the price
  return s;
}

namespace {

/// How long a reader waits for the entity's answer on a miss.
constexpr auto reply_timeout = std::chrono::seconds(10);

/// Runs atomically inside Redis: KEYS[1] the price's hash, ARGV cents, seq and the TTL in ms.
// [slide:store_if_newer]
constexpr const char* store_if_newer_script = R"lua(
local stored = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[2]) <= stored then return 0 end
redis.call('HSET', KEYS[1], 'cents', ARGV[1], 'seq', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";
// [/slide:store_if_newer]

} // namespace

bool store_if_newer(dca::services::redis_connection& cache, const run_space& space,
                    const std::string& sku, cached_price value) {
  auto reply = cache.command({"EVAL", store_if_newer_script, "1", space.key("price:" + sku),
                              std::to_string(value.cents), std::to_string(value.seq),
                              std::to_string(cache_ttl_ms)});
  return reply.integer == 1;
}

std::optional<cached_price> load_cached(dca::services::redis_connection& cache,
                                        const run_space& space, const std::string& sku) {
  auto reply = cache.command({"HMGET", space.key("price:" + sku), "cents", "seq"});
  if (reply.elements.size() != 2 || reply.elements[0].is_nil() || reply.elements[1].is_nil())
    return std::nullopt;
  return cached_price{std::stoll(reply.elements[0].text), std::stoull(reply.elements[1].text)};
}

namespace {

struct projection_state {
  dca::es::journal_ptr journal;
  run_space_ptr space;
  std::optional<dca::services::redis_connection> cache;
  std::uint64_t after = 0; // the last journal position stored in the cache
};

/// Stores every price_set after `st.after` in the cache, in journal order.
void catch_up(projection_state& st) {
  std::vector<dca::es::event_record> batch;
  do {
    if (auto err = st.journal->read_all(st.after, 1000, batch))
      throw std::runtime_error("the cache projection cannot read the journal: " +
                               dca::es::render(err));
    for (const auto& rec : batch) {
      price::event ev;
      if (rec.entity.type == price::type_name && !dca::es::decode_event<price>(rec, ev))
        store_if_newer(*st.cache, *st.space, rec.entity.key,
                       {caf::get<price_set>(ev).cents, rec.seq});
      st.after = rec.position;
    }
  } while (!batch.empty());
}

} // namespace

caf::actor spawn_cache_projection(caf::actor_system& system, dca::es::journal_ptr journal,
                                  run_space_ptr space) {
  // Taken now, not when the actor first runs: a commit in between must still reach the cache.
  auto cold_from = journal->committed_position(); // the cache starts cold
  return system.spawn([journal, space, cold_from](caf::stateful_actor<projection_state>* self) {
    self->state.journal = journal;
    self->state.space = space;
    self->state.cache.emplace(space->connect_redis("cache projection"));
    self->state.after = cold_from;
    return caf::behavior{
        [self](dca::es::committed_atom, std::uint64_t) { catch_up(self->state); },
        [self](dca::es::checkpoint_atom) { return self->state.after; },
    };
  });
}

namespace {

struct reader_state {
  std::optional<dca::services::redis_connection> cache;
};

} // namespace

// [slide:reader]
caf::actor spawn_reader(caf::actor_system& system, caf::actor prices, run_space_ptr space) {
  return system.spawn([prices, space](caf::stateful_actor<reader_state>* self) {
    self->state.cache.emplace(space->connect_redis("reader"));
    return caf::behavior{
        [=](read_atom, const std::string& sku) -> caf::result<std::int64_t> {
          if (auto hit = load_cached(*self->state.cache, *space, sku))
            return hit->cents;
          auto rp = self->make_response_promise<std::int64_t>();
          self->request(prices, reply_timeout, dca::es::get_atom::value, sku)
              .then(
                  [=](const price_state& owner) mutable {
                    store_if_newer(*self->state.cache, *space, sku,
                                   {owner.cents, owner.seq}); // refused when the cache is newer
                    rp.deliver(owner.cents);
                  },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        },
    };
  });
}
// [/slide:reader]

} // namespace cache_aside
