#!/usr/bin/env node
// Runs the dca::es benchmarks (bench/es) briefly at build time and saves the figures the deck shows,
// each next to the baseline the benchmark measured in the same run: the command round trip, durable
// appends per second with group commit, the projection's lag, and the replay rate. Short runs on a
// shared machine are noisy: the slide says what was run, where, and that the bench's own defaults
// run longer.
//
// usage: es-figures.mjs --roundtrip PATH --append PATH --replay PATH --out FILE [--dir TMP]
// Any benchmark that fails, or prints a line in a shape this does not know, is one line and exit 1.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['roundtrip', 'append', 'replay', 'out']) {
  if (!args[k]) { console.error(`es-figures: --${k} is required`); process.exit(2); }
}
const fail = (msg) => { console.error(`es-figures: ${msg}`); process.exit(1); };

function bench(program, flags) {
  const command = `${path.basename(program)} ${flags.join(' ')}`;
  const started = Date.now();
  const r = spawnSync(program, flags, { encoding: 'utf8', timeout: 300_000 });
  if (r.error || r.status !== 0) fail(`${command} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  console.log(`es-figures: ${command}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { command, lines: r.stdout.split('\n') };
}

// One `row()` line of bench_support.hpp: "label  value unit | baseline label  value unit | ratio x note".
const rowRe = /^(.*\S)\s+(\d+) (\S+)\s+\| (.*\S)\s+(\d+) \S+\s+\|\s+([\d.]+)x\s*(.*)$/;
function row(run, label, baseline, after = null) {
  const start = after ? run.lines.findIndex((l) => l.includes(after)) : 0;
  if (start < 0) fail(`${run.command}: no line '${after}'`);
  for (const line of run.lines.slice(start)) {
    const m = rowRe.exec(line);
    if (m && m[1] === label && m[4] === baseline) return { value: Number(m[2]), unit: m[3], baseline: Number(m[5]), baseline_label: m[4], ratio: Number(m[6]) };
  }
  fail(`${run.command}: no row '${label}' against '${baseline}'`);
}
function percentiles(run, prefix) {
  const line = run.lines.find((l) => l.startsWith(prefix));
  const m = line && /p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(line);
  if (!m) fail(`${run.command}: no line '${prefix}... p50 ... p99 ...'`);
  return { p50_ms: Number(m[1]), p99_ms: Number(m[2]) };
}

const dir = args.dir ?? os.tmpdir();
const roundtrip = bench(args.roundtrip, ['--n=20000', '--runs=3']);
const append = bench(args.append, ['--entities=100', '--seconds=1', `--dir=${dir}`]);
const replay = bench(args.replay, ['--events=200000', '--runs=2', `--dir=${dir}`]);
const figures = {
  machine: `${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)} when measured`,
  commands: [roundtrip.command, append.command, replay.command],
  round_trip: row(roundtrip, 'entity via resolved handle (ns/round trip)', 'raw actor, same work (hand-written ES)', 'policy=stealing'),
  appends: row(append, 'entities: acked durable events/s', 'raw SQLite batch loop, same schema (mean)'),
  appends_unbatched: row(append, 'entities: acked durable events/s', 'raw write+fdatasync, per event'),
  ack: percentiles(append, 'ack latency'),
  projection_lag: percentiles(append, 'projection lag'),
  replay: row(replay, 'entity recovery (events/s)', 'raw SQLite scan of the stream'),
};
fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(figures, null, 1) + '\n');
console.log(`es-figures: round trip ${(figures.round_trip.value / 1000).toFixed(1)} µs, ${figures.appends.value} acked events/s, replay ${figures.replay.value} events/s`);
