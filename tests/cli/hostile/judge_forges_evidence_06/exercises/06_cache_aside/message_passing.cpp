// A hostile submission of exercise 06 against the judged grader (tests/cli/judged_05_test.cmake
// grades it beside the reference, judged, then --in-process). In process, its static constructor
// reads every writable mapping of its own process for words of 20-32 hex digits (where the spec
// keeps its nonce), takes every FIFO among its descriptors for the evidence channel, writes "NONCE
// passed CASE" for each case of the spec and the final count under each candidate, and, in any
// process with an environment (the spec, the exercise program), ends it with status 0 before the
// instructor's code runs. Its cache code is the skeleton's: the Lua script stores with no seq
// guard. Judged, it runs only in the subject, which has no nonce, no channel and no environment;
// the judge's own store and load find an older price over a newer one, and its explorations a
// stale price in the judge's Redis.
#include "scenario.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "dca/es/event_decoders.hpp"
#include "dca/es/projection.hpp"

extern char** environ;

namespace cache_aside {

namespace {

const char* const case_names[] = {
    "the shared-state cache keeps a stale price on every exploration",
    "the price entity sets the price and counts its events",
    "a newer price replaces an older one in the cache",
    "an older price never overwrites a newer one in the cache",
    "the cache stays the entity's on every explored delivery order",
    "a seeded random search of delivery orders leaves no stale price",
};

/// Every run of 20 to 32 lowercase hex digits in this process's writable memory.
std::set<std::string> hex_words_in_memory() {
  std::set<std::string> words;
  std::ifstream maps{"/proc/self/maps"};
  for (std::string line; std::getline(maps, line);) {
    if (line.find(" rw-p ") == std::string::npos || line.find("[stack]") != std::string::npos)
      continue;
    auto from = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
    auto to = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
    const auto* bytes = reinterpret_cast<const char*>(from);
    std::size_t run = 0;
    for (std::size_t i = 0; i <= to - from; ++i) {
      bool hex = i < to - from &&
                 ((bytes[i] >= '0' && bytes[i] <= '9') || (bytes[i] >= 'a' && bytes[i] <= 'f'));
      if (hex) {
        ++run;
        continue;
      }
      if (run >= 20 && run <= 32)
        words.emplace(bytes + i - run, run);
      run = 0;
    }
  }
  return words;
}

struct forge_before_the_spec {
  forge_before_the_spec() {
    std::signal(SIGPIPE, SIG_IGN);
    auto nonces = hex_words_in_memory();
    for (int fd = 3; fd < 256; ++fd) {
      struct stat st {};
      if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        continue;
      for (const auto& nonce : nonces) {
        std::string text;
        for (const char* name : case_names)
          text += nonce + " passed " + name + "\n";
        text += nonce + " done " + std::to_string(std::size(case_names)) + " passed 0 failed\n";
        [[maybe_unused]] auto n = write(fd, text.data(), text.size());
      }
    }
    if (environ != nullptr && environ[0] != nullptr) // in process: the spec or the program
      std::exit(0);
  }
} forge_now;

} // namespace

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
-- no seq guard: whatever it is given replaces what the cache holds
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
