// bench/editor's driver: writes a page of N rich-text blocks through a stock Yjs client,
// opens it in the editor in Chromium and types into one block, measuring each keystroke in
// the page. Every wait is bounded.
import { chromium } from 'playwright';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';

const [port, blocksArg, charsArg] = process.argv.slice(2);
const blocks = Number(blocksArg);
const chars = Number(charsArg);
const api = `http://127.0.0.1:${port}`;
const shop = `http://demo.localhost:${port}`;

async function call(path, method, cookie, body) {
  const res = await fetch(api + path, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
    body: body && JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

const login = await call('/api/v1/session', 'POST', null, { email: 'editor@harborandpine.example', password: 'vitrine-demo' });
const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
const page = await (await call('/api/v1/shops/demo/pages', 'POST', cookie, { title: 'Big page', slug: `big-${Date.now()}`, page_type: 'page' })).json();

// The blocks, written as one transaction by a stock Yjs client.
class CookieSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { headers: { Cookie: cookie } });
  }
}
const doc = new Y.Doc();
const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/api/v1/pages`, `${page.id}/collab`, doc, { WebSocketPolyfill: CookieSocket, disableBc: true });
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no sync within 10 s')), 10_000);
  provider.once('sync', () => { clearTimeout(timer); resolve(); });
});
doc.transact(() => {
  const list = doc.getArray('blocks');
  for (let i = 0; i < blocks; i++) {
    const block = new Y.Map();
    block.set('id', `b${i}`);
    block.set('type', 'rich_text');
    const props = new Y.Map();
    const heading = new Y.Text();
    heading.insert(0, `Section ${i}`);
    const body = new Y.Text();
    body.insert(0, `Paragraph ${i}: some words about goods for slow mornings and long walks.`);
    props.set('heading', heading);
    props.set('body', body);
    block.set('props', props);
    list.push([block]);
  }
});
// The server has it once GET …/draft shows every block.
for (let i = 0; ; i++) {
  const draft = await (await call(`/api/v1/pages/${page.id}/draft`, 'GET', cookie)).json();
  if ((draft.blocks ?? []).length >= blocks) break;
  if (i > 100) throw new Error('the blocks did not reach the server');
  await new Promise((r) => setTimeout(r, 100));
}
provider.destroy();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.addCookies([{ name: 'vitrine_session', value: cookie.split('=')[1], domain: 'demo.localhost', path: '/' }]);
  const tab = await context.newPage();
  const opened = performance.now();
  await tab.goto(`${shop}/admin/pages/${page.id}`);
  const last = tab.locator(`[data-testid=canvas] [data-block-id=b${blocks - 1}]`);
  await last.waitFor({ timeout: 60_000 });
  await tab.locator('[data-testid=connection][data-state=connected]').waitFor({ timeout: 60_000 });
  const openMs = performance.now() - opened;

  const target = Math.floor(blocks / 2);
  const sel = `[data-testid=canvas] [data-block-id=b${target}] [data-field=body]`;
  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  const typed = letters.repeat(Math.ceil(chars / letters.length)).slice(0, chars);

  // The baseline: the same page's DOM and styles with no script at all, so the same field is
  // a bare contenteditable the browser edits natively. Whatever the baseline pays (input
  // delivery, waiting for the next frame, style, layout and paint of this DOM), the editor
  // pays too; the difference is the editor's own cost.
  const html = (await tab.content())
    .replace(/<script\b[\s\S]*?<\/script>/gi, '')
    .replace(/<link\b[^>]*rel="(?:modulepreload|preload)"[^>]*>/gi, '');
  const base = await context.newPage();
  await base.route(`${shop}/bench-baseline`, (route) => route.fulfill({ body: html, contentType: 'text/html' }));
  await base.goto(`${shop}/bench-baseline`);

  const results = [
    ['editor, keys right after a frame', await typeInto(tab, sel, 'locked')],
    ['editor, keys at random times', await typeInto(tab, sel, 'random')],
    ['no script (same DOM), random times', await typeInto(base, sel, 'random')],
  ];

  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const f = (x) => (x === undefined ? '-' : x.toFixed(1)).padStart(8);
  const row = (label, xs) => console.log(`${label.padEnd(40)}${f(pct(xs, 50))}${f(pct(xs, 99))}${f(Math.max(...xs))}`);
  console.log(`open the editor on ${blocks} blocks: ${openMs.toFixed(0)} ms (goto → last block on the canvas and connected)`);
  for (const [name, r] of results) {
    console.log(`\n${name}: ${r.mutated.length} keystrokes (ms)${''.padEnd(Math.max(0, 40 - name.length - 25))}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
    row('  keydown → field changed', r.mutated);
    row('  keydown → next frame starts', r.frame);
    row('  keydown → that frame rendered', r.painted);
    row('  work: change + rendering the frame', r.work);
    console.log(`  browser's Event Timing: keystrokes whose next paint came ≥ 16 ms after the key: ${r.slow}/${r.mutated.length}`);
  }
  const [locked, random, bare] = results.map((x) => x[1]);
  console.log(`\nthe editor's own cost per keystroke (random times, p99 minus the no-script page's p99): ` +
    `keydown → rendered ${(pct(random.painted, 99) - pct(bare.painted, 99)).toFixed(1)} ms; ` +
    `work ${(pct(random.work, 99) - pct(bare.work, 99)).toFixed(1)} ms`);
  console.log(`the typed block was ${locked.remounted || random.remounted ? 'REMOUNTED while typing' : 'never remounted'}`);
  const text = await tab.evaluate((s) => document.querySelector(s)?.textContent ?? '', sel);
  if (!text.endsWith(typed + typed)) {
    console.error(`the field does not end with what was typed: …${text.slice(-40)}`);
    process.exitCode = 1;
  }

  // Types `chars` characters into the field `sel` of `page`, one key at a time, and returns
  // per-keystroke timings taken in the page. `phase`: 'locked' sends each key just after a
  // frame (Playwright's waits poll on animation frames, so a key sent after one lands right
  // after a frame and waits most of a frame for the next); 'random' waits 0–17 ms first, so
  // keys land anywhere in the 60 Hz frame.
  async function typeInto(page, sel, phase) {
    // A tab in the background gets an animation frame a second.
    await page.bringToFront();
    const field = page.locator(sel);
    await field.scrollIntoViewIfNeeded();
    await field.click();
    await page.keyboard.press('Control+End');
    await page.evaluate((sel) => {
      const w = window;
      w.__lat = { mutated: [], frame: [], painted: [], work: [], slow: 0 };
      w.__field = document.querySelector(sel);
      w.__remounted = false;
      // A page typed into before keeps one set of observers: the last pass's.
      w.__observers?.forEach((o) => o.disconnect());
      w.__observers = [];
      // Event Timing: the browser's own input → next paint, for keystrokes of 16 ms or more.
      const timing = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.name === 'keydown' && e.duration >= 16) w.__lat.slow += 1;
      });
      timing.observe({ type: 'event', durationThreshold: 16 });
      w.__observers.push(timing);
      // The field's DOM changed (the editor's handler, or the browser's own edit, is done):
      // the next animation frame starts, and a task posted from it runs once that frame's
      // style, layout and paint are done.
      const changes = new MutationObserver(() => {
        if (w.__keydown === undefined || w.__seen) return;
        w.__seen = true;
        const t0 = w.__keydown;
        const changed = performance.now();
        if (document.querySelector(sel) !== w.__field) w.__remounted = true;
        requestAnimationFrame(() => {
          const frame = performance.now();
          const channel = new MessageChannel();
          channel.port1.onmessage = () => {
            const painted = performance.now();
            w.__lat.mutated.push(changed - t0);
            w.__lat.frame.push(frame - t0);
            w.__lat.painted.push(painted - t0);
            w.__lat.work.push(changed - t0 + (painted - frame));
          };
          channel.port2.postMessage(null);
        });
      });
      changes.observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true });
      w.__observers.push(changes);
      if (!w.__keys) {
        w.__keys = true;
        document.addEventListener('keydown', (e) => {
          w.__keydown = e.timeStamp;
          w.__seen = false;
        }, true);
      }
    }, sel);
    for (let i = 0; i < chars; i++) {
      if (phase === 'random') await new Promise((r) => setTimeout(r, Math.random() * 17));
      const key = typed[i] === ' ' ? 'Space' : typed[i];
      await page.keyboard.press(key);
      try {
        await page.waitForFunction((n) => window.__lat.painted.length >= n, i + 1, { timeout: 5_000 });
      } catch (e) {
        const text = await page.evaluate((s) => document.querySelector(s)?.textContent, sel);
        throw new Error(`keystroke ${i + 1} did not show within 5 s (field: …${String(text).slice(-40)}): ${e.message}`);
      }
    }
    // Event Timing entries arrive after the paint they measure.
    await page.waitForTimeout(200);
    return page.evaluate(() => ({ ...window.__lat, remounted: window.__remounted }));
  }
} finally {
  // Bounded: a browser that does not close in 10 s is left behind, not waited on forever.
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
}
process.exit();
