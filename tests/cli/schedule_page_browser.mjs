#!/usr/bin/env node
// Opens every schedule page `dca explore NN --html` wrote in one headless Chromium (Debian's, driven
// by the deck's puppeteer-core) and checks what a learner would see: no console or page error, no
// request that is not a local file, the page under 500 KB, a table
// row per step of the explorer's own JSON report, the row marked as breaking the invariant being
// the step that JSON names, and the arrow keys moving the cursor onto it. Saves a screenshot of
// each page with the cursor on that step. A run whose links lost or repeated a message (09, 10) must
// draw the JSON's messages as a sequence diagram, arrow for arrow. Writes NAME.result (`ok` or the
// problems, one a line) beside each page, for the per-exercise tests to read. How long each page took to load is printed
// next to a plain one-paragraph page loaded by the same browser in the same run (a figure, not a
// check: on a loaded machine both take seconds).
//
// usage: schedule_page_browser.mjs --node-modules DIR --chromium PATH --dir DIR NAME...
//   each NAME has DIR/NAME.html (the page) and DIR/NAME.json (`dca explore ... --format json`);
//   a NAME ending in -levels is a levels page (`dca explore NN --levels`), checked column by column.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const pageBytesMax = 500 * 1024;

function parseArgs(argv) {
  const a = { names: [], chromium: '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--node-modules') a.nodeModules = argv[++i];
    else if (argv[i] === '--chromium') a.chromium = argv[++i];
    else if (argv[i] === '--dir') a.dir = argv[++i];
    else a.names.push(argv[i]);
  }
  if (!a.nodeModules || !a.dir || !a.names.length) throw new Error('usage: --node-modules DIR --chromium PATH --dir DIR NAME...');
  return a;
}

/// What the page shows, read in the page.
function pageFacts() {
  const rows = [...document.querySelectorAll('#steps tbody tr')];
  return {
    rows: rows.length,
    breaksAt: rows.findIndex((r) => r.classList.contains('breaks')) + 1,
    cursor: Number(document.body.dataset.cursor),
    cursorRow: rows.findIndex((r) => r.classList.contains('cursor')) + 1,
    at: document.getElementById('at')?.textContent ?? '',
    verdict: document.getElementById('verdict')?.textContent ?? '',
    replay: document.getElementById('replay')?.textContent ?? '',
    invariant: document.getElementById('invariant')?.textContent ?? '',
    code: document.querySelector('#code pre span.here')?.textContent ?? '',
    mailboxes: document.getElementById('mailboxes')?.textContent ?? null,
    loadMs: performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? Infinity,
  };
}

async function press(page, key, times) {
  for (let k = 0; k < times; ++k) await page.keyboard.press(key);
}

/// The arrows of the message sequence diagram, read in the page.
function drawnArrows() {
  return [...document.querySelectorAll('#sequence .arrow')].map((a) => ({
    message: Number(a.dataset.message), from: Number(a.dataset.from), to: Number(a.dataset.to),
    kind: a.classList.contains('lost') ? 'lost' : a.classList.contains('repeated') ? 'repeated'
      : a.classList.contains('unhandled') ? 'unhandled' : 'delivered',
    at: Number(a.dataset.at), now: a.classList.contains('now'),
  }));
}

/// A run whose links lost or repeated a message: its diagram has one arrow per copy of each of the
/// JSON's messages, between the same actors, ending where the JSON says (handled, or lost at the
/// fault's step), and the arrow of the step under the cursor is marked. Any other run: no diagram.
async function checkMessages(page, report) {
  const problems = [];
  const arrows = await page.evaluate(drawnArrows);
  const rows = await page.evaluate(() => document.querySelectorAll('#message-table tbody tr').length);
  const messages = report.messages ?? [];
  if (!messages.length) {
    if (arrows.length || rows) problems.push(`a run without lost or repeated messages has a diagram (${arrows.length} arrows)`);
    return problems;
  }
  if (rows !== messages.length) problems.push(`the message table has ${rows} rows, the JSON ${messages.length} messages`);
  const expected = messages.reduce((n, m) => n + (m.fate === 'duplicated' ? 2 : 1), 0);
  if (arrows.length !== expected) problems.push(`the diagram has ${arrows.length} arrows, the JSON's ${messages.length} messages carried ${expected} copies`);
  messages.forEach((m, i) => {
    const mine = arrows.filter((a) => a.message === i + 1);
    if (mine.some((a) => a.from !== m.from || a.to !== m.to)) problems.push(`message ${i + 1}: an arrow between other actors than ${m.from} -> ${m.to}`);
    const ends = mine.filter((a) => a.kind === 'delivered' || a.kind === 'repeated').map((a) => a.at);
    if (JSON.stringify(ends) !== JSON.stringify(m.handled_at)) problems.push(`message ${i + 1}: arrows end at steps [${ends}], the JSON handled it at [${m.handled_at}]`);
    const lost = mine.filter((a) => a.kind === 'lost');
    if ((m.fate === 'lost') !== (lost.length === 1) || (lost.length && lost[0].at !== m.fault_at)) problems.push(`message ${i + 1} (${m.fate}): ${lost.length} lost arrows${lost.length ? ` ending at step ${lost[0].at}` : ''}, the JSON's fault is at step ${m.fault_at}`);
  });
  const cursor = await page.evaluate(() => Number(document.body.dataset.cursor));
  const now = (await page.evaluate(drawnArrows)).filter((a) => a.now);
  const touching = messages.some((m) => m.sent_at === cursor || m.handled_at.includes(cursor) || m.fault_at === cursor);
  if (touching && !now.length) problems.push(`the cursor is on step ${cursor}, which sends, handles or loses a message, but no arrow is marked`);
  return problems;
}

/// What a levels page (`dca explore NN --levels --html`) shows, read in the page: each column's
/// level, steps, the step marked as breaking, and its replay command.
function levelFacts() {
  return [...document.querySelectorAll('section.level')].map((s) => ({
    level: s.dataset.level,
    steps: [...s.querySelectorAll('ol.steps li')].map((li) => li.textContent),
    breaksAt: [...s.querySelectorAll('ol.steps li')].findIndex((li) => li.classList.contains('breaks')) + 1,
    replay: s.querySelector('code.replay')?.textContent ?? '',
    left: Math.round(s.getBoundingClientRect().left),
  }));
}

/// The checks of a levels page against `dca explore NN --levels --format json`: one column per
/// level, side by side, each column's steps those of the JSON, in order.
async function checkLevels(page, report, problems) {
  const columns = await page.evaluate(levelFacts);
  if (columns.length !== report.levels.length) problems.push(`${columns.length} columns, the JSON has ${report.levels.length} levels`);
  if (new Set(columns.map((c) => c.left)).size !== columns.length) problems.push('the levels are not side by side');
  report.levels.forEach((level, i) => {
    const c = columns[i] ?? { steps: [] };
    if (c.level !== level.level) problems.push(`column ${i + 1} is '${c.level}', the JSON's level ${i + 1} is '${level.level}'`);
    if (c.steps.join('\n') !== level.steps.join('\n')) problems.push(`${level.level}: the column's ${c.steps.length} steps are not the JSON's ${level.steps.length}`);
    if (c.breaksAt !== level.breaking_step) problems.push(`${level.level}: the step marked as breaking is ${c.breaksAt}, the JSON names ${level.breaking_step}`);
    if (c.replay !== level.replay) problems.push(`${level.level}: replay '${c.replay}', the JSON's is '${level.replay}'`);
  });
}

/// The checks of one page; returns its problems.
async function checkPage(browser, dir, name, timings) {
  const problems = [];
  const file = path.join(dir, `${name}.html`);
  const report = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const bytes = fs.statSync(file).size;
  if (bytes > pageBytesMax) problems.push(`the page is ${bytes} bytes (over ${pageBytesMax})`);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    if (req.url().startsWith('file://') || req.url().startsWith('data:')) return req.continue();
    problems.push(`network request to ${req.url()}`);
    return req.abort('blockedbyclient');
  });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  if (name.endsWith('-levels')) {
    await checkLevels(page, report, problems);
    await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
    await page.close();
    return problems;
  }
  let facts = await page.evaluate(pageFacts);
  timings.push(`${name}: ${(bytes / 1024).toFixed(1)} KB, loaded in ${facts.loadMs.toFixed(0)} ms`);
  const clean = report.outcome === 'clean';
  if (!clean && facts.rows !== report.trace.length) problems.push(`${facts.rows} rows, but the explorer's trace has ${report.trace.length} steps`);
  if (clean && (facts.rows === 0 || !/Clean/.test(facts.verdict))) problems.push(`a clean run must say so and show one schedule (verdict '${facts.verdict}', ${facts.rows} rows)`);
  if (facts.breaksAt !== report.breaking_step) problems.push(`the row marked as breaking is ${facts.breaksAt}, the explorer's JSON names step ${report.breaking_step}`);
  if (!clean && !facts.replay.endsWith(`--replay ${report.schedule}`)) problems.push(`replay '${facts.replay}' does not end with the JSON's schedule ${report.schedule}`);
  if (!facts.invariant.trim()) problems.push('no invariant shown');
  if (facts.cursor !== 1 || facts.cursorRow !== 1) problems.push(`the cursor starts at ${facts.cursor} (row ${facts.cursorRow}), not 1`);
  const target = clean ? Math.min(2, facts.rows) : report.breaking_step;
  await press(page, 'ArrowRight', target - 1);
  facts = await page.evaluate(pageFacts);
  if (facts.cursor !== target || facts.cursorRow !== target) problems.push(`after ${target - 1} presses of ArrowRight the cursor is at ${facts.cursor} (row ${facts.cursorRow}), not ${target}`);
  if (!clean && !/invariant is broken/.test(facts.at)) problems.push(`the panel at the breaking step says '${facts.at}'`);
  const step = report.trace[target - 1] ?? {};
  if (step.line > 0 && !step.path?.startsWith('/usr/') && !facts.code.trimStart().startsWith(`${step.line} `)) problems.push(`the code under the cursor marks '${facts.code}', not line ${step.line}`);
  if (step.mailboxes && facts.mailboxes === null) problems.push('an actor run without its mailboxes');
  problems.push(...(await checkMessages(page, report)));
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true });
  await press(page, 'ArrowLeft', 1);
  facts = await page.evaluate(pageFacts);
  if (target > 1 && facts.cursor !== target - 1) problems.push(`ArrowLeft left the cursor at ${facts.cursor}, not ${target - 1}`);
  await page.close();
  return problems;
}

/// The load time of a page with one paragraph, to read the pages' figures against.
async function plainPageMs(browser, dir) {
  const file = path.join(dir, 'baseline-plain.html');
  fs.writeFileSync(file, '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>plain</title></head><body><p>A plain page.</p></body></html>\n');
  const page = await browser.newPage();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  const ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
  await page.close();
  return ms;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const require = createRequire(path.join(path.resolve(args.nodeModules), 'noop.js'));
  const puppeteer = require('puppeteer-core');
  const profile = fs.mkdtempSync(path.join(path.resolve(args.dir), 'chromium-'));
  const browser = await puppeteer.launch({
    executablePath: args.chromium, headless: true, userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
  });
  let failed = 0;
  const timings = [];
  try {
    timings.push(`baseline, a plain page: loaded in ${(await plainPageMs(browser, args.dir)).toFixed(0)} ms`);
    for (const name of args.names) {
      let problems;
      try { problems = await checkPage(browser, args.dir, name, timings); } catch (e) { problems = [`could not check: ${e.message}`]; }
      fs.writeFileSync(path.join(args.dir, `${name}.result`), problems.length ? problems.join('\n') + '\n' : 'ok\n');
      console.log(`${name}: ${problems.length ? 'FAILED\n  ' + problems.join('\n  ') : 'ok'}`);
      if (problems.length) ++failed;
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(timings.join('\n'));
  console.log(`${args.names.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => { console.error(e.stack || String(e)); process.exitCode = 1; });
