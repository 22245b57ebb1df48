// `dca journal`: inspect (counts, heads, last position) and verify (continuity, gaps,
// decodability) an entity journal, read-only, so it is safe while a runtime has it open.
#include "journal_command.hpp"

#include <boost/program_options.hpp>

#include "dca/es/errors.hpp"
#include "dca/es/journal_check.hpp"
#include "dca/examples/bank.hpp"
#include "dca/examples/cart.hpp"
#ifdef DCA_HAS_POSTGRES_JOURNAL
#include "dca/es/postgres_journal_check.hpp"
#endif

namespace dca::cli {

namespace po = boost::program_options;

namespace {

constexpr const char* usage =
    "usage: dca journal inspect PATH [--heads N]\n"
    "       dca journal verify PATH\n"
    "\n"
    "  PATH     a journal file (SQLite), or a PostgreSQL journal's\n"
    "           database: postgresql:///db?host=/socket/dir or\n"
    "           'host=/socket/dir dbname=db' (libpq's forms)\n"
    "  inspect  counts, the last global position, and the heads of the\n"
    "           most recently written entities (--heads N, default 20),\n"
    "           with the shard owner that wrote each (PostgreSQL)\n"
    "  verify   checks page integrity, gap-free global positions and\n"
    "           per-entity sequences, that every event of a known type\n"
    "           decodes to its stored text, and snapshots, and on\n"
    "           PostgreSQL the owners: one shard per stream, epochs never\n"
    "           going back or beyond their lease, one node per (shard,\n"
    "           epoch); exits 1 with the first problem\n";

#ifndef DCA_HAS_POSTGRES_JOURNAL
/// Refuses a PostgreSQL PATH in a dca built without libpq, in one line.
caf::error postgres_unavailable(const std::string& path) {
  return dca::es::make_error(dca::es::errc::journal_io,
                             path + ": a PostgreSQL journal, but this dca was built without "
                                    "PostgreSQL: configure with -DDCA_WITH_SERVICES=ON");
}
#endif

caf::expected<dca::es::journal_summary> summarize(const std::string& path, std::size_t heads) {
  if (!dca::es::is_postgres_conninfo(path))
    return dca::es::inspect_journal(path, heads);
#ifdef DCA_HAS_POSTGRES_JOURNAL
  return dca::es::inspect_postgres_journal(path, heads);
#else
  return postgres_unavailable(path);
#endif
}

caf::expected<dca::es::verify_report> check(const std::string& path,
                                            const dca::es::decoder_registry& decoders) {
  if (!dca::es::is_postgres_conninfo(path))
    return dca::es::verify_journal(path, decoders);
#ifdef DCA_HAS_POSTGRES_JOURNAL
  return dca::es::verify_postgres_journal(path, decoders);
#else
  return postgres_unavailable(path);
#endif
}

int inspect(const std::string& path, std::size_t heads, std::ostream& out, std::ostream& err) {
  auto summary = summarize(path, heads);
  if (!summary) {
    err << "dca journal inspect: " << dca::es::render(summary.error()) << '\n';
    return 1;
  }
  out << "journal        " << path << '\n'
      << "schema         " << summary->schema_version << '\n'
      << "events         " << summary->events << '\n'
      << "entities       " << summary->streams << '\n'
      << "snapshots      " << summary->snapshots << '\n'
      << "last position  " << summary->last_position << '\n';
  if (!summary->heads.empty()) {
    out << "heads (most recently written first):\n";
    for (auto& h : summary->heads) {
      out << "  " << h.entity.to_string() << "  seq " << h.seq << "  position " << h.last_position;
      if (h.fence) // who wrote the head: the shard owner's node id (if recorded), shard, epoch
        out << "  owner " << (h.fence->owner.empty() ? "(not recorded)" : h.fence->owner)
            << " (shard " << h.fence->shard << " epoch " << h.fence->epoch << ")";
      out << '\n';
    }
  }
  return 0;
}

int verify(const std::string& path, std::ostream& out, std::ostream& err) {
  dca::es::decoder_registry decoders;
  // The domains this dca decodes: the bank the exercises use, and the cart a learner starts from.
  dca::examples::bank::register_decoders(decoders);
  dca::examples::cart::register_decoders(decoders);
  auto report = check(path, decoders);
  if (!report) {
    err << "dca journal verify: " << dca::es::render(report.error()) << '\n';
    return 1;
  }
  out << path << ": ok: " << report->events << " events (" << report->decoded << " decoded, "
      << report->undecoded << " of types without a decoder), " << report->snapshots
      << " snapshots\n";
  return 0;
}

} // namespace

int journal_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string subcommand;
  std::string path;
  std::size_t heads = 20;
  bool help = false;
  po::options_description named{"options"};
  named.add_options()("help,h", po::bool_switch(&help), "print usage")(
      "heads", po::value<std::size_t>(&heads), "inspect: how many entity heads to list");
  po::options_description hidden;
  hidden.add_options()("subcommand",
                       po::value<std::string>(&subcommand))("path", po::value<std::string>(&path));
  po::options_description all;
  all.add(named).add(hidden);
  po::positional_options_description positional;
  positional.add("subcommand", 1).add("path", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& ex) {
    err << "dca journal: " << ex.what() << " (see dca journal --help)\n";
    return 2;
  }
  if (help) {
    out << usage;
    return 0;
  }
  if (subcommand != "inspect" && subcommand != "verify") {
    if (subcommand.empty())
      err << "dca journal: missing subcommand (inspect or verify; see dca journal --help)\n";
    else
      err << "dca journal: unknown subcommand '" << subcommand
          << "' (expected inspect or verify)\n";
    return 2;
  }
  if (path.empty()) {
    err << "dca journal " << subcommand << ": missing PATH (see dca journal --help)\n";
    return 2;
  }
  if (subcommand == "verify" && heads != 20) {
    err << "dca journal verify: --heads applies to inspect only\n";
    return 2;
  }
  if (heads == 0 || heads > 1'000'000) {
    err << "dca journal inspect: --heads must be between 1 and 1,000,000\n";
    return 2;
  }
  return subcommand == "inspect" ? inspect(path, heads, out, err) : verify(path, out, err);
}

} // namespace dca::cli
