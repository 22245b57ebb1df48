#!/usr/bin/env node
// Runs `dca explore NN --format json` and saves its report for the deck's interleaving tables, after
// checking that it is one JSON object in the shape the deck renders. The figures on the slides are
// therefore always from a real run of the exercise as it is in the tree.
//
// usage: dca-json.mjs --dca PATH --exercise NN --out FILE [--optional | --fallback FIXTURE.json]
//        dca-json.mjs --program PATH --out FILE [--optional] -- ARG...
//   the second form runs an exercise program (e.g. solNN explore --variant actors --format json)
//   --runs N            run the program N times and save {"command", "runs": [report...]} (for
//                       `exNN run --format json`: what real threads did on the machine that built it)
//   --optional          if dca cannot explore NN yet, write {"unavailable": why} (the deck shows its
//                       hand-drawn fallback) instead of failing
//   --fallback FILE     if dca cannot explore NN yet, use FILE, marked as a fixture (shown on the slide)
// Without either, any failure prints one line and exits 1.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const args = { rest: [] };
for (let i = 2; i < process.argv.length; ++i) {
  const a = process.argv[i];
  if (a === '--') { args.rest = process.argv.slice(i + 1); break; }
  if (a === '--optional') args.optional = true;
  else if (['--dca', '--exercise', '--out', '--fallback', '--program', '--runs'].includes(a)) args[a.slice(2)] = process.argv[++i];
  else { console.error(`dca-json: unknown argument ${a}`); process.exit(2); }
}
if (!args.out || !(args.program ? args.rest.length : args.dca && args.exercise)) {
  console.error('usage: dca-json.mjs --dca PATH --exercise NN --out FILE [--optional | --fallback FIXTURE.json]\n' +
    '       dca-json.mjs --program PATH --out FILE [--optional] -- ARG...');
  process.exit(2);
}

/// One run of the program: its JSON object, or why there is none.
function runOnce() {
  const program = args.program ?? args.dca;
  const argv = args.program ? args.rest : ['explore', args.exercise, '--format', 'json'];
  const command = `${path.basename(program)} ${argv.join(' ')}`;
  const run = spawnSync(program, argv, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (run.error) return { error: `${command}: ${run.error.message}` };
  const out = run.stdout.trim();
  let report;
  try { report = JSON.parse(out); } catch {
    const why = (run.stderr.trim().split('\n').pop() || out.split('\n')[0] || 'no output').slice(0, 160);
    return { error: `${command} exited ${run.status} without a JSON report (${why})` };
  }
  if (typeof report !== 'object' || report === null || Array.isArray(report)) return { error: `${command}: not a JSON object` };
  // The program may exit non-zero because it found (or ran into) corruption: that is its job.
  return { report, command, status: run.status };
}

function explore() {
  const result = runOnce();
  if (!result.report) return result;
  for (const key of ['outcome', 'actors', 'trace']) if (!(key in result.report)) return { error: `${result.command}: no '${key}' in the report` };
  return result;
}

/// --runs N: the same command N times; every run must print a JSON object.
function runMany(n) {
  const runs = [];
  for (let i = 0; i < n; ++i) {
    const result = runOnce();
    if (!result.report) return result;
    runs.push(result.report);
    if (i === n - 1) return { many: { command: result.command, runs }, command: result.command };
  }
  return { error: '--runs wants a whole number >= 1' };
}

fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
const runs = Number(args.runs ?? 0);
if (!Number.isInteger(runs) || runs < 0) { console.error(`dca-json: --runs wants a whole number >= 1, got '${args.runs}'`); process.exit(2); }
const result = runs ? runMany(runs) : explore();
if (result.many) {
  fs.writeFileSync(args.out, JSON.stringify(result.many, null, 1) + '\n');
  console.log(`dca-json: ${result.command}: ${runs} runs: ${result.many.runs.map((r) => r.summary ?? r.corrupted).join('; ')}`);
} else if (result.report) {
  fs.writeFileSync(args.out, JSON.stringify(result.report, null, 1) + '\n');
  const r = result.report;
  console.log(`dca-json: ${result.command}: ${r.outcome}, ${r.trace.length} steps, ${r.schedules_explored ?? '?'} schedules (exit ${result.status})`);
} else if (args.fallback) {
  const report = JSON.parse(fs.readFileSync(args.fallback, 'utf8'));
  report.fixture = true;
  report.fixture_reason = `${path.basename(args.program ?? args.dca)} did not run`;
  fs.writeFileSync(args.out, JSON.stringify(report, null, 1) + '\n');
  console.log(`dca-json: WARNING: ${result.error}; the slide shows FIXTURE data from ${args.fallback}`);
} else if (args.optional) {
  fs.writeFileSync(args.out, JSON.stringify({ unavailable: result.error }) + '\n');
  console.log(`dca-json: note: ${result.error}; the deck shows the hand-drawn fallback`);
} else {
  console.error(`dca-json: ${result.error}`);
  process.exit(1);
}
