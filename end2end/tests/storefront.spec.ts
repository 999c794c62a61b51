import { test, expect, Page } from '@playwright/test';

// Watches a page for console errors, failed requests and any wasm download.
function watch(page: Page) {
  const problems: string[] = [];
  const wasm: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    // A navigation cancels requests still in flight (the favicon, say): not a failure.
    if (!req.failure()?.errorText.includes('ERR_ABORTED')) problems.push(`request failed: ${req.url()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  page.on('request', (req) => {
    if (req.url().endsWith('.wasm') || req.url().includes('.wasm?')) wasm.push(req.url());
  });
  return { problems, wasm };
}

const homeBlocks = ['hero', 'product_grid', 'columns', 'image', 'rich_text', 'divider', 'gallery', 'spacer', 'button'];

test('the sample home page shows every seeded block, with no wasm and no errors', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/');
  await expect(page).toHaveTitle('Harbor & Pine — Goods for slow mornings and long walks');
  for (const type of homeBlocks) {
    await expect(page.locator(`[data-block-type="${type}"]`).first(), type).toBeVisible();
  }
  await expect(page.locator('[data-block-type="hero"] h1')).toHaveText('Goods for slow mornings and long walks');
  await expect(page.locator('[data-block-id="home-featured"] a[data-product-handle]')).toHaveCount(4);
  // The stylesheet applied: the hero has the theme's primary colour behind it.
  const heroBg = await page.locator('[data-block-type="hero"] section').evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(heroBg).toBe('rgb(31, 77, 58)');
  // Images loaded (local files, no network).
  const broken = await page.locator('img').evaluateAll((imgs) =>
    (imgs as HTMLImageElement[]).filter((i) => i.complete && i.naturalWidth === 0).map((i) => i.src),
  );
  expect(broken).toEqual([]);
  await page.screenshot({ path: 'end2end/test-results/home.png', fullPage: true });
  expect(seen.problems).toEqual([]);
  expect(seen.wasm).toEqual([]);
  expect(await page.locator('script').count()).toBe(0);
});

test('a product page from the grid', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/');
  await page.locator('[data-block-id="home-featured"] a[data-product-handle]').first().click();
  await expect(page).toHaveURL(/\/products\/ceramic-mug$/);
  await expect(page).toHaveTitle('Ceramic Mug · Harbor & Pine');
  for (const type of ['product_detail', 'product_grid']) {
    await expect(page.locator(`[data-block-type="${type}"]`).first(), type).toBeVisible();
  }
  await expect(page.locator('[data-block-type="product_detail"] h1')).toHaveText('Ceramic Mug');
  await expect(page.locator('[data-price]')).toHaveText('€24.00');
  await expect(page.getByRole('button', { name: 'Add to cart' })).toBeEnabled();
  await page.screenshot({ path: 'end2end/test-results/product.png', fullPage: true });
  expect(seen.problems).toEqual([]);
  expect(seen.wasm).toEqual([]);
});

test('navigation reaches the about page and the catalogue, and unknown pages are 404', async ({ page }) => {
  const seen = watch(page);
  await page.goto('/');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' }).click();
  await expect(page).toHaveURL(/\/pages\/about$/);
  for (const type of ['rich_text', 'image', 'columns', 'button']) {
    await expect(page.locator(`[data-block-type="${type}"]`).first(), type).toBeVisible();
  }
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Shop' }).click();
  await expect(page.locator('a[data-product-handle]')).toHaveCount(13); // twelve for sale, a canoe to rent
  expect(seen.problems).toEqual([]);
  const res = await page.goto('/pages/does-not-exist');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'This page does not exist' })).toBeVisible();
});
