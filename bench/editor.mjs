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
  const field = tab.locator(`[data-testid=canvas] [data-block-id=b${target}] [data-field=body]`);
  await field.scrollIntoViewIfNeeded();
  await field.click();
  await tab.keyboard.press('End');
  await tab.evaluate((sel) => {
    const w = window;
    w.__lat = { dom: [], frame: [], input: [], handled: [], mutated: [], painted: [] };
    // The moment the field's DOM changes (a MutationObserver runs right after it, where the
    // polling below may notice it a task or a frame later).
    new MutationObserver(() => {
      if (w.__input !== undefined && w.__mutated === undefined) {
        w.__mutated = performance.now();
        const t0 = w.__keydown;
        requestAnimationFrame(() => w.__lat.painted.push(performance.now() - t0));
      }
    }).observe(document.querySelector(sel), { subtree: true, childList: true, characterData: true });
    // Where the time goes: keydown → beforeinput (the browser delivering the input) and
    // beforeinput → DOM updated (the editor's own work).
    document.addEventListener('beforeinput', (e) => { w.__input = e.timeStamp; }, true);
    w.__field = document.querySelector(sel);
    w.__remounted = false;
    document.addEventListener('keydown', (e) => {
      const t0 = e.timeStamp;
      w.__keydown = t0;
      w.__input = undefined;
      w.__mutated = undefined;
      const before = (document.querySelector(sel) ?? {}).textContent;
      const check = () => {
        const el = document.querySelector(sel);
        if (el !== w.__field) w.__remounted = true;
        if (el && el.textContent !== before) {
          el.getBoundingClientRect();
          const now = performance.now();
          w.__lat.dom.push(now - t0);
          if (w.__input !== undefined) {
            w.__lat.input.push(w.__input - t0);
            w.__lat.handled.push(now - w.__input);
          }
          if (w.__mutated !== undefined) w.__lat.mutated.push(w.__mutated - t0);
          requestAnimationFrame(() => w.__lat.frame.push(performance.now() - t0));
        } else if (performance.now() - t0 < 5000) {
          setTimeout(check, 0);
        }
      };
      queueMicrotask(check);
    }, true);
  }, `[data-testid=canvas] [data-block-id=b${target}] [data-field=body]`);

  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  for (let i = 0; i < chars; i++) {
    await tab.keyboard.press(letters[i % letters.length] === ' ' ? 'Space' : letters[i % letters.length]);
    try {
      await tab.waitForFunction((n) => window.__lat.frame.length >= n && window.__lat.painted.length >= n, i + 1, { timeout: 5_000 });
    } catch (e) {
      const text = await tab.evaluate((sel) => document.querySelector(sel)?.textContent, `[data-testid=canvas] [data-block-id=b${target}] [data-field=body]`);
      throw new Error(`keystroke ${i + 1} did not show within 5 s (field: …${String(text).slice(-40)}): ${e.message}`);
    }
  }
  const { dom, frame, input, handled, mutated, painted, remounted, text } = await tab.evaluate((sel) => ({
    ...window.__lat,
    remounted: window.__remounted,
    text: document.querySelector(sel)?.textContent ?? '',
  }), `[data-testid=canvas] [data-block-id=b${target}] [data-field=body]`);
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  };
  const f = (x) => x.toFixed(1).padStart(8);
  console.log(`open the editor on ${blocks} blocks: ${openMs.toFixed(0)} ms (goto → last block on the canvas and connected)`);
  console.log(`${'keystroke latency (ms)'.padEnd(34)}${'p50'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
  console.log(`${'keydown → DOM updated'.padEnd(34)}${f(pct(dom, 50))}${f(pct(dom, 99))}${f(Math.max(...dom))}`);
  console.log(`${'keydown → next frame'.padEnd(34)}${f(pct(frame, 50))}${f(pct(frame, 99))}${f(Math.max(...frame))}`);
  console.log(`${'  keydown → beforeinput'.padEnd(34)}${f(pct(input, 50))}${f(pct(input, 99))}${f(Math.max(...input))}`);
  console.log(`${'keydown → field mutated (observer)'.padEnd(34)}${f(pct(mutated, 50))}${f(pct(mutated, 99))}${f(Math.max(...mutated))}`);
  console.log(`${'keydown → frame after the mutation'.padEnd(34)}${f(pct(painted, 50))}${f(pct(painted, 99))}${f(Math.max(...painted))}`);
  console.log(`${'  beforeinput → DOM updated'.padEnd(34)}${f(pct(handled, 50))}${f(pct(handled, 99))}${f(Math.max(...handled))}`);
  console.log(`keystrokes measured: ${dom.length}; the typed block was ${remounted ? 'REMOUNTED while typing' : 'never remounted'}`);
  if (!text.endsWith(letters.repeat(Math.ceil(chars / letters.length)).slice(0, chars).slice(-10))) {
    console.error(`the field does not end with what was typed: …${text.slice(-40)}`);
    process.exitCode = 1;
  }
} finally {
  // Bounded: a browser that does not close in 10 s is left behind, not waited on forever.
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
}
process.exit();
