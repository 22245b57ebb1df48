#!/usr/bin/env node
// Opens the built deck in headless Chromium (Debian's /usr/bin/chromium, driven by puppeteer-core),
// walks it slide by slide with the arrow key as a presenter would, and fails on anything an audience
// would see go wrong: console or page errors, any request that is not file:// (the deck must work
// offline), code that scrolls, leaves the slide or is shrunk below the minimum size, tables that
// scroll or leave the slide, content that runs off the slide, slides without speaker notes, text or
// code that is hidden, transparent or the colour of its background, body and figure text below the
// minimum size, characters no font on this machine has (an empty box on screen), a theme other than
// the one the deck names, and a deck that was not rebuilt after its inputs changed.
// Saves one screenshot per slide, named by section, for a reviewer to look at.
//
// usage: browser-test.mjs --html DECK.html --manifest DECK.manifest.json --out DIR
//                         [--pdf DECK.pdf] [--min-code-px 16] [--min-text-px 16] [--chromium PATH]
//                         [--expect-failure REGEX]
// --expect-failure inverts the verdict, for decks that are bad on purpose: it passes only if the
// deck fails and some failure message matches REGEX.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { sha256 } from './preprocess.mjs';

function parseArgs(argv) {
  const a = { minCodePx: 16, minTextPx: 16, minContrast: 2, chromium: process.env.CHROME_PATH || '/usr/bin/chromium' };
  for (let i = 0; i < argv.length; ++i) {
    const v = () => argv[++i];
    switch (argv[i]) {
      case '--html': a.html = v(); break;
      case '--manifest': a.manifest = v(); break;
      case '--out': a.out = v(); break;
      case '--pdf': a.pdf = v(); break;
      case '--min-code-px': a.minCodePx = Number(v()); break;
      case '--min-text-px': a.minTextPx = Number(v()); break;
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

// Runs in the page: every piece of text on the active slide must be visible (no display:none,
// visibility:hidden, or opacity near 0, on it or an ancestor), stand out from its background, and be
// at least minTextPx as rendered (figure text after the SVG is scaled). Code is sized by inspectSlide.
// Returns the problems and the slide's text, whose characters the caller checks against the fonts.
function inspectText({ index, minTextPx, minContrast }) {
  const problems = [];
  const section = document.querySelectorAll('svg[data-marpit-svg]')[index]?.querySelector('section');
  if (!section) return { problems, text: '', theme: null };
  const scale = section.getBoundingClientRect().width / section.offsetWidth;
  const rgba = (c) => { const m = /rgba?\(([^)]+)\)/.exec(c); if (!m) return null; const v = m[1].split(/[\s,/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v[3] ?? 1]; };
  const over = (fg, bg) => [0, 1, 2].map((k) => fg[k] * fg[3] + bg[k] * (1 - fg[3]));
  const luminance = (rgb) => { const c = rgb.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const background = (el) => { // the backgrounds up the tree, composited down to the first opaque one (or white)
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((bg, c) => over(c, bg), [255, 255, 255]);
  };
  const opacity = (el) => { let o = 1; for (let e = el; e && e !== section.parentElement; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const hiddenWhy = (el) => {
    if (!el.getClientRects().length) return 'display:none';
    if (getComputedStyle(el).visibility !== 'visible') return 'visibility:hidden';
    const o = opacity(el);
    return o < 0.4 ? `opacity ${o.toFixed(2)}` : null;
  };
  const seen = new Set();
  const once = (kind, msg) => { if (!seen.has(kind)) { seen.add(kind); problems.push(msg); } };
  [...section.querySelectorAll('pre, marp-pre')].forEach((pre, k) => {
    const why = hiddenWhy(pre);
    if (why) once(`code${k}`, `code block ${k + 1} is not visible (${why})`);
  });
  let text = '';
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const words = n.textContent.replace(/\s+/g, ' ').trim();
    const el = n.parentElement;
    if (!words || el.closest('style, script, title, desc, defs')) continue;
    text += n.textContent;
    const quote = `"${words.slice(0, 30)}"`;
    const inCode = !!el.closest('pre, marp-pre');
    const why = hiddenWhy(el);
    if (why) { once(inCode ? 'hidden-code' : 'hidden', `${inCode ? 'code' : 'text'} ${quote} is not visible (${why})`); continue; }
    const cs = getComputedStyle(el);
    const isSvg = el instanceof SVGElement;
    // Rendered size: the CSS size times every scale on the way to the screen (marp's auto-scaling,
    // an SVG's viewBox), in slide pixels.
    const box = el.getBoundingClientRect();
    const stretch = isSvg ? (el.getBBox?.().height ? box.height / el.getBBox().height : 1) : (el.offsetWidth ? box.width / el.offsetWidth : 1);
    const size = (parseFloat(cs.fontSize) * stretch) / scale;
    if (!inCode && size < minTextPx - 0.05) once(isSvg ? 'figure-size' : 'size', `${isSvg ? 'figure text' : 'text'} ${quote} at ${size.toFixed(1)}px (< ${minTextPx}px)`);
    if (isSvg) continue; // an SVG's background is a sibling shape, not an ancestor
    const fg = rgba(cs.color);
    if (!fg) continue;
    const bg = background(el);
    const [l1, l2] = [luminance(over(fg, bg)), luminance(bg)];
    const contrast = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (contrast < minContrast) once(inCode ? 'contrast-code' : 'contrast', `${inCode ? 'code' : 'text'} ${quote} is ${cs.color} on rgb(${bg.map(Math.round).join(', ')}): contrast ${contrast.toFixed(2)} (< ${minContrast}), nearly the colour of its background`);
  }
  return { problems, text, theme: section.dataset.theme ?? null };
}

// Characters of `text` that no font on this machine has: Chromium draws them as empty boxes.
// Chromium finds fonts through fontconfig, so fc-list answers for it.
const fontHas = new Map();
function missingGlyphs(text) {
  const missing = [];
  for (const ch of new Set(text)) {
    const cp = ch.codePointAt(0);
    if (cp < 0x80 || /[\p{Cc}\p{Cf}\p{Z}\p{M}]/u.test(ch)) continue;
    if (!fontHas.has(cp)) {
      const r = spawnSync('fc-list', [`:charset=${cp.toString(16)}`, 'family'], { encoding: 'utf8' });
      if (r.error || r.status !== 0) throw new Error(`fc-list (fontconfig) did not run (${r.error?.message ?? `exit ${r.status}`}): it is needed to check glyphs`);
      fontHas.set(cp, r.stdout.trim() !== '');
    }
    if (!fontHas.get(cp)) missing.push(`'${ch}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`);
  }
  return missing;
}

// A deck that was not rebuilt: an input (deck.md, an included file, the theme) changed after the
// build hashed it, or the PDF is older than the manifest (its step failed or did not run).
function staleness(args, manifest) {
  const rebuild = 'rebuild the deck (cmake --build <build> --target slides) before testing it';
  if (!manifest.inputs || !manifest.build_id) return [`${args.manifest} has no input hashes: it is from an older build; ${rebuild}`];
  const problems = [];
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    const now = fs.existsSync(file) ? sha256(file) : null;
    if (now !== hash) problems.push(`deck.html is stale: ${file} ${now ? 'changed' : 'is gone'} after the deck was built; ${rebuild}`);
  }
  if (args.pdf && fs.existsSync(args.pdf) && fs.statSync(args.pdf).mtimeMs < fs.statSync(args.manifest).mtimeMs) {
    problems.push(`deck.pdf is older than ${path.basename(args.manifest)}: the PDF step failed or did not run; ${rebuild}`);
  }
  return problems;
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

async function launch(args, profile) {
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    userDataDir: profile,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions'],
  });
  const flags = browser.process()?.spawnargs ?? [];
  console.log(`chromium: ${args.chromium} ${await browser.version()}`);
  console.log(`flags: ${flags.filter((f) => /^--(headless|no-sandbox|disable-gpu|disable-background-networking|disable-component-update|disable-sync|no-first-run|user-data-dir)/.test(f)).join(' ')}`);
  return browser;
}

/// Every request that is not a local file is blocked and reported, as are console errors, page
/// errors and failed requests; `at()` says which slide was showing.
async function watchPage(page, global, at) {
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
}

/// The deck as a whole: built from this manifest, with as many slides and code blocks as deck.md.
/// Returns the number of slides.
async function checkDeck(page, manifest, global) {
  const built = await page.evaluate(() => document.querySelector('[data-deck-build]')?.dataset.deckBuild ?? null);
  if (built !== manifest.build_id) global.push(`deck.html is stale: it was built from another deck.md (build ${built ?? 'unmarked'}, the manifest says ${manifest.build_id}): the marp step failed or did not run; rebuild the deck (cmake --build <build> --target slides) before testing it`);
  const total = await page.evaluate(() => document.querySelectorAll('svg[data-marpit-svg]').length);
  const expected = manifest.slides.length;
  if (total !== expected) global.push(`deck has ${total} slides, but deck.md has ${expected}`);
  const preCount = await page.evaluate(() => document.querySelectorAll('pre, marp-pre').length);
  if (preCount !== manifest.code_blocks) global.push(`deck shows ${preCount} code blocks, but deck.md has ${manifest.code_blocks} (a selector that finds nothing would pass anything)`);
  return total;
}

/// Everything wrong with the slide on screen: layout and code (inspectSlide), text (inspectText),
/// characters without a font, the theme, and its number of code blocks.
async function checkSlide(page, i, args, manifest) {
  // Two frames so the auto-scaling custom elements have laid out.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const facts = await page.evaluate(inspectSlide, { index: i, minCodePx: args.minCodePx });
  const text = await page.evaluate(inspectText, { index: i, minTextPx: args.minTextPx, minContrast: args.minContrast });
  facts.problems.push(...text.problems);
  const missing = missingGlyphs(text.text);
  if (missing.length) facts.problems.push(`no font on this machine has ${missing.join(', ')}: it shows as an empty box; remove it, or install a Debian font that has it (fc-list ':charset=HEX' finds none)`);
  const theme = text.theme ?? 'default';
  if (theme !== (manifest.theme ?? 'none')) facts.problems.push(manifest.theme ? `the deck names theme '${manifest.theme}', but marp rendered '${theme}' (a theme marp does not know, or one the build overrides)` : `the deck names no theme (front matter 'theme:'), so the build picks one silently ('${theme}')`);
  const want = manifest.slides[i];
  if (want && facts.codes.length !== want.code_blocks) facts.problems.push(`shows ${facts.codes.length} code blocks, deck.md has ${want.code_blocks}`);
  return facts;
}

/// A contact sheet of every slide, with its verdict, for a reviewer: index.html and one PNG.
async function writeContactSheet(browser, shots, shotsTaken) {
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
}

function checkPdf(pdf, manifest, global) {
  const { pages, notes, bytes } = pdfFacts(pdf);
  if (pages !== manifest.slides.length) global.push(`PDF has ${pages} pages, deck.md has ${manifest.slides.length} slides`);
  else if (notes < pages) global.push(`PDF has speaker notes on ${notes} of ${pages} pages`);
  else console.log(`pdf: ${pages} pages, ${notes} with speaker notes, ${(bytes / 1024).toFixed(0)} KB`);
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
  const global = staleness(args, manifest);
  let current = -1; // slide being looked at, for messages from the page (-1: loading the deck)
  const at = () => (current < 0 ? 'loading the deck' : `slide ${current + 1}`);
  const browser = await launch(args, profile);
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720, deviceScaleFactor: 1 });
    await watchPage(page, global, at);
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.evaluate(() => document.fonts.ready);
    // The on-screen controls appear on mouse or key activity: keep them out of the screenshots.
    await page.addStyleTag({ content: '.bespoke-marp-osc { display: none !important; }' });
    const total = await checkDeck(page, manifest, global);

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
      const facts = await checkSlide(page, i, args, manifest);
      const want = manifest.slides[i];
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
    await writeContactSheet(browser, shots, shotsTaken);

    if (measured !== manifest.code_blocks) global.push(`measured ${measured} code blocks, deck.md has ${manifest.code_blocks}`);
    // Let late errors (timers, lazy loads) arrive before judging.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }

  if (args.pdf) checkPdf(args.pdf, manifest, global);
  const all = [...global, ...failures];
  for (const problem of all) console.log(`FAIL: ${problem}`);
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
