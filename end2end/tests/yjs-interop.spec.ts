import { test, expect } from '@playwright/test';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { apiURL, shopURL } from '../env';

// A stock Yjs client (yjs + y-websocket's WebsocketProvider) joins a page's room with an
// editor's session cookie, sees the draft's blocks, and inserts a block laid out as
// the README's "Collaboration" section says; the block shows up in an editor open in Chromium, in a second client and
// in GET …/draft.

const EMAIL = 'editor@harborandpine.example';
const PASSWORD = 'vitrine-demo';

function cookieSocket(cookie: string) {
  return class CookieWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { Cookie: cookie } });
    }
  };
}

async function synced(provider: WebsocketProvider) {
  if (provider.synced) return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no sync within 5 s')), 5000);
    provider.once('sync', (ok: boolean) => {
      if (ok) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

test('a stock Yjs client joins, reads and inserts a block', async ({ playwright, browser }) => {
  const request = await playwright.request.newContext({ baseURL: apiURL });
  const login = await request.post('/api/v1/session', { data: { email: EMAIL, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const setCookie = login.headers()['set-cookie'] ?? '';
  const cookie = setCookie.split(';')[0];
  expect(cookie).toMatch(/^vitrine_session=/);

  const pages = await (await request.get('/api/v1/shops/demo/pages', { headers: { Cookie: cookie } })).json();
  const about = pages.pages.find((p: { slug: string }) => p.slug === 'about');
  expect(about).toBeTruthy();

  // An editor is open on the page in Chromium.
  const editorContext = await browser.newContext();
  await editorContext.addCookies([{ name: 'vitrine_session', value: cookie.split('=')[1], domain: 'demo.localhost', path: '/' }]);
  const editor = await editorContext.newPage();
  await editor.goto(`${shopURL}/admin/pages/${about.id}`);
  await expect(editor.locator('[data-testid=connection][data-state=connected]')).toBeVisible({ timeout: 20_000 });
  await expect(editor.locator('[data-testid=canvas] [data-block-id=about-intro]')).toBeVisible();

  const server = apiURL.replace(/^http/, 'ws') + '/api/v1/pages';
  const room = `${about.id}/collab`;
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  const opts = { WebSocketPolyfill: cookieSocket(cookie) as any, disableBc: true, maxBackoffTime: 500 };
  const a = new WebsocketProvider(server, room, docA, opts);
  const b = new WebsocketProvider(server, room, docB, opts);
  try {
    await synced(a);
    await synced(b);
    // The draft was seeded from the published About page.
    const ids = docA.getArray<Y.Map<unknown>>('blocks').toArray().map((m) => m.get('id'));
    expect(ids).toContain('about-intro');
    expect(docA.getMap('page').get('slug')).toBe('about');

    docA.transact(() => {
      const block = new Y.Map<unknown>();
      block.set('id', 'yjs-hero');
      block.set('type', 'hero');
      const props = new Y.Map<unknown>();
      const heading = new Y.Text();
      heading.insert(0, 'Hello from ');
      heading.insert(11, 'Yjs', { bold: true });
      props.set('heading', heading);
      props.set('align', 'center');
      block.set('props', props);
      block.set('children', new Y.Array());
      docA.getArray('blocks').insert(0, [block]);
    });

    await expect
      .poll(() => docB.getArray<Y.Map<unknown>>('blocks').toArray().map((m) => m.get('id')), { timeout: 3000 })
      .toContain('yjs-hero');

    await expect(editor.locator('[data-testid=canvas] [data-block-id=yjs-hero] h1')).toHaveText('Hello from Yjs', { timeout: 1000 });

    const draft = await (await request.get(`/api/v1/pages/${about.id}/draft`, { headers: { Cookie: cookie } })).json();
    expect(draft.errors).toEqual([]);
    expect(draft.blocks[0]).toMatchObject({ id: 'yjs-hero', type: 'hero', props: { heading: 'Hello from Yjs', align: 'center' } });
  } finally {
    for (const [p, d] of [[a, docA], [b, docB]] as const) {
      p.destroy();
      p.awareness.destroy();
      d.destroy();
    }
    await request.dispose();
    await editorContext.close();
  }
});
