import { test, expect, Page } from '@playwright/test';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { port } from '../env';

// A new owner (an account without any shop) runs the configurator in Chromium: names the
// shop, changes its primary colour and sees it in the live preview, keeps the core pages,
// adds header and footer links and a stage host, creates the shop, launches it to stage
// from its launch page and opens the storefront on the stage host. The whole journey is
// timed; every wizard step is screenshotted into end2end/test-results.

const root = path.resolve(__dirname, '..', '..');
const EMAIL = 'new-owner@fernandflint.example';
const PASSWORD = 'configurator-e2e-1';
const NAME = 'Fern & Flint';
const HANDLE = 'fern-flint';
const TAGLINE = 'Tools and textiles for the long haul';
const PRIMARY = '#7a1f5c';
const STAGE_HOST = `${HANDLE}-stage.localhost`;

/** Runs the `vitrine` binary against the test server's database. */
async function vitrine(args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(root, 'target/debug/vitrine'), args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '', VITRINE_ADDR: `127.0.0.1:${port}`, RUST_LOG: 'warn' },
    timeout: 30_000,
  }).catch((e) => {
    throw new Error(`vitrine ${args.join(' ')} failed:\n${e.stdout}\n${e.stderr}`);
  });
  return stdout;
}

/** `GET path` from the page, with its session (Node cannot resolve *.localhost itself). */
async function apiGet(page: Page, path: string) {
  const { status, body } = await page.evaluate(async (p) => {
    const res = await fetch(p, { headers: { accept: 'application/json' } });
    return { status: res.status, body: await res.json().catch(() => null) };
  }, path);
  expect(status, `GET ${path}`).toBe(200);
  return body;
}

/** Polls a job until it is finished; fails with its error when it failed. */
async function jobSucceeds(page: Page, id: number, timeout = 120_000) {
  const until = Date.now() + timeout;
  for (;;) {
    const job = await apiGet(page, `/api/v1/jobs/${id}`);
    if (job.state === 'succeeded') return job;
    if (job.state === 'failed') throw new Error(`job ${id} failed at ${job.failed_step}: ${job.error}\n${JSON.stringify(job.events, null, 1)}`);
    if (Date.now() > until) throw new Error(`job ${id} still ${job.state}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The id of the shop's newest job of `kind` in `environment`, once there is one. */
async function newestJob(page: Page, kind: string, environment: string): Promise<number> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { jobs } = await apiGet(page, `/api/v1/shops/${HANDLE}/lifecycle`);
    const job = jobs.find((j: { kind: string; environment: string | null }) => j.kind === kind && j.environment === environment);
    if (job) return job.id;
    if (Date.now() > until) throw new Error(`no ${kind} job for ${environment}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `end2end/test-results/configurator-${name}.png`, fullPage: true });
}

/** Goes on with "Next" and waits for the next step's heading. */
async function next(page: Page, title: string) {
  const button = page.getByTestId('next');
  await expect(button).toBeEnabled();
  await button.click();
  await expect(page.locator('#wizard-heading')).toHaveText(title);
}

test('a new owner configures a shop, creates it, launches it to stage and sees it on its host', async ({ page }) => {
  test.setTimeout(300_000);
  await vitrine(['user', 'create', '--email', EMAIL, '--password', PASSWORD]);
  const started = Date.now();

  // Log in: a new owner has no shop yet, only the way to create one.
  await page.goto('/admin');
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.locator('button[type=submit]')).toBeEnabled({ timeout: 20_000 });
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(/\/admin$/);
  await page.getByTestId('new-shop').click();
  await expect(page).toHaveURL(/\/admin\/shops\/new$/);

  // 1 Basics: the handle follows the name.
  await expect(page.locator('#wizard-heading')).toHaveText('Basics', { timeout: 20_000 });
  await page.fill('#cfg-basics-name', NAME);
  await expect(page.locator('#cfg-basics-handle')).toHaveValue(HANDLE);
  await page.fill('#cfg-basics-tagline', TAGLINE);
  const preview = page.getByTestId('theme-preview');
  await expect(preview.locator('header')).toContainText(NAME);
  await expect(preview.locator('header')).toContainText(TAGLINE);
  // Required and optional fields say so.
  await expect(page.locator('[data-config-field="basics.name"] [data-requirement]')).toHaveAttribute('data-requirement', 'required');
  await expect(page.locator('[data-config-field="basics.tagline"] [data-requirement]')).toHaveAttribute('data-requirement', 'optional');
  // A wrong value blocks Next and says why; fixing it unblocks.
  await page.fill('#cfg-basics-currency', 'EU');
  await expect(page.locator('[data-config-field="basics.currency"] [data-problem=invalid]')).toContainText('not a currency code');
  await expect(page.getByTestId('next')).toBeDisabled();
  await page.fill('#cfg-basics-currency', 'EUR');
  await shot(page, '1-basics');
  await next(page, 'Theme');

  // 2 Theme: the new primary colour shows in the live preview at once.
  await page.fill('#cfg-theme-palette', PRIMARY);
  await expect(preview).toHaveAttribute('style', new RegExp(`--vt-primary:${PRIMARY}`));
  const previewName = preview.locator('header a span').first();
  await expect(previewName).toHaveCSS('color', 'rgb(122, 31, 92)');
  await expect(preview.locator('section').first()).toHaveCSS('background-color', 'rgb(122, 31, 92)');
  await page.locator('label:has(input[name=heading-font][value=rounded])').click();
  await expect(page.locator('input[name=heading-font][value=rounded]')).toBeChecked();
  await page.locator('#cfg-theme-radius').fill('16');
  await expect(preview).toHaveAttribute('style', /--vt-radius:16px/);
  await shot(page, '2-theme');
  await next(page, 'Pages');

  // 3 Pages: the core pages, all chosen to start with.
  await expect(page.locator('[data-template] input[type=checkbox]:checked')).toHaveCount(6);
  await shot(page, '3-pages');
  await next(page, 'Navigation');

  // 4 Navigation: two header links from the pages, one typed footer link.
  await page.locator('[data-links="navigation.header"]').getByRole('button', { name: '+ Shop (/products)' }).click();
  await page.locator('[data-links="navigation.header"]').getByRole('button', { name: '+ About (/pages/about)' }).click();
  await page.getByTestId('add-footer-link').click();
  await page.getByLabel('Footer link 1 label').fill('Our story');
  await page.getByLabel('Footer link 1 target').fill('/pages/about');
  await expect(preview.locator('footer')).toContainText('Our story');
  await expect(preview.locator('header nav a')).toHaveText(['Shop', 'About', 'Cart']);
  await shot(page, '4-navigation');
  await next(page, 'Providers');

  // 5 Providers: no online payments, nothing to set anywhere.
  await expect(page.locator('[data-env=stage] [data-status]')).toHaveText('Nothing to set');
  await shot(page, '5-providers');
  await next(page, 'Domains');

  // 6 Domains: dev is suggested from the handle; the stage host is typed.
  await expect(page.locator('[data-list="domains.dev"] li')).toHaveText([`${HANDLE}.localhost×`]);
  await page.fill('#cfg-domains-stage', STAGE_HOST);
  await page.press('#cfg-domains-stage', 'Enter');
  await expect(page.locator('[data-list="domains.stage"] li')).toHaveText([`${STAGE_HOST}×`]);
  await expect(page.locator('[data-config-field="domains.prod"] [data-problem=missing]')).toContainText('Required for prod');
  await shot(page, '6-domains');
  await next(page, 'Summary');

  // Summary: dev and stage are green, prod lacks its host and links back to it.
  await expect(page.locator('[data-env=dev] [data-ready]')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('[data-env=stage] [data-ready]')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('[data-env=prod] [data-check="domains.prod"][data-ok=false]')).toBeVisible();
  await expect(page.getByTestId('save-state')).toHaveText('Saved');
  await shot(page, '7-summary');
  // The draft is on the server: a reload comes back to it.
  await page.reload();
  await expect(page.locator('#wizard-heading')).toHaveText('Summary', { timeout: 20_000 });
  await page.locator('[data-env=prod] [data-check="domains.prod"] button').click();
  await expect(page.locator('#wizard-heading')).toHaveText('Domains');
  await expect(page.locator('#cfg-domains-prod')).toBeFocused();
  await page.getByRole('button', { name: /Summary/ }).click();

  const create = page.getByTestId('create-shop');
  await expect(create).toBeEnabled();
  await create.click();
  await expect(page).toHaveURL(/\/admin\/jobs\/\d+$/);
  const jobId = Number(page.url().match(/\/admin\/jobs\/(\d+)$/)![1]);
  await jobSucceeds(page, jobId);
  await shot(page, '8-create-job');

  // Launch to stage from the shop's launch page.
  await page.goto(`/admin/shops/${HANDLE}/launch`);
  await page.getByRole('button', { name: 'Launch to stage' }).click();
  const launch = await newestJob(page, 'launch', 'stage');
  await jobSucceeds(page, launch, 180_000);
  await shot(page, '9-launched');

  // The storefront on the stage host: the shop's name and primary colour.
  await page.goto(`http://${STAGE_HOST}:${port}/`);
  await expect(page.locator('header')).toContainText(NAME);
  const primary = await page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vt-primary').trim());
  expect(primary).toBe(PRIMARY);
  await expect(page.locator('header a span').first()).toHaveCSS('color', 'rgb(122, 31, 92)');
  await shot(page, '10-stage-storefront');

  const seconds = (Date.now() - started) / 1000;
  console.log(`configurator → create → launch to stage → storefront: ${seconds.toFixed(1)} s wall time`);
});
