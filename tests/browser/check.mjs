// check.mjs: opens an HTML report in Debian's headless Chromium (through playwright-core,
// which drives the installed browser and downloads nothing), and checks what a reader
// would see: the page loads with no console error and no network request, every
// expected plot is in the DOM with a visible size, and the screenshot is not blank.
// Usage: node check.mjs REPORT.html SCREENSHOT.png PLOT_ID...
// Prints one JSON object; exits 0 when every check passes, 1 otherwise, 2 on misuse.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';

const [report, shot, ...ids] = process.argv.slice(2);
if (!report || !shot) {
  console.error('usage: node check.mjs REPORT.html SCREENSHOT.png PLOT_ID...');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { consoleErrors: [], requests: [], missing: [], invisible: [], distinctColours: 0 };
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => result.consoleErrors.push(String(e)));
  const url = pathToFileURL(report).href;
  page.on('request', (r) => { if (r.url() !== url) result.requests.push(r.url()); });
  await page.goto(url, { waitUntil: 'load' });
  for (const id of ids) {
    const box = await page.evaluate((i) => {
      const e = document.getElementById(i);
      if (!e) return null;
      const r = e.getBoundingClientRect();
      return { w: r.width, h: r.height };
    }, id);
    if (!box) result.missing.push(id);
    else if (box.w < 50 || box.h < 50) result.invisible.push(id);
  }
  await page.screenshot({ path: shot, fullPage: true });
  // A blank page is one colour: count the distinct colours of the screenshot by drawing
  // it on a canvas in a fresh page.
  const png = readFileSync(shot).toString('base64');
  const probe = await browser.newPage();
  result.distinctColours = await probe.evaluate(async (data) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + data;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = Math.min(img.width, 1200);
    c.height = Math.min(img.height, 3000);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < px.length && seen.size < 1000; i += 4 * 7)
      seen.add((px[i] << 16) | (px[i + 1] << 8) | px[i + 2]);
    return seen.size;
  }, png);
} finally {
  await browser.close();
}
const ok = result.consoleErrors.length === 0 && result.requests.length === 0 &&
           result.missing.length === 0 && result.invisible.length === 0 &&
           result.distinctColours >= 8;
console.log(JSON.stringify({ ok, ...result }));
process.exit(ok ? 0 : 1);
