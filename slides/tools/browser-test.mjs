#!/usr/bin/env node
// Opens the built deck in headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core),
// walks it slide by slide with the arrow key as a presenter would, and fails on anything an audience
// would see go wrong: console or page errors, any request that is not file:// (the deck must work
// offline), code that scrolls, leaves the slide or is shrunk below the minimum size, tables that
// scroll or leave the slide, content that runs off the slide, and slides without speaker notes.
// Saves one screenshot per slide, named by section, for a reviewer to look at.
//
// usage: browser-test.mjs --html DECK.html --manifest DECK.manifest.json --out DIR
//                         [--pdf DECK.pdf] [--min-code-px 16] [--chromium PATH] [--expect-failure REGEX]
// --expect-failure inverts the verdict, for decks that are bad on purpose: it passes only if the
// deck fails and some failure message matches REGEX.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

function parseArgs(argv) {
  const a = { minCodePx: 16, chromium: process.env.CHROME_PATH || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; ++i) {
    const v = () => argv[++i];
    switch (argv[i]) {
      case '--html': a.html = v(); break;
      case '--manifest': a.manifest = v(); break;
      case '--out': a.out = v(); break;
      case '--pdf': a.pdf = v(); break;
      case '--min-code-px': a.minCodePx = Number(v()); break;
      case '--chromium': a.chromium = v(); break;
      case '--expect-failure': a.expectFailure = new RegExp(v()); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  for (const k of ['html', 'manifest', 'out']) if (!a[k]) throw new Error(`--${k} is required`);
  return a;
}

const slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'slide';

// Runs in the page: measures the active slide. Returns facts and a list of problems.
function inspectSlide({ index, minCodePx }) {
  const problems = [];
  const svgs = [...document.querySelectorAll('svg[data-marpit-svg]')];
  const svg = svgs[index];
  if (!svg) return { problems: [`slide ${index + 1} does not exist (the deck has ${svgs.length})`], codes: [], tables: 0 };
  if (!svg.classList.contains('bespoke-marp-active')) problems.push('is not the active slide after navigation');
  const section = svg.querySelector('section');
  const sRect = section.getBoundingClientRect();
  const scale = sRect.width / section.offsetWidth; // slide px -> screen px
  const slack = 1.5 * scale;
  const px = (v) => v / scale;
  // Content must end above the bottom padding, where marp puts the footer and the page number.
  const padBottom = parseFloat(getComputedStyle(section).paddingBottom) * scale;
  const bottom = sRect.bottom - Math.max(0, padBottom - 12 * scale);
  const outside = (r) => r.left < sRect.left - slack || r.top < sRect.top - slack || r.right > sRect.right + slack || r.bottom > bottom + slack;
  const describe = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(/\s+/)[0] : ''}`;

  // Code: marp turns <pre is="marp-pre"> into <marp-pre> at runtime and shrinks wide code inside a
  // shadow-DOM svg instead of letting it overflow. So look for both, and measure the font size as
  // rendered: computed size times how much the block was scaled down.
  const codes = [];
  for (const pre of section.querySelectorAll('pre, marp-pre')) {
    const code = pre.querySelector('code') || pre;
    const computed = parseFloat(getComputedStyle(code).fontSize);
    const rect = code.getBoundingClientRect();
    const shrink = code.offsetWidth > 0 ? rect.width / (code.offsetWidth * scale) : 1;
    const rendered = computed * shrink;
    codes.push(Number(rendered.toFixed(1)));
    const lines = code.textContent.replace(/\n$/, '').split('\n').length;
    if (rendered < minCodePx - 0.05) problems.push(`code shrunk to ${rendered.toFixed(1)}px (< ${minCodePx}px; ${lines} line${lines === 1 ? '' : 's'}, longest ${Math.max(...code.textContent.split('\n').map((l) => l.length))} chars)`);
    if (pre.scrollWidth > pre.clientWidth + 1 || pre.scrollHeight > pre.clientHeight + 1) problems.push(`code scrolls: ${pre.scrollWidth}x${pre.scrollHeight} in ${pre.clientWidth}x${pre.clientHeight}`);
    if (outside(pre.getBoundingClientRect())) problems.push('code leaves the slide');
  }

  // Tables (interleavings): no scrolling, inside the slide, cells readable.
  const tables = [...section.querySelectorAll('table')];
  for (const t of tables) {
    const r = t.getBoundingClientRect();
    if (t.scrollWidth > t.clientWidth + 1) problems.push(`table scrolls: ${t.scrollWidth}x${t.scrollHeight} in ${t.clientWidth}x${t.clientHeight}`);
    if (outside(r)) problems.push(`table leaves the slide (${Math.round(px(r.right - sRect.left))}x${Math.round(px(r.bottom - sRect.top))} on ${section.offsetWidth}x${section.offsetHeight})`);
    for (const cell of t.querySelectorAll('td, th')) {
      if (!cell.textContent.trim()) continue;
      const size = parseFloat(getComputedStyle(cell).fontSize) * (cell.getBoundingClientRect().width / (cell.offsetWidth * scale) || 1);
      if (size < minCodePx - 0.05) { problems.push(`table text at ${size.toFixed(1)}px (< ${minCodePx}px)`); break; }
    }
  }

  // Everything else: nothing may run off the slide (marp clips it silently).
  for (const el of section.querySelectorAll('*')) {
    if (el.closest('pre, marp-pre, table, header, footer')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (outside(r)) {
      problems.push(`${describe(el)} "${(el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 40)}" runs off the slide or into the footer (bottom at ${Math.round(px(r.bottom - sRect.top))}px, limit ${Math.round(px(bottom - sRect.top))}px; right at ${Math.round(px(r.right - sRect.left))}px of ${section.offsetWidth}px)`);
      break;
    }
  }

  // Broken images would be requests; broken inline figures are empty svgs.
  for (const fig of section.querySelectorAll('.figure svg')) {
    const r = fig.getBoundingClientRect();
    if (r.width < 10 || r.height < 10) problems.push('figure renders empty');
  }

  const note = document.querySelector(`.bespoke-marp-note[data-index="${index}"]`);
  if (!note || !note.textContent.trim()) problems.push('has no speaker notes');

  const title = (section.querySelector('h1, h2')?.textContent || '').trim();
  return { problems, codes, tables: tables.length, title, size: [section.offsetWidth, section.offsetHeight] };
}

// Pages and note annotations in the PDF. marp (through pdf-lib) keeps the page objects in compressed
// object streams, so a plain text search finds none: inflate every stream first.
function pdfFacts(file) {
  const buf = fs.readFileSync(file);
  const raw = buf.toString('latin1');
  let text = raw;
  const re = /stream\r?\n/g;
  for (let m; (m = re.exec(raw));) {
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) break;
    try { text += zlib.inflateSync(buf.subarray(start, end), { finishFlush: zlib.constants.Z_SYNC_FLUSH }).toString('latin1'); } catch { /* not deflated */ }
    re.lastIndex = end + 9;
  }
  return {
    pages: (text.match(/\/Type\s*\/Page(?![s\w])/g) || []).length,
    notes: (text.match(/\/Subtype\s*\/Text\b/g) || []).length,
    bytes: buf.length,
  };
}

async function run(args) {
  const manifest = JSON.parse(fs.readFileSync(args.manifest, 'utf8'));
  const html = path.resolve(args.html);
  if (!fs.existsSync(html)) throw new Error(`${html} does not exist: build the deck first`);
  const shots = path.join(path.resolve(args.out), 'screenshots');
  fs.rmSync(shots, { recursive: true, force: true });
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(path.resolve(args.out), 'chromium-profile-'));

  const failures = [];
  const global = [];
  let current = -1; // slide being looked at, for messages from the page (-1: loading the deck)
  const at = () => (current < 0 ? 'loading the deck' : `slide ${current + 1}`);
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
  });
  try {
    const flags = browser.process()?.spawnargs ?? [];
    console.log(`chromium: ${args.chromium} ${await browser.version()}`);
    console.log(`flags: ${flags.filter((f) => /^--(headless|no-sandbox|disable-gpu|disable-background-networking|disable-component-update|disable-sync|no-first-run|user-data-dir)/.test(f)).join(' ')}`);
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720, deviceScaleFactor: 1 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url.startsWith('file://') || url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return req.continue();
      global.push(`${at()}: network request to ${url}`);
      return req.abort('blockedbyclient');
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'assert') global.push(`${at()}: console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => global.push(`${at()}: page error: ${err.message}`));
    page.on('requestfailed', (req) => {
      if (!/blocked_?by_?client/i.test(req.failure()?.errorText ?? '')) global.push(`${at()}: request failed: ${req.url()} (${req.failure()?.errorText})`);
    });

    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    // The on-screen controls appear on mouse or key activity: keep them out of the screenshots.
    await page.addStyleTag({ content: '.bespoke-marp-osc { display: none !important; }' });
    const total = await page.evaluate(() => document.querySelectorAll('svg[data-marpit-svg]').length);
    const expected = manifest.slides.length;
    if (total !== expected) global.push(`deck has ${total} slides, but deck.md has ${expected}`);
    const preCount = await page.evaluate(() => document.querySelectorAll('pre, marp-pre').length);
    if (preCount !== manifest.code_blocks) global.push(`deck shows ${preCount} code blocks, but deck.md has ${manifest.code_blocks} (a selector that finds nothing would pass anything)`);

    let measured = 0;
    const shotsTaken = [];
    for (let i = 0; i < total; ++i) {
      current = i;
      if (i > 0) {
        await page.keyboard.press('ArrowRight');
      }
      try {
        await page.waitForFunction((k) => document.querySelectorAll('svg[data-marpit-svg]')[k]?.classList.contains('bespoke-marp-active'), { timeout: 5000 }, i);
      } catch {
        failures.push(`slide ${i + 1}: ArrowRight did not reach it`);
      }
      // Two frames so the auto-scaling custom elements have laid out.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const facts = await page.evaluate(inspectSlide, { index: i, minCodePx: args.minCodePx });
      const want = manifest.slides[i];
      if (want && facts.codes.length !== want.code_blocks) facts.problems.push(`shows ${facts.codes.length} code blocks, deck.md has ${want.code_blocks}`);
      measured += facts.codes.length;
      const section = want?.section ?? 'front';
      const file = `${String(i + 1).padStart(2, '0')}-${slug(section)}-${slug(facts.title).slice(0, 40)}.png`;
      await page.screenshot({ path: path.join(shots, file) });
      shotsTaken.push({ file, ok: facts.problems.length === 0, caption: `${i + 1}. [${section}] ${facts.title}${facts.problems.length ? `: ${facts.problems.join('; ')}` : ''}` });
      const what = [];
      if (facts.codes.length) what.push(`${facts.codes.length} code block${facts.codes.length > 1 ? 's' : ''} at ${facts.codes.map((c) => `${c}px`).join(', ')}`);
      if (facts.tables) what.push(`${facts.tables} table${facts.tables > 1 ? 's' : ''}`);
      const head = `slide ${String(i + 1).padStart(2)}/${total} [${section}] ${facts.title ? `"${facts.title.slice(0, 50)}"` : ''}`;
      if (facts.problems.length) {
        for (const p of facts.problems) failures.push(`slide ${i + 1}: ${p}`);
        console.log(`${head}: FAIL: ${facts.problems.join('; ')}`);
      } else {
        console.log(`${head}: ok${what.length ? ` (${what.join('; ')})` : ''}`);
      }
    }
    // A contact sheet of every slide, with its verdict, for a reviewer: index.html and one PNG.
    const sheet = `<!doctype html><meta charset="utf-8"><title>deck screenshots</title>
<style>body{font:14px sans-serif;margin:12px;background:#eee}div{display:grid;grid-template-columns:repeat(4,1fr);gap:10px}
figure{margin:0;background:#fff;padding:4px}img{width:100%;display:block;border:1px solid #ccc}figcaption{padding:2px}.bad{color:#b00020;font-weight:bold}</style>
<div>${shotsTaken.map((s) => `<figure><img src="${s.file}"><figcaption class="${s.ok ? '' : 'bad'}">${s.caption.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))}</figcaption></figure>`).join('\n')}</div>`;
    fs.writeFileSync(path.join(shots, 'index.html'), sheet);
    const sheetPage = await browser.newPage();
    await sheetPage.setViewport({ width: 1400, height: 800 });
    await sheetPage.goto(pathToFileURL(path.join(shots, 'index.html')).href, { waitUntil: 'load' });
    await sheetPage.screenshot({ path: path.join(shots, 'contact-sheet.png'), fullPage: true });
    await sheetPage.close();

    if (measured !== manifest.code_blocks) global.push(`measured ${measured} code blocks, deck.md has ${manifest.code_blocks}`);
    // Let late errors (timers, lazy loads) arrive before judging.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  if (args.pdf) {
    const { pages, notes, bytes } = pdfFacts(args.pdf);
    if (pages !== manifest.slides.length) global.push(`PDF has ${pages} pages, deck.md has ${manifest.slides.length} slides`);
    else if (notes < pages) global.push(`PDF has speaker notes on ${notes} of ${pages} pages`);
    else console.log(`pdf: ${pages} pages, ${notes} with speaker notes, ${(bytes / 1024).toFixed(0)} KB`);
  }
  const all = [...global, ...failures];
  for (const g of global) console.log(`FAIL: ${g}`);
  console.log(`screenshots: ${shots}`);
  return all;
}

const args = parseArgs(process.argv.slice(2));
const started = Date.now();
run(args).then((problems) => {
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (args.expectFailure) {
    const hit = problems.find((p) => args.expectFailure.test(p));
    if (hit) { console.log(`rejected as expected (${secs} s): ${hit}`); process.exit(0); }
    console.log(`expected a failure matching ${args.expectFailure}, got ${problems.length ? problems.join(' | ') : 'none'} (${secs} s)`);
    process.exit(1);
  }
  if (problems.length) { console.log(`${problems.length} problem${problems.length > 1 ? 's' : ''} (${secs} s)`); process.exit(1); }
  console.log(`all slides ok (${secs} s)`);
}, (err) => { console.error(`browser-test: ${err.stack || err}`); process.exit(args.expectFailure ? 1 : 2); });
