#!/usr/bin/env node
// Turns slides/deck.md into the Markdown that marp builds: fills code fences from marked regions of
// the real exercise files, renders `dca explore --format json` output as interleaving tables, inlines
// SVG figures, keeps or drops blocks whose files do not exist yet, and writes a manifest (slides,
// sections, code blocks per slide) that the browser test checks the rendered deck against.
//
// usage: preprocess.mjs IN.md OUT.md [--data DIR] [--remap FROM=TO]... [--flag NAME]... [--manifest FILE]
//                       [--depfile FILE]
//
// Directives in IN.md (paths are relative to IN.md's folder):
//   ```cpp include=PATH#REGION      the dedented lines between `// [slide:REGION]` and
//   ```                             `// [/slide:REGION]` in PATH (the whole file without #REGION)
//   ```dca-trace json=NAME.json     an interleaving table from a `dca explore NN --format json` file
//   ```                             in --data DIR (options: max-rows=N, exercise=NN for the replay line,
//                                   hide=OP,OP to leave out steps such as lock,unlock)
//   ```dca-verdict json=NAME.json   one line: what exploring the fixed code found (option:
//   ```                             label="words before the verdict")
//   <!-- @figure PATH.svg -->       the SVG, inline
//   <!-- @if-exists PATH -->        keep what follows only if PATH exists (after --remap) ...
//   <!-- @if-region PATH#REGION --> ... or only if PATH has that region (for exercises still being
//                                   written: a file without the region yet shows the fallback) ...
//   <!-- @if-data NAME.json -->     ... or only if --data DIR has that file ...
//   <!-- @if FLAG --> / @if-not     ... or only if --flag FLAG was given (or was not) ...
//   <!-- @else -->                  ... or else this ...
//   <!-- @end -->
//   <!-- @section NAME -->          the slides from here on belong to section NAME (for screenshots)
// Any problem (missing file or region, duplicated region, bad JSON) prints one line and exits 1.
import fs from 'node:fs';
import path from 'node:path';

class DeckError extends Error {}
const fail = (msg) => { throw new DeckError(msg); };

function parseArgs(argv) {
  const args = { remap: [], flags: [], data: null, manifest: null, depfile: null, positional: [] };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) fail(`${a} needs a value`); return argv[++i]; };
    if (a === '--data') args.data = value();
    else if (a === '--manifest') args.manifest = value();
    else if (a === '--depfile') args.depfile = value();
    else if (a === '--flag') args.flags.push(value());
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
export function extractRegion(text, name, where) {
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
  const body = lines.slice(opens[0] + 1, closes[0]).filter((l) => !markerRe.test(l));
  if (body.every((l) => l.trim() === '')) fail(`${where}: region '${name}' is empty`);
  return dedent(body);
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

function describeStep(s) {
  // Newer reports carry the explorer's own words for the step ("load counter = 0"): use them, so the
  // slide says what attendees see in their terminal.
  if (typeof s.text === 'string' && s.text) {
    const words = esc(s.text);
    return s.object ? words.replace(esc(s.object), `<b>${esc(s.object)}</b>`) : words;
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

/// An HTML table with one column per thread (or actor), one row per step, from `dca explore --format json`.
export function renderTrace(report, where, options = {}) {
  if (typeof report !== 'object' || report === null) fail(`${where}: not a JSON object`);
  for (const key of ['outcome', 'actors', 'trace']) if (!(key in report)) fail(`${where}: no '${key}' field`);
  if (!Array.isArray(report.actors) || report.actors.length === 0) fail(`${where}: 'actors' is empty`);
  if (!Array.isArray(report.trace)) fail(`${where}: 'trace' is not a list`);
  if (report.outcome !== 'clean' && report.trace.length === 0 && !(report.cycle?.length)) fail(`${where}: outcome '${report.outcome}' but the trace is empty`);
  const actors = report.actors;
  const maxRows = Number(options['max-rows'] ?? 14);
  // hide=lock,unlock leaves out steps that only add length (the slide says how many), keeping the
  // original step numbers so the table still matches `dca explore` and the replay.
  const hide = new Set(String(options.hide ?? '').split(',').filter(Boolean));
  report.trace.forEach((s, i) => {
    if (!Number.isInteger(s.actor) || s.actor < 0 || s.actor >= actors.length) fail(`${where}: step ${i + 1} names actor ${s.actor}, but there are ${actors.length}`);
  });
  const shown = report.trace.map((s, i) => ({ s, n: i + 1 })).filter(({ s }) => !hide.has(s.operation));
  const hidden = report.trace.length - shown.length;
  const steps = shown.slice(0, maxRows);
  const rows = steps.map(({ s, n }) => {
    const cells = actors.map((_, a) => `<td>${a === s.actor ? describeStep(s) : ''}</td>`).join('');
    const src = s.file ? `${esc(path.basename(String(s.file)))}:${esc(s.line ?? '?')}` : '';
    return `<tr><td class="step">${n}</td>${cells}<td class="src">${src}</td></tr>`;
  });
  if (shown.length > steps.length) {
    rows.push(`<tr><td class="step">…</td><td colspan="${actors.length + 1}">${shown.length - steps.length} more steps</td></tr>`);
  }
  const head = `<tr><th>#</th>${actors.map((a) => `<th>${esc(a)}</th>`).join('')}<th>where</th></tr>`;
  const facts = [];
  if (report.schedule && options.exercise) facts.push(`replay: <code>dca explore ${esc(options.exercise)} --replay ${esc(report.schedule)}</code>`);
  else if (report.schedule) facts.push(`schedule <code>${esc(report.schedule)}</code>`);
  if (report.schedules_explored !== undefined) facts.push(`${esc(report.schedules_explored)} schedules explored`);
  if (hidden) facts.push(`${hidden} ${[...hide].join('/')} steps not shown`);
  const cycle = Array.isArray(report.cycle) && report.cycle.length ? `<p class="cycle">${report.cycle.map(esc).join('<br>')}</p>` : '';
  return [
    `<div class="dca-trace" data-outcome="${esc(report.outcome)}">`,
    `<table>`, `<thead>${head}</thead>`, `<tbody>${rows.join('')}</tbody>`, `</table>`,
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

export function preprocess(source, { baseDir, dataDir = null, remap = [], flags = [] }) {
  const deps = new Set();
  const notes = [];
  const resolve = (p) => {
    let mapped = p;
    for (const [from, to] of remap) if (mapped.startsWith(from)) { mapped = to + mapped.slice(from.length); break; }
    return path.resolve(baseDir, mapped);
  };
  const readDep = (file, what) => {
    if (!fs.existsSync(file)) fail(`${what}: ${file} does not exist`);
    deps.add(file);
    return fs.readFileSync(file, 'utf8');
  };

  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const out = [];
  const conds = []; // stack of {keep, seenElse, parentKeep, line}
  const keeping = () => conds.every((c) => c.keep);
  let inFront = lines[0] === '---';
  let frontDone = !inFront;
  let slide = { section: null, code_blocks: 0, traces: 0, figures: 0 };
  const slides = [];
  let section = null;

  for (let i = 0; i < lines.length; ++i) {
    const line = lines[i];
    const where = `deck.md:${i + 1}`;
    if (inFront) {
      out.push(line);
      if (i > 0 && line === '---') { inFront = false; frontDone = true; }
      continue;
    }
    const d = directiveRe.exec(line);
    if (d) {
      const [, name, arg] = d;
      if (name === 'if-exists') {
        if (!arg) fail(`${where}: @if-exists needs a path`);
        conds.push({ keep: fs.existsSync(resolve(arg)), line: i + 1 });
        continue;
      }
      if (name === 'if-region') {
        const hash = arg.indexOf('#');
        if (hash <= 0) fail(`${where}: @if-region needs PATH#REGION`);
        const [rel, region] = [arg.slice(0, hash), arg.slice(hash + 1)];
        const file = resolve(rel);
        let keep = false;
        if (fs.existsSync(file)) {
          keep = fs.readFileSync(file, 'utf8').split('\n').some((l) => { const m = markerRe.exec(l); return m && !m[1] && m[2] === region; });
          deps.add(file);
          if (!keep) notes.push(`${where}: ${rel} has no region '${region}' yet: showing the fallback`);
        }
        conds.push({ keep, line: i + 1 });
        continue;
      }
      if (name === 'if-data') {
        if (!arg) fail(`${where}: @if-data needs a file name`);
        // dca-json.mjs --optional leaves {"unavailable": why} when `dca explore` cannot run it yet.
        const file = dataDir ? path.resolve(dataDir, arg) : null;
        let keep = !!file && fs.existsSync(file);
        if (keep) {
          deps.add(file);
          try { keep = !('unavailable' in JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { keep = true; /* dca-trace reports it */ }
          if (!keep) notes.push(`${where}: ${arg} is unavailable: showing the fallback`);
        }
        conds.push({ keep, line: i + 1 });
        continue;
      }
      if (name === 'if' || name === 'if-not') {
        if (!arg) fail(`${where}: @${name} needs a flag name`);
        conds.push({ keep: flags.includes(arg) === (name === 'if'), line: i + 1 });
        continue;
      }
      if (name === 'else') {
        const c = conds[conds.length - 1];
        if (!c || c.seenElse) fail(`${where}: @else without @if-exists`);
        c.keep = !c.keep; c.seenElse = true;
        continue;
      }
      if (name === 'end') {
        if (!conds.pop()) fail(`${where}: @end without @if-exists`);
        continue;
      }
      if (!keeping()) continue;
      if (name === 'section') {
        if (!arg) fail(`${where}: @section needs a name`);
        section = arg; slide.section = section;
        continue;
      }
      if (name === 'figure') {
        const file = resolve(arg);
        let svg = readDep(file, `${where}: @figure`);
        svg = svg.replace(/<\?xml[^>]*\?>\s*/, '').replace(/<!--[\s\S]*?-->\s*/g, '').trim();
        if (!svg.startsWith('<svg')) fail(`${where}: @figure ${arg} is not an SVG`);
        // One line, so markdown-it keeps it as one HTML block.
        out.push(`<div class="figure">${svg.replace(/\n\s*/g, ' ')}</div>`);
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
      const opts = parseFenceOptions(rest);
      if (lang === 'dca-verdict') {
        if (!opts.json) fail(`${where}: dca-verdict needs json=FILE`);
        if (!dataDir) fail(`${where}: dca-verdict needs --data DIR`);
        const file = path.resolve(dataDir, opts.json);
        let report;
        try { report = JSON.parse(readDep(file, `${where}: dca-verdict`)); } catch (e) { if (e instanceof DeckError) throw e; fail(`${file}: not JSON (${e.message})`); }
        out.push(renderVerdict(report, file, opts));
      } else if (lang === 'dca-trace') {
        if (!opts.json) fail(`${where}: dca-trace needs json=FILE`);
        if (!dataDir) fail(`${where}: dca-trace needs --data DIR`);
        const file = path.resolve(dataDir, opts.json);
        const text = readDep(file, `${where}: dca-trace`);
        let report;
        try { report = JSON.parse(text); } catch (e) { fail(`${file}: not JSON (${e.message})`); }
        out.push(renderTrace(report, file, opts));
        slide.traces++;
      } else if (opts.include) {
        const hash = opts.include.indexOf('#');
        const rel = hash >= 0 ? opts.include.slice(0, hash) : opts.include;
        const region = hash >= 0 ? opts.include.slice(hash + 1) : null;
        const file = resolve(rel);
        const what = `${rel}${region ? '#' + region : ''}`;
        if (!fs.existsSync(file)) fail(`${what}: file ${file} does not exist`);
        const text = readDep(file, what);
        const body = region ? extractRegion(text, region, `${rel} (${file})`) : dedent(text.replace(/\r\n/g, '\n').split('\n'));
        out.push(`${indent}${fence}${lang}`, ...body.map((l) => indent + l), `${indent}${fence}`);
        slide.code_blocks++;
      } else {
        out.push(...lines.slice(i, j + 1));
        slide.code_blocks++;
      }
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
  if (conds.length) fail(`deck.md:${conds[conds.length - 1].line}: @if-exists without @end`);
  slides.push(slide);
  slides.forEach((s, k) => { s.index = k + 1; s.section ??= 'front'; });
  return { markdown: out.join('\n'), slides, deps: [...deps], notes };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const [inFile, outFile] = args.positional;
  const source = fs.readFileSync(inFile, 'utf8');
  const result = preprocess(source, { baseDir: path.dirname(path.resolve(inFile)), dataDir: args.data, remap: args.remap, flags: args.flags });
  for (const n of result.notes) console.error(`preprocess: note: ${n}`);
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  fs.writeFileSync(outFile, result.markdown);
  if (args.manifest) {
    const manifest = {
      source: path.resolve(inFile),
      slides: result.slides,
      code_blocks: result.slides.reduce((n, s) => n + s.code_blocks, 0),
      sources: result.deps,
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
