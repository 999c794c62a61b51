import { test, expect, Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { apiURL, port } from '../env';

// A customer buys and rents on the sample shop in Chromium, paying on the test payment
// provider that `vitrine serve` runs in development; the owner sees the orders in the admin
// and records the rental's return. Then the shop's smoke suite runs against the same server.

const EMAIL = 'editor@harborandpine.example';
const PASSWORD = 'vitrine-demo';

/** A date `days` from today as `<input type=date>` takes it. */
function day(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return d.toISOString().slice(0, 10);
}

/** Pays on the stub provider's page and waits for the order confirmation to say paid. */
async function payAndConfirm(page: Page): Promise<string> {
  await expect(page).toHaveURL(/\/_stub\/payments\/pay\//);
  await expect(page.locator('form[data-stub-pay] button')).toBeVisible();
  await page.screenshot({ path: 'end2end/test-results/stub-payment.png', fullPage: true });
  await page.locator('form[data-stub-pay] button').click();
  await expect(page).toHaveURL(/\/orders\//);
  // The webhook may land a moment after the redirect: the pending page refreshes itself.
  await expect(page.locator('[data-order-status]')).toHaveAttribute('data-order-status', 'paid', { timeout: 10_000 });
  return page.url();
}

async function adminLogin(page: Page, next: string) {
  await page.goto(next);
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.locator('button[type=submit]')).toBeEnabled({ timeout: 20_000 });
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
}

test('a customer buys two mugs, changes the quantity, pays, and the owner sees the paid order', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/products/ceramic-mug');
  const sage = await page.locator('select[name=variant_id] option', { hasText: 'Sage' }).getAttribute('value');
  await page.selectOption('select[name=variant_id]', sage!);
  await page.fill('input[name=quantity]', '2');
  await page.getByRole('button', { name: 'Add to cart' }).click();

  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.getByText('Added 2 × Ceramic Mug')).toBeVisible();
  await expect(page.locator('[data-cart-line]')).toHaveCount(1);
  await expect(page.locator('header [data-cart-count]')).toHaveText('2');
  await expect(page.locator('[data-cart-subtotal]')).toContainText('€48.00');

  await page.locator('[data-cart-line] input[name=quantity]').fill('3');
  await page.locator('[data-cart-line]').getByRole('button', { name: 'Update' }).click();
  await expect(page.locator('[data-cart-total]')).toContainText('€72.00');
  await expect(page.locator('header [data-cart-count]')).toHaveText('3');
  await page.screenshot({ path: 'end2end/test-results/cart.png', fullPage: true });

  await page.getByRole('link', { name: 'Checkout' }).click();
  await expect(page).toHaveURL(/\/checkout$/);
  await page.fill('input[name=email]', 'mia@example.com');
  await page.screenshot({ path: 'end2end/test-results/checkout.png', fullPage: true });
  await page.getByRole('button', { name: /Pay €72\.00/ }).click();
  const orderUrl = await payAndConfirm(page);
  await page.screenshot({ path: 'end2end/test-results/order.png', fullPage: true });
  // Paid: the cart is empty again.
  await page.goto('/cart');
  await expect(page.locator('[data-cart-line]')).toHaveCount(0);

  const admin = await browser.newPage();
  await adminLogin(admin, '/admin/shops/demo/orders');
  await expect(admin).toHaveURL(/\/admin\/shops\/demo\/orders$/);
  const row = admin.locator('[data-order-row]').filter({ hasText: 'mia@example.com' });
  await expect(row).toHaveCount(1, { timeout: 20_000 });
  await expect(row.locator('[data-order-status]')).toHaveAttribute('data-order-status', 'paid');
  await admin.screenshot({ path: 'end2end/test-results/admin-orders.png', fullPage: true });
  expect(orderUrl).toContain('/orders/');
  await context.close();
});

test('a customer rents the canoe for three days and the owner records its return', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/products/cedar-canoe');
  await expect(page.getByText('/ day').first()).toBeVisible();
  await page.fill('input[name=start_date]', day(10));
  await page.fill('input[name=end_date]', day(12));
  await page.screenshot({ path: 'end2end/test-results/rental-product.png', fullPage: true });
  await page.getByRole('button', { name: 'Rent' }).click();
  await expect(page).toHaveURL(/\/cart$/);
  await expect(page.locator('[data-cart-line]')).toContainText('3 days');
  await expect(page.locator('[data-cart-total]')).toContainText('€395.00'); // 3 × €65 + €200 deposit
  await page.getByRole('link', { name: 'Checkout' }).click();
  await page.fill('input[name=email]', 'noah@example.com');
  await page.getByRole('button', { name: /Pay €395\.00/ }).click();
  await payAndConfirm(page);

  const admin = await browser.newPage();
  await adminLogin(admin, '/admin/shops/demo/orders');
  const row = admin.locator('[data-order-row]').filter({ hasText: 'noah@example.com' });
  await expect(row).toHaveCount(1, { timeout: 20_000 });
  await row.locator('a').first().click();
  await expect(admin).toHaveURL(/\/admin\/orders\/\d+$/);
  admin.on('dialog', (d) => d.accept());
  await admin.locator('[data-action=return]').click();
  // A confirmation inside the page (not a browser dialog) asks once more.
  const confirm = admin.getByRole('button', { name: /^(Confirm|Record return|Refund)/ });
  if (await confirm.count()) await confirm.first().click();
  await expect(admin.locator('[data-order-status]').first()).toHaveAttribute('data-order-status', 'returned', { timeout: 10_000 });
  await expect(admin.getByText('€200.00').first()).toBeVisible();
  await admin.screenshot({ path: 'end2end/test-results/admin-order-returned.png', fullPage: true });
  await context.close();
});

test('the shop smoke suite passes against this server', async () => {
  const root = path.resolve(__dirname, '..', '..');
  const { stdout } = await promisify(execFile)(
    path.join(root, 'target/debug/vitrine'),
    ['smoke', '--shop', 'demo', '--base', apiURL],
    { cwd: root, env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '', VITRINE_ADDR: `127.0.0.1:${port}`, RUST_LOG: 'warn' }, timeout: 60_000 },
  ).catch((e) => {
    throw new Error(`vitrine smoke failed:\n${e.stdout}\n${e.stderr}`);
  });
  console.log(stdout);
  expect(stdout).toMatch(/0 failed/);
});
