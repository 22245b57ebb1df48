#!/usr/bin/env node
// One slides.rejects.* case: builds a deck that is broken on purpose the way the real deck is built
// (the include step, then marp), tests it with the browser test, and passes only if some step fails
// it with a message matching --expect. A deck the steps let through is a hole in the deck test.
//
// usage: reject-test.mjs --deck BAD.md --out DIR --marp PATH --marp-config .marprc.yml
//                        --theme-set DIR --chromium PATH --expect REGEX [--after-build edit|break]
//   --after-build edit    once built, the deck's source is edited and the test runs without a
//                         rebuild (a stale deck.html must be refused)
//   --after-build break   once built, the source is edited so that the include step fails, the
//                         rebuild fails as the build would, and the test runs on what is left
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const a = {};
  const known = ['deck', 'out', 'marp', 'marp-config', 'theme-set', 'chromium', 'expect', 'after-build'];
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!known.includes(key) || i + 1 >= argv.length) throw new Error(`reject-test: bad argument ${argv[i]} (known: ${known.map((k) => `--${k}`).join(' ')})`);
    a[key] = argv[i + 1];
  }
  for (const k of known.slice(0, 7)) if (!a[k]) throw new Error(`reject-test: --${k} is required`);
  if (a['after-build'] && !['edit', 'break'].includes(a['after-build'])) throw new Error(`reject-test: --after-build is edit or break, not '${a['after-build']}'`);
  return { ...a, expect: new RegExp(a.expect) };
}

/// Runs one step; returns its messages when it failed, null when it passed.
function step(what, program, argv) {
  const r = spawnSync(program, argv, { encoding: 'utf8', timeout: 100_000, maxBuffer: 16 << 20 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  console.log(`-- ${what}: ${r.error ? r.error.message : `exit ${r.status}`}\n${output.trim()}`);
  return r.status === 0 && !r.error ? null : output.split('\n').filter(Boolean);
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  fs.rmSync(args.out, { recursive: true, force: true });
  fs.mkdirSync(args.out, { recursive: true });
  // A deck changed after its build is copied first: the fixture in the source tree stays as it is.
  let deck = args.deck;
  if (args['after-build']) {
    deck = path.join(args.out, path.basename(args.deck));
    fs.copyFileSync(args.deck, deck);
  }
  const built = (name) => path.join(args.out, name);
  const preprocess = () => step('include step', process.execPath, [path.join(here, 'preprocess.mjs'), deck, built('deck.md'),
    '--manifest', built('deck.manifest.json'), '--input', path.join(args['theme-set'], 'dca.css'), '--input', args['marp-config']]);
  const marp = () => step('marp', args.marp, ['--config-file', args['marp-config'], '--theme-set', args['theme-set'], '--no-stdin',
    built('deck.md'), '-o', built('deck.html')]);
  let failed = preprocess() ?? marp();
  if (failed && args['after-build']) {
    console.log('the deck must build before it is changed: fix the fixture');
    return 1;
  }
  if (args['after-build']) {
    const change = args['after-build'] === 'edit'
      ? '\n<!-- a note written after the build -->\n'
      : '\n```cpp include=no-such-file.cpp#region\n```\n';
    fs.appendFileSync(deck, change);
    if (args['after-build'] === 'break' && !preprocess()) failed = ['the rebuild was meant to fail, and did not'];
  }
  if (!failed || args['after-build']) {
    failed = step('browser test', process.execPath, [path.join(here, 'browser-test.mjs'), '--html', built('deck.html'),
      '--manifest', built('deck.manifest.json'), '--out', built('test'), '--chromium', args.chromium]);
  }
  const hit = (failed ?? []).find((line) => args.expect.test(line));
  if (hit) {
    console.log(`rejected as expected: ${hit}`);
    return 0;
  }
  console.log(failed ? `rejected, but no message matches ${args.expect}` : `not rejected: the deck passed every step (expected ${args.expect})`);
  return 1;
}

try { process.exit(main()); } catch (e) { console.error(e.message); process.exit(2); }
