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
import { extractRegion, renderTrace, renderVerdict, preprocess } from './preprocess.mjs';

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
  assert.deepEqual(extractRegion(source, 'inner', 'demo.cpp'), ['void f() {', '  g();', '}']);
  assert.deepEqual(extractRegion(source, 'nested', 'demo.cpp'), ['g();']);
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
  assert.equal(fs.readFileSync(path.join(tmp, 'out.md'), 'utf8'), '# t\n\n```cpp\nvoid f() {\n  g();\n}\n```\n');
  assert.match(fs.readFileSync(path.join(tmp, 'out.d'), 'utf8'), /src\/demo\.cpp/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(tmp, 'm.json'), 'utf8')).code_blocks, 1);
});

test('conditionals: @if-exists, @if-region and @else pick the right branch', () => {
  const deck = [
    '<!-- @if-exists src/demo.cpp -->', 'A', '<!-- @else -->', 'B', '<!-- @end -->',
    '<!-- @if-exists src/none.cpp -->', 'C', '<!-- @else -->', 'D', '<!-- @end -->',
    '<!-- @if-region src/demo.cpp#nope -->', '```cpp include=src/demo.cpp#nope', '```', '<!-- @else -->', 'E', '<!-- @end -->',
    '<!-- @if-region src/demo.cpp#inner -->', 'F', '<!-- @end -->',
  ].join('\n');
  const r = preprocess(deck, { baseDir: tmp });
  assert.deepEqual(r.markdown.split('\n').filter(Boolean), ['A', 'D', 'E', 'F']);
  assert.equal(r.notes.length, 1);
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

test('hide= leaves steps out, keeps the original step numbers and says how many it hid', () => {
  const locked = { ...fixture, trace: [{ actor: 0, operation: 'lock', object: 'm' }, ...fixture.trace, { actor: 1, operation: 'unlock', object: 'm' }] };
  const html = renderTrace(locked, 'locked.json', { hide: 'lock,unlock' });
  assert.equal((html.match(/<tr>/g) || []).length, 1 + fixture.trace.length);
  assert.match(html, /<td class="step">2<\/td>/);
  assert.doesNotMatch(html, /<td class="step">1<\/td>/);
  assert.match(html, /2 lock\/unlock steps not shown/);
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
  const r = preprocess(fs.readFileSync(path.join(slides, 'deck.md'), 'utf8'), {
    baseDir: slides, dataDir: path.join(tmp, 'fixture-data'), flags: ['fixtures'],
    remap: [['../exercises/', 'test-fixtures/exercises/'], ['../solutions/', 'test-fixtures/solutions/']],
  });
  assert.ok(r.deps.some((d) => d.includes('test-fixtures/exercises/01_lost_update')), 'no fixture source was read');
  assert.ok(!r.deps.some((d) => /\/(exercises|solutions)\//.test(d) && !d.includes('test-fixtures')), 'read a real exercise file');
  assert.match(r.markdown, /Built from test fixtures/);
  assert.ok(r.slides.length > 20, `only ${r.slides.length} slides`);
});

fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
