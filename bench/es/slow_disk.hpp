// A slower disk for bench_es_append --sync-floor-ms=N: every sync then takes at least N ms,
// SQLite's own (through a VFS wrapping "unix", made the default), the journal's WAL fdatasync
// (through its sync_wal hook) and the raw loops' alike. So the journal and its baselines can be
// compared on the disk a laptop or a network volume has (5-20 ms per sync), whatever this machine's
// disk does.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace dca::es::bench::slow_disk {

namespace detail {

/// A copy of one of the unix VFS's method tables with xSync slowed, and the original.
struct slowed_methods {
  sqlite3_io_methods methods;
  const sqlite3_io_methods* original;
};

inline std::chrono::milliseconds floor_ms{0};
inline sqlite3_vfs* unix_vfs = nullptr;
inline sqlite3_vfs vfs;
inline std::mutex tables_mtx;
inline std::vector<std::unique_ptr<slowed_methods>> tables;

template <class Sync>
int at_least_floor(Sync sync) {
  auto until = std::chrono::steady_clock::now() + floor_ms;
  int rc = sync();
  std::this_thread::sleep_until(until);
  return rc;
}

inline int slowed_sync(sqlite3_file* file, int flags) {
  // The table is the first member of slowed_methods: the file's methods say where it came from.
  auto* table = reinterpret_cast<const slowed_methods*>(file->pMethods);
  return at_least_floor([&] { return table->original->xSync(file, flags); });
}

inline const sqlite3_io_methods* slowed(const sqlite3_io_methods* original) {
  std::lock_guard<std::mutex> guard{tables_mtx};
  for (auto& t : tables)
    if (t->original == original)
      return &t->methods;
  auto t = std::make_unique<slowed_methods>();
  t->methods = *original;
  t->methods.xSync = &slowed_sync;
  t->original = original;
  tables.push_back(std::move(t));
  return &tables.back()->methods;
}

inline int open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  int rc = unix_vfs->xOpen(unix_vfs, name, file, flags, out_flags);
  if (file->pMethods != nullptr)
    file->pMethods = slowed(file->pMethods);
  return rc;
}

} // namespace detail

/// Makes every sync take at least `floor` from now on; call before opening any database. 0: does
/// nothing.
inline void install(std::chrono::milliseconds floor) {
  if (floor.count() <= 0)
    return;
  detail::floor_ms = floor;
  detail::unix_vfs = sqlite3_vfs_find(nullptr);
  detail::vfs = *detail::unix_vfs;
  detail::vfs.zName = "dca-slow-disk";
  detail::vfs.xOpen = &detail::open;
  if (sqlite3_vfs_register(&detail::vfs, 1) != SQLITE_OK) {
    std::fprintf(stderr, "could not register the slow-disk VFS\n");
    std::exit(1);
  }
}

inline std::chrono::milliseconds floor() {
  return detail::floor_ms;
}

/// fdatasync(fd), taking at least the floor; 0 or an errno value.
inline int fdatasync(int fd) {
  return detail::at_least_floor([fd] { return ::fdatasync(fd) == 0 ? 0 : errno; });
}

} // namespace dca::es::bench::slow_disk
