import { test, expect } from '@playwright/test';
import { shopURL } from '../env';

// The admin's wasm is split: the login page and the dashboard load the main module only, and
// the editor's code arrives as its own module when an editor is first opened, whether by a
// link inside the admin (client-side navigation) or by loading the editor's address directly
// (hydration waits for the module).

const EMAIL = 'editor@harborandpine.example';
const PASSWORD = 'vitrine-demo';

test('the login page and the dashboard load the main module; the editor loads its own', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: shopURL });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const wasm: string[] = [];
  page.on('request', (r) => {
    const m = new URL(r.url()).pathname.match(/^\/pkg\/(.+\.wasm)$/);
    if (m) wasm.push(m[1]);
  });

  await page.goto('/admin/login');
  await expect(page.locator('button[type=submit]')).toBeEnabled({ timeout: 20_000 });
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/admin$/);
  const home = page.locator('a[href^="/admin/pages/"]').first();
  await expect(home).toBeVisible({ timeout: 20_000 });
  expect([...new Set(wasm)]).toEqual(['vitrine.wasm']);

  // A link from the dashboard: the router fetches the editor's module, then shows the editor.
  await home.click();
  await expect(page).toHaveURL(/\/admin\/pages\/\d+$/);
  await expect(page.locator('[data-testid=connection][data-state=connected]')).toBeVisible({ timeout: 20_000 });
  await expect(page.locator('[data-testid=canvas] [data-block-id]').first()).toBeVisible();
  const editorModules = wasm.filter((f) => f.startsWith('split_editor_view_'));
  expect(editorModules).toHaveLength(1);
  expect(wasm.some((f) => f.startsWith('split_configurator_view_'))).toBe(false);

  // The editor's address loaded directly: the server's HTML asks the browser to preload the
  // editor's module, and hydration waits for it instead of failing on the server's HTML.
  wasm.length = 0;
  await page.reload();
  await expect(page.locator(`head link[rel=preload][href="/pkg/${editorModules[0]}"]`)).toHaveCount(1);
  await expect(page.locator('[data-testid=connection][data-state=connected]')).toBeVisible({ timeout: 20_000 });
  expect(wasm).toContain('vitrine.wasm');
  expect(wasm).toContain(editorModules[0]);
  // Hydrated, not just rendered: the editor reacts to a click.
  const block = page.locator('[data-testid=canvas] [data-edit-id]').first();
  await block.click();
  await expect(block).toHaveAttribute('data-selected', 'true');

  expect(errors).toEqual([]);
  await context.close();
});
