import { test, expect } from '@playwright/test';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import WebSocket from 'ws';
import { apiURL } from '../env';

// A reviewer without a login opens a preview link in Chromium: the draft shows under a
// banner, and when an editor changes the draft the open page reloads itself.

test('a preview link shows the draft and follows its changes', async ({ page, playwright }) => {
  const api = await playwright.request.newContext({ baseURL: apiURL });
  const login = await api.post('/api/v1/session', {
    data: { email: 'editor@harborandpine.example', password: 'vitrine-demo' },
  });
  expect(login.status()).toBe(200);
  const cookie = (login.headers()['set-cookie'] ?? '').split(';')[0];
  const pages = await (await api.get('/api/v1/shops/demo/pages', { headers: { Cookie: cookie } })).json();
  const about = pages.pages.find((p: { slug: string }) => p.slug === 'about');
  const link = await (
    await api.post(`/api/v1/pages/${about.id}/preview-links`, { headers: { Cookie: cookie }, data: { ttl_seconds: 900 } })
  ).json();
  expect(link.url).toMatch(/^http:\/\/demo\.localhost:\d+\/preview\//);

  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const response = await page.goto(link.url);
  expect(response?.headers()['x-robots-tag']).toBe('noindex');
  await expect(page).toHaveURL(new RegExp(`/preview/p/${about.id}$`));
  await expect(page.locator('[data-preview-banner]')).toContainText('Draft');
  await expect(page.locator('[data-block-id="about-intro"]')).toBeVisible();

  // An editor changes the draft through a stock Yjs client.
  class CookieWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers: { Cookie: cookie } });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(apiURL.replace(/^http/, 'ws') + '/api/v1/pages', `${about.id}/collab`, doc, {
    WebSocketPolyfill: CookieWebSocket as any,
    disableBc: true,
  });
  try {
    await new Promise<void>((resolve) => (provider.synced ? resolve() : provider.once('sync', () => resolve())));
    doc.transact(() => {
      const block = new Y.Map<unknown>();
      block.set('id', 'fresh');
      block.set('type', 'rich_text');
      const props = new Y.Map<unknown>();
      props.set('heading', 'Fresh from the draft');
      props.set('body', new Y.Text('Typed a moment ago.'));
      block.set('props', props);
      doc.getArray('blocks').insert(0, [block]);
    });
    // No reload from the test: the page does it on the server-sent event.
    await expect(page.locator('[data-block-id="fresh"]')).toContainText('Fresh from the draft', { timeout: 5000 });
    await page.screenshot({ path: 'end2end/test-results/preview.png', fullPage: true });
  } finally {
    provider.destroy();
    provider.awareness.destroy();
    doc.destroy();
    await api.dispose();
  }
  // Customers still see the published page.
  const live = await page.goto('/pages/about');
  expect(await live?.text()).not.toContain('Fresh from the draft');
  expect(errors).toEqual([]);
});
