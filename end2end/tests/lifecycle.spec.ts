import { test, expect, Page } from '@playwright/test';
import { apiURL } from '../env';

// The operator's pages in Chromium, on the sample shop (whose login is an operator): the
// overview of every shop, a launch the configuration is not ready for (the page says why),
// and a smoke run of dev started from the launch page, followed live on the job page until
// the health badge turns healthy.

const EMAIL = 'editor@harborandpine.example';
const PASSWORD = 'vitrine-demo';

async function login(page: Page, next: string) {
  await page.goto(`${apiURL}${next}`);
  await expect(page).toHaveURL(/\/admin\/login/);
  await expect(page.locator('button[type=submit]')).toBeEnabled({ timeout: 20_000 });
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(new RegExp(next.replace(/\//g, '\\/') + '$'));
}

test('an operator sees every shop, is told why a launch cannot start, and follows a smoke run live', async ({ page }) => {
  await login(page, '/admin/operator');
  const demo = page.locator('[data-testid=operator-shops] tr[data-shop=demo]');
  await expect(demo).toBeVisible();
  await expect(demo.locator('[data-health]').first()).toBeVisible();
  await page.screenshot({ path: 'end2end/test-results/operator.png', fullPage: true });

  await demo.getByRole('link', { name: 'Harbor & Pine' }).click();
  await expect(page).toHaveURL(/\/admin\/shops\/demo\/launch$/);
  const stage = page.locator('[data-environment=stage]');
  await expect(stage.locator('[data-health]')).toHaveAttribute('data-health', 'notlaunched');
  // The sample shop has no stage host: the launch is refused with the missing field named.
  await stage.getByRole('button', { name: 'Launch to stage' }).click();
  await expect(page.getByTestId('launch-error')).toContainText('domains.stage');

  // A smoke run of dev, from the page, watched on the job page as its steps complete.
  await page.locator('[data-environment=dev]').getByRole('button', { name: 'Re-run smoke' }).click();
  await expect(page).toHaveURL(/\/admin\/jobs\/\d+$/);
  await expect(page.locator('[data-job-state]')).toHaveAttribute('data-job-state', 'succeeded', { timeout: 30_000 });
  await expect(page.locator('[data-step=smoke]')).toHaveAttribute('data-step-state', 'done');
  await expect(page.getByTestId('job-events')).toContainText('smoke passed');
  await page.screenshot({ path: 'end2end/test-results/job.png', fullPage: true });
  // The job page rendered by the server (a fresh load, not a client-side navigation).
  await page.reload();
  await expect(page.locator('[data-job-state]')).toHaveAttribute('data-job-state', 'succeeded');

  await page.getByRole('link', { name: /launches/ }).click();
  await expect(page.locator('[data-environment=dev] [data-health]')).toHaveAttribute('data-health', 'healthy');
});
