#!/usr/bin/env node
// Turns slides/deck.md into the Markdown that marp builds: fills code fences from marked regions of
// the real exercise files, renders `dca explore --format json` output as interleaving tables, inlines
// SVG figures, keeps or drops blocks whose files do not exist yet, and writes a manifest (slides,
// sections, code blocks per slide) that the browser test checks the rendered deck against.
//
// usage: preprocess.mjs IN.md OUT.md [--data DIR] [--remap FROM=TO]... [--flag NAME]... [--manifest FILE]
//                       [--depfile FILE] [--input FILE]...
// The manifest records the SHA-256 of every input (IN.md, what it includes, and each --input, e.g.
// the theme) and a build id that OUT.md carries into the HTML: the browser test refuses a deck that
// was not rebuilt after an input changed, or whose HTML step failed.
//
// Directives in IN.md (paths are relative to IN.md's folder):
//   ```cpp include=PATH#REGION      the dedented lines between `// [slide:REGION]` and
//   ```                             `// [/slide:REGION]` in PATH (the whole file without #REGION)
//   ```dca-trace json=NAME.json     an interleaving table from a `dca explore NN --format json` file
//   ```                             in --data DIR (options: max-rows=N, exercise=NN for the replay line,
//                                   hide=OP,OP to leave out steps such as lock,unlock, hide-text=W,W
//                                   to leave out steps whose words hold W, hide-actors=NAME,NAME to
//                                   leave out those actors' steps, bytes to show a long list of
//                                   numbers in a message as its length, layout=list for one "actor"
//                                   column instead of one column per actor)
//   ```dca-verdict json=NAME.json   one line: what exploring the fixed code found (option:
//   ```                             label="words before the verdict")
//   <!-- @figure PATH.svg -->       the SVG, inline
//   <!-- @if-exists PATH -->        keep what follows only if PATH exists (after --remap) ...
//   <!-- @if-region PATH#REGION --> asserts that PATH has that region: a missing region (a renamed
//                                   marker) stops the build, always; it takes no @else fallback
//   <!-- @if-data NAME.json -->     ... or only if --data DIR has that file ...
//   <!-- @if FLAG --> / @if-not     ... or only if --flag FLAG was given (or was not) ...
//   <!-- @else -->                  ... or else this ...
//   <!-- @end -->
//   <!-- @section NAME -->          the slides from here on belong to section NAME (for screenshots)
// Any problem (missing file or region, duplicated region, bad JSON) prints one line and exits 1.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

class DeckError extends Error {}
const fail = (msg) => { throw new DeckError(msg); };

function parseArgs(argv) {
  const args = { remap: [], flags: [], inputs: [], data: null, manifest: null, depfile: null, positional: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) fail(`${a} needs a value`); return argv[++i]; };
    if (a === '--data') args.data = value();
    else if (a === '--manifest') args.manifest = value();
    else if (a === '--depfile') args.depfile = value();
    else if (a === '--flag') args.flags.push(value());
    else if (a === '--input') args.inputs.push(value());
    else if (a === '--remap') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0) fail(`--remap wants FROM=TO, got '${v}'`);
      args.remap.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else args.positional.push(a);
  }
  if (args.positional.length !== 2) fail('usage: preprocess.mjs IN.md OUT.md [--data DIR] [--remap FROM=TO]... [--manifest FILE] [--depfile FILE]');
  return args;
}

// -- regions -------------------------------------------------------------------------------------

const markerRe = /^\s*\/\/\s*\[(\/?)slide:([A-Za-z0-9_.-]+)\]\s*$/;

/// The dedented lines between `// [slide:name]` and `// [/slide:name]`; other markers are dropped.
/// The result's `span` is the region's first and last line in the file; `numbered` puts each line's
/// number in the file before it, so a table's "where" can be found on the slide.
export function extractRegion(text, name, where, { numbered = false } = {}) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const opens = [], closes = [];
  lines.forEach((line, i) => {
    const m = markerRe.exec(line);
    if (m && m[2] === name) (m[1] ? closes : opens).push(i);
  });
  if (opens.length === 0) fail(`${where}: region '${name}' not found (no '// [slide:${name}]' line)`);
  if (opens.length > 1) fail(`${where}: region '${name}' opens ${opens.length} times (lines ${opens.map((i) => i + 1).join(', ')})`);
  if (closes.length === 0) fail(`${where}: region '${name}' is never closed (no '// [/slide:${name}]' line)`);
  if (closes.length > 1) fail(`${where}: region '${name}' closes ${closes.length} times (lines ${closes.map((i) => i + 1).join(', ')})`);
  if (closes[0] < opens[0]) fail(`${where}: region '${name}' closes (line ${closes[0] + 1}) before it opens (line ${opens[0] + 1})`);
  const kept = [];
  for (let k = opens[0] + 1; k < closes[0]; ++k) if (!markerRe.test(lines[k])) kept.push(k + 1);
  const body = kept.map((n) => lines[n - 1]);
  if (body.every((l) => l.trim() === '')) fail(`${where}: region '${name}' is empty`);
  let result = dedent(body);
  if (numbered) {
    const numbers = kept.slice(body.findIndex((l) => l.trim() !== ''));
    const width = String(numbers[result.length - 1]).length;
    result = result.map((l, k) => `${String(numbers[k]).padStart(width)}  ${l}`.trimEnd());
  }
  result.span = { first: opens[0] + 2, last: closes[0] };
  return result;
}

export function dedent(lines) {
  while (lines.length && lines[0].trim() === '') lines = lines.slice(1);
  while (lines.length && lines[lines.length - 1].trim() === '') lines = lines.slice(0, -1);
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(cut).replace(/\s+$/, ''));
}

// -- interleaving tables -------------------------------------------------------------------------

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/// A message's encoded bytes ("[1, 0, 0, 54, -18, ...]", a CRDT delta) as "[15 bytes]": what they
/// are, not a line of numbers no one reads and no slide fits.
const shortenBytes = (text) => text.replace(/\[-?\d+(?:, -?\d+){7,}\]/g, (list) => `[${list.split(',').length} bytes]`);

function describeStep(s, options = {}) {
  // Newer reports carry the explorer's own words for the step ("load counter = 0"): use them, so the
  // slide says what attendees see in their terminal.
  if (typeof s.text === 'string' && s.text) {
    const shorten = options.bytes ? shortenBytes : (t) => t;
    const [words, object] = [esc(shorten(s.text)), esc(shorten(String(s.object ?? '')))];
    return object ? words.replace(object, `<b>${object}</b>`) : words;
  }
  const op = String(s.operation ?? '');
  const obj = s.object ? ` <b>${esc(s.object)}</b>` : '';
  const hasValue = s.value !== undefined && s.value !== null && String(s.value) !== '';
  if (/^(load|read|get)$/.test(op)) return `${esc(op)}${obj}${hasValue ? ` → ${esc(s.value)}` : ''}`;
  if (/^(store|write|set)$/.test(op)) return `${esc(op)}${obj}${hasValue ? ` ← ${esc(s.value)}` : ''}`;
  return `${esc(op)}${obj}${hasValue ? ` ${esc(s.value)}` : ''}`;
}

/// The report's verdict without a leading repeat of its outcome ("deadlock: deadlock: ...").
function verdictText(report) {
  const verdict = String(report.verdict ?? '');
  const prefix = `${report.outcome}:`;
  return verdict.toLowerCase().startsWith(prefix) ? verdict.slice(prefix.length).trim() : verdict;
}

/// The explorer's fault choices on a lossy link (actor_world::lossy): a lost or repeated message.
const faultSteps = new Set(['lose', 'duplicate']);

/// The rows of a trace table: the steps not hidden, numbered 1, 2, 3... as shown; a decision row
/// after each check (decide=LINE:CODELINE:AMOUNT: a value loaded at LINE is compared with AMOUNT at
/// CODELINE); steps inside a library header moved to the learner's line that called it
/// (caller=HEADER>FILE:L1,L2: a thread's first step in HEADER is at FILE:L1, its second at L2...).
function traceRows(report, where, options) {
  const hide = new Set(String(options.hide ?? '').split(',').filter(Boolean));
  const hideText = String(options['hide-text'] ?? '').split(',').filter(Boolean);
  const hideActors = String(options['hide-actors'] ?? '').split(',').filter(Boolean);
  const hidden = (s) => hide.has(s.operation) || hideText.some((w) => String(s.text ?? '').includes(w)) ||
    hideActors.includes(report.actors[s.actor]);
  const [decideAt, decideCode, decideAmount] = String(options.decide ?? '').split(':');
  const caller = /^(.+)>(.+):([\d,]+)$/.exec(String(options.caller ?? ''));
  const calls = report.actors.map(() => 0);
  const rows = [];
  for (const s of report.trace) {
    if (hidden(s)) continue;
    let file = s.file ? path.basename(String(s.file)) : '';
    let line = s.line;
    if (caller && file === caller[1]) {
      const lines = caller[3].split(',');
      const k = calls[s.actor]++;
      if (k >= lines.length) fail(`${where}: caller= names ${lines.length} lines for ${caller[1]}, but ${report.actors[s.actor]} has more steps there`);
      [file, line] = [caller[2], Number(lines[k])];
    }
    rows.push({ actor: s.actor, html: describeStep(s, options), file, line, fault: faultSteps.has(s.operation) });
    if (decideAmount && String(s.line) === decideAt && s.value !== undefined && s.value !== '') {
      const [seen, amount] = [Number(s.value), Number(decideAmount)];
      const verdict = seen >= amount ? `saw ${esc(seen)} ≥ ${esc(amount)}: <b>pays</b>` : `saw ${esc(seen)} &lt; ${esc(amount)}: <b>refuses</b>`;
      rows.push({ actor: s.actor, html: verdict, file, line: Number(decideCode), decision: true });
    }
  }
  return { rows, hidden: report.trace.filter(hidden).length, hide: [...hide, ...hideText, ...hideActors] };
}

/// An HTML table with one column per thread (or actor), one row per step, from `dca explore --format json`.
/// Every row's "where" is pushed to `refs` ({file, line, step}), for the check that it is on a slide.
export function renderTrace(report, where, options = {}, refs = []) {
  if (typeof report !== 'object' || report === null) fail(`${where}: not a JSON object`);
  for (const key of ['outcome', 'actors', 'trace']) if (!(key in report)) fail(`${where}: no '${key}' field`);
  if (!Array.isArray(report.actors) || report.actors.length === 0) fail(`${where}: 'actors' is empty`);
  if (!Array.isArray(report.trace)) fail(`${where}: 'trace' is not a list`);
  if (report.outcome !== 'clean' && report.trace.length === 0 && !(report.cycle?.length)) fail(`${where}: outcome '${report.outcome}' but the trace is empty`);
  const actors = report.actors;
  const maxRows = Number(options['max-rows'] ?? 14);
  report.trace.forEach((s, i) => {
    if (!Number.isInteger(s.actor) || s.actor < 0 || s.actor >= actors.length) fail(`${where}: step ${i + 1} names actor ${s.actor}, but there are ${actors.length}`);
  });
  const { rows: all, hidden, hide } = traceRows(report, where, options);
  const steps = all.slice(0, maxRows);
  // layout=list: one column naming the actor instead of one column per actor, for traces of more
  // actors than a slide has room for side by side.
  const list = options.layout === 'list';
  const srcColumn = !list || steps.some((r) => r.file); // a list of message steps has no source lines
  const rows = steps.map((r, i) => {
    const cells = list ? `<td class="who">${esc(actors[r.actor])}</td><td>${r.html}</td>`
      : actors.map((_, a) => `<td${r.decision && a === r.actor ? ' class="decision"' : ''}>${a === r.actor ? r.html : ''}</td>`).join('');
    if (r.file) refs.push({ file: r.file, line: Number(r.line), step: i + 1 });
    const src = srcColumn ? `<td class="src">${r.file ? `${esc(r.file)}:${esc(r.line ?? '?')}` : ''}</td>` : '';
    return `<tr${r.fault ? ' class="fault"' : ''}><td class="step">${i + 1}</td>${cells}${src}</tr>`;
  });
  if (all.length > steps.length) {
    rows.push(`<tr><td class="step">…</td><td colspan="${(list ? 2 : actors.length) + (srcColumn ? 1 : 0)}">${all.length - steps.length} more steps</td></tr>`);
  }
  const columns = list ? '<th>actor</th><th>step</th>' : actors.map((a) => `<th>${esc(a)}</th>`).join('');
  const head = `<tr><th>#</th>${columns}${srcColumn ? '<th>where</th>' : ''}</tr>`;
  const facts = [];
  if (report.schedule && options.exercise) facts.push(`replay: <code>dca explore ${esc(options.exercise)} --replay ${esc(report.schedule)}</code>`);
  else if (report.schedule) facts.push(`schedule <code>${esc(report.schedule)}</code>`);
  if (report.schedules_explored !== undefined) facts.push(`${esc(report.schedules_explored)} schedules explored`);
  if (hidden) facts.push(`${hidden} ${hide.map(esc).join('/')} steps not shown`);
  const cycle = Array.isArray(report.cycle) && report.cycle.length ? `<p class="cycle">${report.cycle.map(esc).join('<br>')}</p>` : '';
  return [
    `<div class="dca-trace" data-outcome="${esc(report.outcome)}">`,
    list ? `<table class="list">` : `<table>`, `<thead>${head}</thead>`, `<tbody>${rows.join('')}</tbody>`, `</table>`,
    cycle,
    report.fixture ? `<p class="fixture-banner">FIXTURE data, not a real run${report.fixture_reason ? `: ${esc(report.fixture_reason)}` : ''}</p>` : '',
    `<p class="verdict"><b>${esc(report.outcome)}</b>${verdictText(report) ? `: ${esc(verdictText(report))}` : ''}</p>`,
    facts.length ? `<p class="facts">${facts.join(' · ')}</p>` : '',
    `</div>`,
  ].filter(Boolean).join('\n');
}

/// One line: what exploring the fixed code found (normally: no schedule broke the invariant).
export function renderVerdict(report, where, options = {}) {
  if (typeof report !== 'object' || report === null || !('outcome' in report)) fail(`${where}: no 'outcome' field`);
  const clean = report.outcome === 'clean';
  const how = [];
  if (report.schedules_explored !== undefined) how.push(`${esc(report.schedules_explored)} schedule${report.schedules_explored === 1 ? '' : 's'}${report.search_exhausted ? ', all within the bound' : ''}`);
  const cycle = Array.isArray(report.cycle) && report.cycle.length ? ` (${report.cycle.map(esc).join('; ')})` : '';
  const what = clean ? 'no schedule broke the invariant' : `${esc(report.outcome)}${verdictText(report) ? `: ${esc(verdictText(report))}` : ''}${cycle}`;
  const label = options.label ? `${esc(options.label)}: ` : '';
  return `<p class="dca-verdict ${clean ? 'clean' : 'broken'}">${clean ? '✓' : '✗'} ${label}${what}${how.length ? ` (${how.join(', ')})` : ''}</p>`;
}

/// Every "where" of a trace table must be a line of code that some slide shows (an included region
/// of a file with that name, in that exercise's folder when the table names its exercise).
function checkWheres(wheres, shownCode) {
  for (const { where, exercise, refs } of wheres) {
    for (const ref of refs) {
      const onSlide = shownCode.some((c) => path.basename(c.file) === ref.file && ref.line >= c.first && ref.line <= c.last &&
        (!exercise || c.file.includes(`/${exercise}_`)));
      if (!onSlide) fail(`${where}: step ${ref.step} of the table points at ${ref.file}:${ref.line}, which no slide shows: include the region that holds it (numbered), or leave the step out`);
    }
  }
}

const count = (n) => Number(n).toLocaleString('en-US');
/// The red mark on runs that came from a fixture, not from a run on this machine.
const runsBanner = (data) => (data.fixture ? '<span class="fixture-banner">FIXTURE runs, not a real run</span> · ' : '');

/// What `exNN run` measured on real threads, on the machine that built the deck. With
/// `fields="KEY:label,..."`: a table, one row per field of the run's report, one column per run (for
/// reports that count more than one kind of corruption); with `summary`: each run's own summary.
/// Otherwise: one paragraph of lost updates (exercise 01), and what a loss of 0 means.
export function renderRuns(data, where, options = {}) {
  if (!Array.isArray(data.runs) || !data.runs.length) fail(`${where}: no 'runs' list`);
  if (options.fields) return renderRunFields(data, where, options);
  if (options.summary) return renderRunSummaries(data, where, options);
  const lost = data.runs.map((r, k) => {
    const n = Number(r.lost_updates);
    if (!Number.isFinite(n)) fail(`${where}: run ${k + 1} has no lost_updates`);
    return n;
  });
  const of = count(data.runs[0].expected ?? 0);
  const what = `<code>${esc(options.command ?? data.command)}</code>, ${lost.length} runs on the machine that built this deck`;
  const zero = lost.filter((n) => n === 0).length;
  const meaning = zero === lost.length
    ? ' Not one update was lost: the two workers did not overlap there (a busy or single core lets one finish before the other starts). No loss in a run is not a correct program: the explorer\'s schedule above loses one every time.'
    : zero ? ` ${zero} of the runs lost nothing: the workers did not overlap in those, and the bug was there all the same.` : '';
  const banner = runsBanner(data);
  return `<p class="dca-runs">${banner}${what}: lost <b>${lost.map(count).join(' · ')}</b> of ${of} increments.${meaning}</p>`;
}

/// The `summary` form of renderRuns: each run in the program's own words (its report's summary).
function renderRunSummaries(data, where, options) {
  const said = data.runs.map((r, k) => {
    if (typeof r.summary !== 'string' || !r.summary) fail(`${where}: run ${k + 1} has no summary`);
    return esc(r.summary);
  });
  const banner = runsBanner(data);
  return `<p class="dca-runs">${banner}<code>${esc(options.command ?? data.command)}</code> on the machine that built this deck: ${said.join('; ')}</p>`;
}

/// "KEY:label,KEY" as [{key, label}]; a key without a label is its own words.
const keyLabels = (list) => String(list).split(',').map((f) => {
  const colon = f.indexOf(':');
  return colon > 0 ? { key: f.slice(0, colon), label: f.slice(colon + 1) } : { key: f, label: f.replace(/_/g, ' ') };
});

/// Field `key` of run `k` as a whole number, or the build stops naming it.
function runField(data, k, key, where) {
  const r = data.runs[k];
  const n = Number(r[key]);
  if (r[key] === undefined || !Number.isFinite(n)) fail(`${where}: run ${k + 1} has no ${key}`);
  return n;
}

/// The `fields=` form of renderRuns: every named field must be in every run, as a whole number.
/// With `rows="R:label,..."` (one run only): one row per R, one column per field, `{row}` in a
/// field's key standing for R (a report that measured one thing at several settings).
function renderRunFields(data, where, options) {
  const fields = keyLabels(options.fields);
  let head;
  let rows;
  if (options.rows) {
    if (data.runs.length !== 1) fail(`${where}: rows= wants one run, the file has ${data.runs.length}`);
    head = `<tr><th>${esc(options['row-label'] ?? '')}</th>${fields.map((f) => `<th>${esc(f.label)}</th>`).join('')}</tr>`;
    rows = keyLabels(options.rows).map(({ key: row, label }) => {
      const cells = fields.map((f) => `<td>${count(runField(data, 0, f.key.replaceAll('{row}', row), where))}</td>`);
      return `<tr><td>${esc(label)}</td>${cells.join('')}</tr>`;
    });
  } else {
    head = `<tr><th></th>${data.runs.map((_, k) => `<th>run ${k + 1}</th>`).join('')}</tr>`;
    rows = fields.map(({ key, label }) => {
      const cells = data.runs.map((_, k) => `<td>${count(runField(data, k, key, where))}</td>`);
      return `<tr><td>${esc(label)}</td>${cells.join('')}</tr>`;
    });
  }
  const banner = runsBanner(data);
  return [
    `<table class="dca-runs"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`,
    `<p class="dca-runs">${banner}<code>${esc(options.command ?? data.command)}</code>, ${data.runs.length} run${data.runs.length === 1 ? '' : 's'} on the machine that built this deck</p>`,
  ].join('\n');
}

/// The dca::es figures measured at build time (tools/es-figures.mjs), each next to its baseline.
export function renderFigures(f, where) {
  for (const key of ['round_trip', 'appends', 'appends_unbatched', 'projection_lag', 'replay', 'commands']) if (f[key] == null) fail(`${where}: no '${key}'`);
  const micro = (ns) => `${(ns / 1000).toFixed(1)} µs`;
  const rows = [
    ['command round trip, one entity (decide, append, apply, reply)', micro(f.round_trip.value), `${micro(f.round_trip.baseline)}: the same work by hand in a raw actor`],
    ['durable appends, 100 entities, group commit', `${count(f.appends.value)} events/s`, `${count(f.appends.baseline)}/s raw SQLite batch loop; ${count(f.appends_unbatched.baseline)}/s one fdatasync per event`],
    ['read model caught up after the ack (projection lag)', `p50 ${f.projection_lag.p50_ms} ms`, `p99 ${f.projection_lag.p99_ms} ms`],
    ['replay of one entity (recovery)', `${count(f.replay.value)} events/s`, `${count(f.replay.baseline)}/s raw SQLite scan of the stream`],
  ];
  return [
    `<table class="es-figures"><thead><tr><th>measured while building this deck</th><th>dca::es</th><th>baseline, same run</th></tr></thead><tbody>`,
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`),
    `</tbody></table>`,
    `<p class="es-facts">${f.fixture ? '<span class="fixture-banner">FIXTURE figures, not a run</span> · ' : ''}short runs of ${f.commands.map((c) => `<code>${esc(c.replace(/ --dir=\S+/, ''))}</code>`).join(', ')} (bench/es) on ${esc(f.machine)}</p>`,
  ].join('\n');
}

// -- the deck ------------------------------------------------------------------------------------

const fenceOpenRe = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;
const directiveRe = /^\s*<!--\s*@([a-z-]+)\s*(.*?)\s*-->\s*$/;

function parseFenceOptions(rest) {
  const opts = {};
  for (const m of rest.matchAll(/([\w-]+)=(?:"([^"]*)"|(\S+))|(\S+)/g)) {
    if (m[4] !== undefined) opts[m[4]] = true;
    else opts[m[1]] = m[2] ?? m[3];
  }
  return opts;
}

/// The conditional directives (@if-exists, @if-region, @if-data, @if, @if-not, @else, @end) on the
/// stack ctx.conds; false for any other directive.
function conditionDirective(ctx, name, arg, where, lineNo) {
  if (name === 'if-exists') {
    if (!arg) fail(`${where}: @if-exists needs a path`);
    ctx.conds.push({ keep: fs.existsSync(ctx.resolve(arg)), line: lineNo });
    return true;
  }
  if (name === 'if-region') {
    // A guard that fell back silently let a renamed marker ship a hand-written sketch: now a
    // missing file or region is an error, always, and the block has no fallback.
    const hash = arg.indexOf('#');
    if (hash <= 0) fail(`${where}: @if-region needs PATH#REGION`);
    const [rel, region] = [arg.slice(0, hash), arg.slice(hash + 1)];
    const file = ctx.resolve(rel);
    if (!fs.existsSync(file)) fail(`${where}: @if-region ${arg}: ${file} does not exist (a guarded region must exist: no fallback)`);
    extractRegion(ctx.readDep(file, where), region, `${where}: @if-region ${rel}`);
    ctx.conds.push({ keep: true, line: lineNo, region: true });
    return true;
  }
  if (name === 'if-data') {
    if (!arg) fail(`${where}: @if-data needs a file name`);
    // dca-json.mjs --optional leaves {"unavailable": why} when `dca explore` cannot run it yet.
    const file = ctx.dataDir ? path.resolve(ctx.dataDir, arg) : null;
    let keep = !!file && fs.existsSync(file);
    if (keep) {
      ctx.deps.add(file);
      try { keep = !('unavailable' in JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { keep = true; /* dca-trace reports it */ }
      if (!keep) ctx.notes.push(`${where}: ${arg} is unavailable: showing the fallback`);
    }
    ctx.conds.push({ keep, line: lineNo });
    return true;
  }
  if (name === 'if' || name === 'if-not') {
    if (!arg) fail(`${where}: @${name} needs a flag name`);
    ctx.conds.push({ keep: ctx.flags.includes(arg) === (name === 'if'), line: lineNo });
    return true;
  }
  if (name === 'else') {
    const c = ctx.conds[ctx.conds.length - 1];
    if (!c || c.seenElse) fail(`${where}: @else without @if-exists`);
    if (c.region) fail(`${where}: @else under @if-region (line ${c.line}): a guarded region has no fallback, remove the @else branch`);
    c.keep = !c.keep; c.seenElse = true;
    return true;
  }
  if (name === 'end') {
    if (!ctx.conds.pop()) fail(`${where}: @end without @if-exists`);
    return true;
  }
  return false;
}

/// One fenced block from `lines[i]` to its closing fence `lines[j]`: a dca-* report rendered, an
/// include filled from its file, or any other code kept as it is.
function expandFence(ctx, { lines, i, j, where, slide, indent, fence, lang, rest }) {
  const opts = parseFenceOptions(rest);
  // A report from --data DIR that a dca-* fence renders.
  const report = () => {
    if (!opts.json) fail(`${where}: ${lang} needs json=FILE`);
    if (!ctx.dataDir) fail(`${where}: ${lang} needs --data DIR`);
    const file = path.resolve(ctx.dataDir, opts.json);
    const text = ctx.readDep(file, `${where}: ${lang}`);
    try { return [JSON.parse(text), file]; } catch (e) { return fail(`${file}: not JSON (${e.message})`); }
  };
  if (lang === 'dca-verdict') {
    ctx.out.push(renderVerdict(...report(), opts));
  } else if (lang === 'dca-runs') {
    ctx.out.push(renderRuns(...report(), opts));
  } else if (lang === 'dca-figures') {
    ctx.out.push(renderFigures(...report()));
  } else if (lang === 'dca-trace') {
    const refs = [];
    ctx.out.push(renderTrace(...report(), opts, refs));
    ctx.wheres.push({ where, exercise: opts.exercise, refs });
    slide.traces++;
  } else if (opts.include) {
    const hash = opts.include.indexOf('#');
    const rel = hash >= 0 ? opts.include.slice(0, hash) : opts.include;
    const region = hash >= 0 ? opts.include.slice(hash + 1) : null;
    const file = ctx.resolve(rel);
    const what = `${rel}${region ? '#' + region : ''}`;
    if (!fs.existsSync(file)) fail(`${where}: ${what}: file ${file} does not exist`);
    const text = ctx.readDep(file, what);
    const body = region ? extractRegion(text, region, `${where}: ${rel} (${file})`, { numbered: !!opts.numbered }) : dedent(text.replace(/\r\n/g, '\n').split('\n'));
    if (body.span) ctx.shownCode.push({ file, ...body.span });
    ctx.out.push(`${indent}${fence}${lang}`, ...body.map((l) => indent + l), `${indent}${fence}`);
    slide.code_blocks++;
  } else {
    ctx.out.push(...lines.slice(i, j + 1));
    slide.code_blocks++;
  }
}

/// How the deck finds its files: paths relative to the deck, remapped to fixtures where they exist;
/// every file read is a dependency of the output (for the depfile and the manifest's hashes).
function readers(baseDir, remap) {
  const deps = new Set();
  const resolve = (p) => {
    let mapped = p;
    // A remap applies where its target exists: fixtures stand in for the exercises they have.
    for (const [from, to] of remap) {
      if (!mapped.startsWith(from)) continue;
      const candidate = to + mapped.slice(from.length);
      if (fs.existsSync(path.resolve(baseDir, candidate))) mapped = candidate;
      break;
    }
    return path.resolve(baseDir, mapped);
  };
  const readDep = (file, what) => {
    if (!fs.existsSync(file)) fail(`${what}: ${file} does not exist`);
    deps.add(file);
    return fs.readFileSync(file, 'utf8');
  };
  return { deps, resolve, readDep };
}

/// An SVG file as one line of HTML, so markdown-it keeps it as one block.
function inlineFigure(ctx, arg, where) {
  let svg = ctx.readDep(ctx.resolve(arg), `${where}: @figure`);
  svg = svg.replace(/<\?xml[^>]*\?>\s*/, '').replace(/<!--[\s\S]*?-->\s*/g, '').trim();
  if (!svg.startsWith('<svg')) fail(`${where}: @figure ${arg} is not an SVG`);
  return `<div class="figure">${svg.replace(/\n\s*/g, ' ')}</div>`;
}

export function preprocess(source, { baseDir, dataDir = null, remap = [], flags = [], name = 'deck.md' }) {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  const conds = []; // stack of {keep, seenElse, parentKeep, line}
  const keeping = () => conds.every((c) => c.keep);
  let inFront = lines[0] === '---';
  let frontDone = !inFront;
  let slide = { section: null, code_blocks: 0, traces: 0, figures: 0 };
  const slides = [];
  let section = null;
  let theme = null; // the theme the front matter names: the browser test checks marp rendered it
  const shownCode = []; // {file, first, last}: regions on slides
  const wheres = []; // each trace table's "where" cells, checked against shownCode at the end
  const ctx = { ...readers(baseDir, remap), dataDir, flags, notes: [], conds, out, shownCode, wheres };

  for (let i = 0; i < lines.length; ++i) {
    const line = lines[i];
    const where = inFront ? `${name}:${i + 1}` : `${name}:${i + 1} (slide ${slides.length + 1})`;
    if (inFront) {
      out.push(line);
      const t = /^theme:\s*['"]?([\w-]+)/.exec(line);
      if (t) theme = t[1];
      if (i > 0 && line === '---') { inFront = false; frontDone = true; }
      continue;
    }
    const d = directiveRe.exec(line);
    if (d) {
      const [, name, arg] = d;
      if (conditionDirective(ctx, name, arg, where, i + 1)) continue;
      if (!keeping()) continue;
      if (name === 'section') {
        if (!arg) fail(`${where}: @section needs a name`);
        section = arg; slide.section = section;
        continue;
      }
      if (name === 'figure') {
        out.push(inlineFigure(ctx, arg, where));
        slide.figures++;
        continue;
      }
      fail(`${where}: unknown directive @${name}`);
    }
    if (!keeping()) continue;

    const f = fenceOpenRe.exec(line);
    if (f) {
      const [, indent, fence, lang, rest] = f;
      // find the closing fence
      let j = i + 1;
      while (j < lines.length && !(lines[j].trim().startsWith(fence[0].repeat(fence.length)) && lines[j].trim().replace(new RegExp(`^\\${fence[0]}+`), '') === '')) ++j;
      if (j >= lines.length) fail(`${where}: code fence never closed`);
      expandFence(ctx, { lines, i, j, where, slide, indent, fence, lang, rest });
      i = j;
      continue;
    }
    if (line === '---' && frontDone) {
      slides.push(slide);
      slide = { section, code_blocks: 0, traces: 0, figures: 0 };
      out.push(line);
      continue;
    }
    out.push(line);
  }
  if (conds.length) fail(`${name}:${conds[conds.length - 1].line}: @if-exists without @end`);
  checkWheres(wheres, shownCode);
  slides.push(slide);
  slides.forEach((s, k) => { s.index = k + 1; s.section ??= 'front'; });
  return { markdown: out.join('\n'), slides, deps: [...ctx.deps], notes: ctx.notes, theme };
}

export const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function main() {
  const args = parseArgs(process.argv.slice(2));
  const [inFile, outFile] = args.positional;
  const source = fs.readFileSync(inFile, 'utf8');
  const result = preprocess(source, { baseDir: path.dirname(path.resolve(inFile)), dataDir: args.data, remap: args.remap, flags: args.flags, name: path.basename(inFile) });
  for (const n of result.notes) console.error(`preprocess: note: ${n}`);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  const buildId = crypto.createHash('sha256').update(result.markdown).digest('hex').slice(0, 16);
  // An empty, hidden element at the end of the last slide: the HTML says which deck.md it was built from.
  fs.writeFileSync(outFile, `${result.markdown.replace(/\n*$/, '')}\n\n<div hidden data-deck-build="${buildId}"></div>\n`);
  if (args.manifest) {
    const inputs = {};
    for (const f of [path.resolve(inFile), ...result.deps, ...args.inputs.map((f) => path.resolve(f))]) inputs[f] = sha256(f);
    const manifest = {
      source: path.resolve(inFile),
      build_id: buildId,
      theme: result.theme,
      slides: result.slides,
      code_blocks: result.slides.reduce((n, s) => n + s.code_blocks, 0),
      sources: result.deps,
      inputs,
    };
    fs.writeFileSync(args.manifest, JSON.stringify(manifest, null, 2) + '\n');
  }
  if (args.depfile) {
    const q = (p) => p.replace(/([ #$])/g, '\\$1');
    fs.writeFileSync(args.depfile, `${q(path.resolve(outFile))}: ${[path.resolve(inFile), ...result.deps].map(q).join(' ')}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('preprocess.mjs')) {
  try { main(); } catch (e) {
    if (e instanceof DeckError) { console.error(`preprocess: ${e.message}`); process.exit(1); }
    throw e;
  }
}
