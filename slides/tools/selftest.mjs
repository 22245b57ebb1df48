#!/usr/bin/env node
// The include step's own test (ctest: slides.preprocess): regions are cut and dedented, a missing,
// duplicated or unclosed region fails the build with one line naming file and region, dca reports
// render as tables, conditionals fall back, and the real deck still builds from the fixtures.
//
// usage: selftest.mjs SLIDES_SOURCE_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { extractRegion, renderTrace, renderVerdict, renderRuns, renderFigures, preprocess } from './preprocess.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const slides = path.resolve(process.argv[2] ?? path.join(here, '..'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dca-slides-selftest-'));
let passed = 0, failed = 0;

function test(name, body) {
  try { body(); ++passed; console.log(`ok: ${name}`); } catch (e) { ++failed; console.log(`FAIL: ${name}\n  ${e.message.split('\n').join('\n  ')}`); }
}
function write(rel, text) {
  const file = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}
// Runs the command-line tool the build runs, on a deck in the temp folder.
function cli(deck, ...extra) {
  const deckFile = write('deck.md', deck);
  return spawnSync(process.execPath, [path.join(here, 'preprocess.mjs'), deckFile, path.join(tmp, 'out.md'), ...extra], { encoding: 'utf8' });
}

const source = [
  '// a file with regions',
  'namespace demo {',
  '  // [slide:inner]',
  '  void f() {',
  '    // [slide:nested]',
  '    g();',
  '    // [/slide:nested]',
  '  }',
  '  // [/slide:inner]',
  '  // [slide:twice]',
  '  // [/slide:twice]',
  '  // [slide:twice]',
  '  // [/slide:twice]',
  '  // [slide:open]',
  '}',
].join('\n');
write('src/demo.cpp', source);

test('a region is the dedented lines between its markers, without other markers', () => {
  assert.deepEqual([...extractRegion(source, 'inner', 'demo.cpp')], ['void f() {', '  g();', '}']);
  assert.deepEqual([...extractRegion(source, 'nested', 'demo.cpp')], ['g();']);
});

test('a missing region exits 1 with one line naming the file and the region', () => {
  const r = cli('```cpp include=src/demo.cpp#nope\n```\n');
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /src\/demo\.cpp.*region 'nope' not found/);
});

test('a duplicated region exits 1 and names both lines', () => {
  const r = cli('```cpp include=src/demo.cpp#twice\n```\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/demo\.cpp.*region 'twice' opens 2 times \(lines 10, 12\)/);
});

test('an unclosed region exits 1', () => {
  const r = cli('```cpp include=src/demo.cpp#open\n```\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /region 'open' is never closed/);
});

test('a missing file exits 1 and names it', () => {
  const r = cli('```cpp include=src/gone.cpp#inner\n```\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /src\/gone\.cpp#inner: file .* does not exist/);
});

test('an include fills the fence and keeps the language; the depfile lists the source', () => {
  const r = cli('# t\n\n```cpp include=src/demo.cpp#inner\n```\n', '--depfile', path.join(tmp, 'out.d'), '--manifest', path.join(tmp, 'm.json'));
  assert.equal(r.status, 0, r.stderr);
  const built = fs.readFileSync(path.join(tmp, 'out.md'), 'utf8');
  const manifest = JSON.parse(fs.readFileSync(path.join(tmp, 'm.json'), 'utf8'));
  assert.equal(built, `# t\n\n\`\`\`cpp\nvoid f() {\n  g();\n}\n\`\`\`\n\n<div hidden data-deck-build="${manifest.build_id}"></div>\n`);
  assert.match(fs.readFileSync(path.join(tmp, 'out.d'), 'utf8'), /src\/demo\.cpp/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(tmp, 'm.json'), 'utf8')).code_blocks, 1);
});

test('conditionals: @if-exists and @else pick the right branch; @if-region keeps a region that exists', () => {
  const deck = [
    '<!-- @if-exists src/demo.cpp -->', 'A', '<!-- @else -->', 'B', '<!-- @end -->',
    '<!-- @if-exists src/none.cpp -->', 'C', '<!-- @else -->', 'D', '<!-- @end -->',
    '<!-- @if-region src/demo.cpp#inner -->', 'F', '<!-- @end -->',
  ].join('\n');
  const r = preprocess(deck, { baseDir: tmp });
  assert.deepEqual(r.markdown.split('\n').filter(Boolean), ['A', 'D', 'F']);
});

test('a guarded region that is missing stops the build, naming the slide, the file and the region', () => {
  const r = cli('---\nmarp: true\n---\n# one\n\n---\n\n<!-- @if-region src/demo.cpp#renamed -->\nX\n<!-- @end -->\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /deck\.md:8 \(slide 2\): @if-region src\/demo\.cpp.*region 'renamed' not found/);
  const gone = cli('<!-- @if-region src/gone.cpp#inner -->\nX\n<!-- @end -->\n');
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /slide 1\): @if-region src\/gone\.cpp#inner: .* does not exist \(a guarded region must exist/);
});

test('a guarded region takes no hand-written fallback', () => {
  const r = cli('<!-- @if-region src/demo.cpp#inner -->\nX\n<!-- @else -->\nsketch\n<!-- @end -->\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /@else under @if-region \(line 1\): a guarded region has no fallback/);
});

test('the manifest names the theme and hashes every input; the output carries the build id', () => {
  const r = cli('---\nmarp: true\ntheme: dca\n---\n```cpp include=src/demo.cpp#inner\n```\n', '--manifest', path.join(tmp, 'm2.json'), '--input', path.join(tmp, 'src/demo.cpp'));
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(tmp, 'm2.json'), 'utf8'));
  assert.equal(m.theme, 'dca');
  assert.match(m.build_id, /^[0-9a-f]{16}$/);
  assert.deepEqual(Object.keys(m.inputs).map((f) => path.basename(f)).sort(), ['deck.md', 'demo.cpp']);
  assert.match(fs.readFileSync(path.join(tmp, 'out.md'), 'utf8'), new RegExp(`data-deck-build="${m.build_id}"`));
});

test('an unbalanced @if-exists fails', () => {
  const r = cli('<!-- @if-exists src/demo.cpp -->\nA\n');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /@if-exists without @end/);
});

test('slides and sections are counted outside code fences', () => {
  const deck = '---\nmarp: true\n---\n<!-- @section one -->\n# a\n```\n---\n```\n---\n<!-- @section two -->\n# b\n---\n# c\n';
  const r = preprocess(deck, { baseDir: tmp });
  assert.deepEqual(r.slides.map((s) => [s.section, s.code_blocks]), [['one', 1], ['two', 0], ['two', 0]]);
});

const fixture = JSON.parse(fs.readFileSync(path.join(slides, 'test-fixtures/explore-01.json'), 'utf8'));

test('a dca report renders as a table with one column per actor', () => {
  const html = renderTrace(fixture, 'explore-01.json');
  assert.equal((html.match(/<tr>/g) || []).length, 1 + fixture.trace.length);
  for (const a of fixture.actors) assert.match(html, new RegExp(`<th>${a}</th>`));
  assert.match(html, /load <b>counter<\/b> → 0/);
  assert.match(html, /FIXTURE data/);
});

test('a long trace is cut at max-rows with a count of the rest', () => {
  const long = { ...fixture, fixture: false, trace: Array.from({ length: 30 }, (_, i) => ({ ...fixture.trace[i % 4] })) };
  const html = renderTrace(long, 'long.json', { 'max-rows': 10 });
  assert.match(html, /20 more steps/);
});

test('hide= leaves steps out, numbers the shown steps 1, 2, 3... and says how many it hid', () => {
  const locked = { ...fixture, trace: [{ actor: 0, operation: 'lock', object: 'm' }, ...fixture.trace, { actor: 1, operation: 'unlock', object: 'm' }] };
  const html = renderTrace(locked, 'locked.json', { hide: 'lock,unlock' });
  assert.equal((html.match(/<tr>/g) || []).length, 1 + fixture.trace.length);
  const numbers = [...html.matchAll(/<td class="step">(\d+)<\/td>/g)].map((m) => Number(m[1]));
  assert.deepEqual(numbers, fixture.trace.map((_, i) => i + 1));
  assert.match(html, /2 lock\/unlock steps not shown/);
});

test('decide= adds the decision after each check, on the line that decides, from the value read', () => {
  const report = { outcome: 'invariant_broken', actors: ['T1', 'T2'], trace: [
    { actor: 0, operation: 'load', object: 'balance', value: '100', file: 'x.cpp', line: 12 },
    { actor: 1, operation: 'load', object: 'balance', value: '20', file: 'x.cpp', line: 12 },
  ] };
  const refs = [];
  const html = renderTrace(report, 'r.json', { decide: '12:22:80' }, refs);
  assert.match(html, /<td class="step">2<\/td><td class="decision">saw 100 ≥ 80: <b>pays<\/b><\/td><td><\/td><td class="src">x\.cpp:22<\/td>/);
  assert.match(html, /<td class="step">4<\/td><td><\/td><td class="decision">saw 20 &lt; 80: <b>refuses<\/b>/);
  assert.deepEqual(refs.map((r) => r.line), [12, 22, 12, 22]);
});

test('caller= moves steps inside a library header to the learner\'s lines, thread by thread', () => {
  const report = { outcome: 'deadlock', actors: ['T1', 'T2'], cycle: ['T1 waits'], trace: [
    { actor: 0, operation: 'lock', object: 'A', file: '/usr/include/c++/12/bits/std_mutex.h', line: 229 },
    { actor: 1, operation: 'lock', object: 'B', file: 'std_mutex.h', line: 229 },
    { actor: 0, operation: 'lock', object: 'B', file: 'std_mutex.h', line: 229 },
  ] };
  const html = renderTrace(report, 'r.json', { caller: 'std_mutex.h>shared_state.cpp:12,13' });
  const wheres = [...html.matchAll(/<td class="src">([^<]*)<\/td>/g)].map((m) => m[1]);
  assert.deepEqual(wheres, ['shared_state.cpp:12', 'shared_state.cpp:12', 'shared_state.cpp:13']);
  assert.doesNotMatch(html, /std_mutex/);
});

test('a table whose "where" is in no code on a slide stops the build, naming the slide and the step', () => {
  write('data/where.json', JSON.stringify({ outcome: 'invariant_broken', actors: ['T1'], trace: [
    { actor: 0, operation: 'load', object: 'x', value: '1', file: 'demo.cpp', line: 6 },
    { actor: 0, operation: 'store', object: 'x', value: '2', file: 'demo.cpp', line: 15 },
  ] }));
  const r = cli('# code\n\n```cpp include=src/demo.cpp#inner numbered\n```\n\n---\n\n```dca-trace json=where.json\n```\n', '--data', path.join(tmp, 'data'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /\(slide 2\): step 2 of the table points at demo\.cpp:15, which no slide shows/);
  assert.match(fs.readFileSync(path.join(tmp, 'deck.md'), 'utf8'), /dca-trace/);
});

test('numbered includes carry each line\'s number in the file', () => {
  const lines = extractRegion(source, 'inner', 'demo.cpp', { numbered: true });
  assert.deepEqual([...lines], ['4  void f() {', '6    g();', '8  }']);
  assert.deepEqual(lines.span, { first: 4, last: 8 });
});

test('free runs render with what a loss of 0 means', () => {
  const runs = (lost) => ({ command: 'ex01 run', runs: lost.map((n) => ({ expected: '2000000', lost_updates: String(n) })) });
  assert.match(renderRuns(runs([813299, 0]), 'r.json'), /lost <b>813,299 · 0<\/b> of 2,000,000 increments\. 1 of the runs lost nothing/);
  assert.match(renderRuns(runs([0, 0]), 'r.json'), /Not one update was lost: the two workers did not overlap/);
  assert.throws(() => renderRuns({ runs: [{}] }, 'r.json'), /run 1 has no lost_updates/);
});

test('free runs with fields= render one row per field, one column per run; a missing field fails', () => {
  const data = { command: 'ex07 run', runs: [{ orders_without_events: '31', crashes: '1047' }, { orders_without_events: '0', crashes: '2' }] };
  const html = renderRuns(data, 'r.json', { fields: 'orders_without_events:orders without events,crashes' });
  assert.match(html, /<th>run 1<\/th><th>run 2<\/th>/);
  assert.match(html, /<tr><td>orders without events<\/td><td>31<\/td><td>0<\/td><\/tr>/);
  assert.match(html, /<tr><td>crashes<\/td><td>1,047<\/td><td>2<\/td><\/tr>/);
  assert.match(html, /<code>ex07 run<\/code>, 2 runs on the machine that built this deck/);
  assert.throws(() => renderRuns(data, 'r.json', { fields: 'events_without_orders' }), /r.json: run 1 has no events_without_orders/);
});

test('free runs with rows= render one row per setting, one column per field; a missing one fails', () => {
  const data = { command: 'sol11 run', runs: [{ lost_lww_skew_0: '15', lost_or_set_skew_0: '0', lost_lww_skew_100: '67', lost_or_set_skew_100: '0' }] };
  const options = { rows: '0:0 ms,100:100 ms', 'row-label': 'skew', fields: 'lost_lww_skew_{row}:LWW,lost_or_set_skew_{row}:OR-Set' };
  const html = renderRuns(data, 'r.json', options);
  assert.match(html, /<tr><th>skew<\/th><th>LWW<\/th><th>OR-Set<\/th><\/tr>/);
  assert.match(html, /<tr><td>0 ms<\/td><td>15<\/td><td>0<\/td><\/tr><tr><td>100 ms<\/td><td>67<\/td><td>0<\/td><\/tr>/);
  assert.throws(() => renderRuns(data, 'r.json', { ...options, rows: '0:0 ms,10:10 ms' }), /r.json: run 1 has no lost_lww_skew_10/);
  assert.throws(() => renderRuns({ runs: [data.runs[0], data.runs[0]] }, 'r.json', options), /rows= wants one run, the file has 2/);
});

test('a trace hides steps by their words or actor, shows a message\'s bytes as their count, and lists steps in one column', () => {
  const bytes = '[1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 54, -18, 28, 1, 99]';
  const report = { outcome: 'invariant_broken', actors: ['a', 'c'], trace: [
    { actor: 0, operation: 'handle', object: 'crdtpeer "c"', text: 'handle crdtpeer "c"' },
    { actor: 0, operation: 'handle', object: `crdtdelta "c" 1 ${bytes} from c`, text: `handle crdtdelta "c" 1 ${bytes} from c` },
  ] };
  const html = renderTrace(report, 't.json', { 'hide-text': 'crdtpeer', bytes: true });
  assert.match(html, /handle <b>crdtdelta &quot;c&quot; 1 \[15 bytes\] from c<\/b>/);
  assert.doesNotMatch(html, /crdtpeer<\/b>|54, -18/);
  assert.match(html, /1 crdtpeer steps not shown/);
  const listed = renderTrace({ ...report, trace: [...report.trace, { actor: 1, operation: 'handle', text: 'handle x' }] }, 't.json',
    { 'hide-actors': 'c', layout: 'list' });
  assert.match(listed, /<table class="list">\n<thead><tr><th>#<\/th><th>actor<\/th><th>step<\/th><\/tr>/);
  assert.match(listed, /<td class="who">a<\/td><td>handle <b>crdtpeer &quot;c&quot;<\/b><\/td>/);
  assert.doesNotMatch(listed, /handle x/);
  assert.match(listed, /1 c steps not shown/);
});

test('free runs with summary render each run in the program\'s words; a run without one fails', () => {
  const data = { command: 'sol07 run', runs: [{ summary: 'every order shipped exactly once' }] };
  assert.match(renderRuns(data, 'r.json', { summary: true }), /<code>sol07 run<\/code> on the machine that built this deck: every order shipped exactly once/);
  assert.throws(() => renderRuns({ runs: [{}] }, 'r.json', { summary: true }), /run 1 has no summary/);
});

test('the runtime\'s figures render next to their baselines; a missing figure fails', () => {
  const f = JSON.parse(fs.readFileSync(path.join(slides, 'test-fixtures/es-figures.json'), 'utf8'));
  const html = renderFigures(f, 'es.json');
  assert.match(html, /16\.1 µs<\/td><td>22\.1 µs: the same work by hand/);
  assert.match(html, /221,703 events\/s<\/td><td>733,133\/s raw SQLite scan/);
  assert.match(html, /FIXTURE figures/);
  assert.throws(() => renderFigures({ ...f, replay: undefined, commands: f.commands }, 'es.json'), /es\.json: no 'replay'/);
});

test('a report naming an unknown actor, or missing fields, fails', () => {
  assert.throws(() => renderTrace({ ...fixture, trace: [{ actor: 5, operation: 'load' }] }, 'x.json'), /names actor 5/);
  assert.throws(() => renderTrace({ outcome: 'clean', trace: [] }, 'x.json'), /no 'actors' field/);
  write('data/bad.json', '{ not json');
  const r = cli('```dca-trace json=bad.json\n```\n', '--data', path.join(tmp, 'data'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.json: not JSON/);
});

test('a clean exploration renders as one line, with a quoted label', () => {
  write('data/solution-01.json', JSON.stringify({ outcome: 'clean', actors: ['counter'], trace: [], schedules_explored: 16, search_exhausted: true }));
  const r = preprocess('```dca-verdict json=solution-01.json label="The fix, explored"\n```\n', { baseDir: tmp, dataDir: path.join(tmp, 'data') });
  assert.equal(r.markdown.trim(), '<p class="dca-verdict clean">✓ The fix, explored: no schedule broke the invariant (16 schedules, all within the bound)</p>');
  assert.equal(r.slides[0].code_blocks, 0);
  assert.match(renderVerdict({ outcome: 'deadlock', verdict: 'T1 and T2 wait' }, 'x'), /broken.*deadlock: T1 and T2 wait/);
  assert.match(renderVerdict({ outcome: 'deadlock', verdict: 'deadlock: A awaits B', cycle: ['A waits for B', 'B waits for A'] }, 'x'),
    /✗ deadlock: A awaits B \(A waits for B; B waits for A\)/);
});

test('@if-data skips a report that dca-json marked unavailable', () => {
  write('data/explore-09.json', '{"unavailable": "dca explore 09 exited 2"}');
  const r = preprocess('<!-- @if-data explore-09.json -->\nX\n<!-- @else -->\nY\n<!-- @end -->\n', { baseDir: tmp, dataDir: path.join(tmp, 'data') });
  assert.deepEqual(r.markdown.split('\n').filter(Boolean), ['Y']);
});

test('the real deck builds from the fixtures (the path used before, or without, the exercises)', () => {
  write('fixture-data/explore-01.json', JSON.stringify(fixture));
  for (const name of ['run-01.json', 'es-figures.json']) write(`fixture-data/${name}`, fs.readFileSync(path.join(slides, 'test-fixtures', name), 'utf8'));
  const r = preprocess(fs.readFileSync(path.join(slides, 'deck.md'), 'utf8'), {
    baseDir: slides, dataDir: path.join(tmp, 'fixture-data'), flags: ['fixtures'],
    remap: [['../exercises/', 'test-fixtures/exercises/'], ['../solutions/', 'test-fixtures/solutions/']],
  });
  assert.ok(r.deps.some((d) => d.includes('test-fixtures/exercises/01_lost_update')), 'no fixture source was read');
  assert.ok(!r.deps.some((d) => /\/(exercises|solutions)\/01_lost_update\//.test(d) && !d.includes('test-fixtures')), 'read a real exercise 01 file, not its fixture');
  assert.match(r.markdown, /Built from test fixtures/);
  assert.ok(r.slides.length > 20, `only ${r.slides.length} slides`);
});

fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
