// kill -9 at seeded moments: a child process runs the bank on a SQLite journal with a balances
// projection and reports each acknowledged command; the test kills it after a seeded number of
// acknowledgements, then checks that every acknowledged event is in the journal, the journal
// verifies, the read model equals the journal up to its checkpoint (no half-applied batch), and
// recovery brings entities and read model to the same balances.
// Seeds: DCA_SEED=N runs one seed; otherwise a fixed list.
#include "caf_doctest.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <sstream>

#include "dca/es/entity_host.hpp"
#include "dca/es/journal_check.hpp"
#include "dca/es/projection.hpp"
#include "dca/es/sqlite.hpp"
#include "dca/es/sqlite_journal.hpp"
#include "dca/examples/bank.hpp"
#include "es_test_support.hpp"

using namespace dca::es;
using namespace dca::examples::bank;
using dca::es::testing::ask;
using dca::es::testing::temp_dir;

namespace {

struct acked {
  std::string key;
  std::uint64_t seq;
  std::uint64_t position;
};

/// Runs the child until `acks_before_kill` acknowledgements, kills it, returns every ack it
/// printed (including those already in the pipe when it died).
std::vector<acked> run_and_kill(const std::string& journal, const std::string& read_model,
                                std::uint64_t seed, std::size_t acks_before_kill) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    auto seed_str = std::to_string(seed);
    ::execl(DCA_ES_CRASH_CHILD, DCA_ES_CRASH_CHILD, journal.c_str(), read_model.c_str(),
            seed_str.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(fds[1]);
  std::vector<acked> result;
  std::string pending;
  char buf[4096];
  bool killed = false;
  for (;;) {
    auto n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    pending.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = pending.find('\n')) != std::string::npos) {
      std::istringstream line{pending.substr(0, nl)};
      pending.erase(0, nl + 1);
      std::string word;
      acked a;
      line >> word >> a.key >> a.seq >> a.position;
      REQUIRE(word == "ack");
      result.push_back(a);
    }
    if (!killed && result.size() >= acks_before_kill) {
      ::kill(pid, SIGKILL);
      killed = true; // keep reading: acks already in the pipe count too
    }
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE_MESSAGE(killed, "the child exited before it was killed");
  CHECK(WIFSIGNALED(status));
  return result;
}

std::map<std::string, std::int64_t> balances_from_journal(journal& j, std::uint64_t upto) {
  std::map<std::string, std::int64_t> result;
  std::vector<event_record> batch;
  std::uint64_t after = 0;
  while (after < upto) {
    REQUIRE(!j.read_all(after, 1000, batch));
    if (batch.empty())
      break;
    for (auto& rec : batch) {
      if (rec.position > upto)
        break;
      account::event ev;
      REQUIRE(!decode(rec.payload, ev));
      if (caf::holds_alternative<account_opened>(ev))
        result[rec.entity.key] = 0;
      else if (auto d = caf::get_if<deposited>(&ev))
        result[rec.entity.key] += d->amount_cents;
      else
        result[rec.entity.key] -= caf::get<withdrawn>(ev).amount_cents;
      after = rec.position;
    }
  }
  return result;
}

std::map<std::string, std::int64_t> balances_from_read_model(const std::string& path,
                                                             std::uint64_t& checkpoint) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sql::db_ptr db{raw};
  std::map<std::string, std::int64_t> result;
  auto cp = read_checkpoint(raw, "balances");
  REQUIRE(cp);
  checkpoint = *cp;
  sql::statement st;
  if (sql::statement::prepare(raw, "SELECT account, balance_cents FROM balances", st, path))
    return result; // no table yet: the projection never committed
  while (st.step() == SQLITE_ROW)
    result[st.text(0)] = st.int64(1);
  return result;
}

void crash_and_recover(std::uint64_t seed) {
  MESSAGE("seed " << seed << " (rerun with DCA_SEED=" << seed << ")");
  std::mt19937_64 rng{seed};
  auto acks_before_kill = static_cast<std::size_t>(10 + rng() % 2000);
  temp_dir dir;
  auto journal_path = dir.file("journal.db");
  auto read_model = dir.file("read_model.db");
  auto acks = run_and_kill(journal_path, read_model, seed, acks_before_kill);
  MESSAGE("killed after " << acks.size() << " acknowledged commands");
  // The journal verifies.
  decoder_registry decoders;
  register_decoders(decoders);
  auto report = verify_journal(journal_path, decoders);
  REQUIRE_MESSAGE(report, render(report.error()));
  // No acknowledged event is lost.
  auto j = sqlite_journal::open(journal_path);
  REQUIRE_MESSAGE(j, render(j.error()));
  std::vector<event_record> one;
  for (auto& a : acks) {
    REQUIRE(!(*j)->read_stream(entity_id{"account", a.key}, a.seq, 1, one));
    REQUIRE_MESSAGE(one.size() == 1, "lost: " << a.key << " seq " << a.seq);
    CHECK(one[0].position == a.position);
  }
  // The read model is exactly the journal up to its checkpoint: no half-applied batch.
  std::uint64_t checkpoint = 0;
  auto projected = balances_from_read_model(read_model, checkpoint);
  CHECK(checkpoint <= (*j)->committed_position());
  CHECK(projected == balances_from_journal(**j, checkpoint));
  // Recovery: entities and the caught-up read model agree with the whole journal.
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto accounts = spawn_entity_host<account>(sys, *j);
  projection_options popts;
  popts.read_model_path = read_model;
  auto proj = spawn_projection(sys, *j, std::make_shared<balances_projection>(), popts);
  REQUIRE(proj);
  caf::scoped_actor self{sys};
  auto cp = ask<std::uint64_t>(self, *proj, wait_atom::value, (*j)->committed_position(),
                               std::uint32_t{10'000});
  REQUIRE(cp);
  auto expected = balances_from_journal(**j, (*j)->committed_position());
  auto caught_up = balances_from_read_model(read_model, checkpoint);
  CHECK(caught_up == expected);
  for (auto& [key, balance] : expected) {
    auto st = ask<account_state>(self, accounts, get_atom::value, key);
    REQUIRE(st);
    CHECK(st->balance_cents == balance);
  }
  self->send_exit(accounts, caf::exit_reason::user_shutdown);
  self->send_exit(*proj, caf::exit_reason::user_shutdown);
}

} // namespace

TEST_CASE("kill -9 at seeded moments loses no acknowledged event and no projection batch half") {
  std::vector<std::uint64_t> seeds{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  if (auto env = std::getenv("DCA_SEED"))
    seeds = {std::strtoull(env, nullptr, 10)};
  for (auto seed : seeds)
    crash_and_recover(seed);
}
