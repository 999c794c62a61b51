import { test, expect, Browser, BrowserContext, Page } from '@playwright/test';
import { apiURL, shopURL } from '../env';

// The editor in Chromium: two people on one page, and the publish → restore round trip.

const EMAIL = 'editor@harborandpine.example';
const PASSWORD = 'vitrine-demo';

async function newPage(playwright: any, title: string): Promise<number> {
  const api = await playwright.request.newContext({ baseURL: apiURL });
  const login = await api.post('/api/v1/session', { data: { email: EMAIL, password: PASSWORD } });
  expect(login.status()).toBe(200);
  const cookie = (login.headers()['set-cookie'] ?? '').split(';')[0];
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-') + '-' + Date.now();
  const created = await api.post('/api/v1/shops/demo/pages', {
    headers: { Cookie: cookie },
    data: { title, slug, page_type: 'page' },
  });
  expect(created.status()).toBe(201);
  return (await created.json()).id;
}

/** A logged-in browser context (through the login page) with the editor open on `pageId`. */
async function openEditor(browser: Browser, pageId: number): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: shopURL });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Straight to the editor: the admin sends us to log in first and then back.
  await page.goto(`/admin/pages/${pageId}`);
  await expect(page).toHaveURL(/\/admin\/login\?next=/);
  // The form works once the wasm has hydrated it (the button is disabled until then).
  await expect(page.locator('button[type=submit]')).toBeEnabled({ timeout: 20_000 });
  await page.fill('#email', EMAIL);
  await page.fill('#password', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page).toHaveURL(new RegExp(`/admin/pages/${pageId}$`));
  await expect(page.locator('[data-testid=connection][data-state=connected]')).toBeVisible({ timeout: 20_000 });
  return { context, page, errors };
}

const canvas = (p: Page) => p.locator('[data-testid=canvas]');
const heroHeading = (p: Page) => canvas(p).locator('[data-block-type=hero] [data-field=heading]');
const richBody = (p: Page) => canvas(p).locator('[data-block-type=rich_text] [data-field=body]');

test('two editors build one page together, undo only their own edits and merge after going offline', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'Together');
  const a = await openEditor(browser, pageId);
  const b = await openEditor(browser, pageId);

  // A adds a hero; B sees it within a second.
  await a.page.locator('[data-testid=palette] button[data-block-type=hero]').click();
  await expect(heroHeading(a.page)).toHaveText('A new heading');
  const shown = Date.now();
  await expect(heroHeading(b.page)).toHaveText('A new heading', { timeout: 1000 });
  console.log(`hero reached B after ${Date.now() - shown} ms`);
  // Each sees the other on the page.
  await expect(a.page.locator('[data-testid=presence] [data-testid=peer]')).toHaveCount(1);
  await expect(b.page.locator('[data-testid=presence] [data-testid=peer]')).toHaveCount(1);

  // A adds a rich-text block after the hero.
  await a.page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  await expect(richBody(b.page)).toHaveText('Write something here.');

  // B types in the hero heading while A types in the rich text, at the same time.
  await heroHeading(b.page).click();
  await b.page.keyboard.press('End');
  await richBody(a.page).click();
  await a.page.keyboard.press('End');
  await Promise.all([
    b.page.keyboard.type(' from B', { delay: 40 }),
    a.page.keyboard.type(' and A', { delay: 40 }),
  ]);
  for (const p of [a.page, b.page]) {
    await expect(heroHeading(p)).toHaveText('A new heading from B');
    await expect(richBody(p)).toHaveText('Write something here. and A');
  }

  // A's undo takes back A's typing only: B's words stay.
  await a.page.waitForTimeout(600); // past the undo capture window
  await a.page.keyboard.press('Control+z');
  for (const p of [a.page, b.page]) {
    await expect(richBody(p)).toHaveText('Write something here.');
    await expect(heroHeading(p)).toHaveText('A new heading from B');
  }

  // B goes offline and keeps editing; A does not see it until B is back.
  await b.context.setOffline(true);
  await expect(b.page.locator('[data-testid=connection][data-state=offline]')).toBeVisible();
  await heroHeading(b.page).click();
  await b.page.keyboard.press('End');
  await b.page.keyboard.type(' offline');
  await expect(heroHeading(b.page)).toHaveText('A new heading from B offline');
  // Meanwhile A edits too.
  await richBody(a.page).click();
  await a.page.keyboard.press('End');
  await a.page.keyboard.type(' Still here.');
  await a.page.waitForTimeout(500);
  await expect(heroHeading(a.page)).toHaveText('A new heading from B');

  await b.context.setOffline(false);
  await expect(b.page.locator('[data-testid=connection][data-state=connected]')).toBeVisible({ timeout: 10_000 });
  for (const p of [a.page, b.page]) {
    await expect(heroHeading(p)).toHaveText('A new heading from B offline');
    await expect(richBody(p)).toHaveText('Write something here. Still here.');
  }
  expect(await canvas(a.page).locator('.vt-block').allInnerTexts()).toEqual(await canvas(b.page).locator('.vt-block').allInnerTexts());
  await a.page.screenshot({ path: 'end2end/test-results/editor-two-people.png' });
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  await a.context.close();
  await b.context.close();
});

test('edit → preview shows the draft → publish → storefront → restore the previous revision', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'Round trip');
  const { context, page, errors } = await openEditor(browser, pageId);

  // A first version, published.
  await page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  const heading = canvas(page).locator('[data-block-type=rich_text] [data-field=heading]');
  await heading.click();
  await page.keyboard.type('First words');
  await expect(heading).toHaveText('First words');
  await page.locator('[data-testid=publish]').click();
  await expect(page.locator('[data-testid=toast]')).toContainText('Published revision 1');
  const liveUrl = await page.locator('[data-testid=live-link]').getAttribute('href');
  expect(liveUrl).toBeTruthy();

  // A publish that fails validation highlights the block and its field, and changes nothing.
  await page.locator('[data-testid=palette] button[data-block-type=button]').click();
  const label = canvas(page).locator('[data-block-type=button] [data-field=label]');
  await label.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.press('Backspace');
  await expect(label).toHaveText('');
  await page.locator('[data-testid=publish]').click();
  await expect(page.locator('[data-testid=toast]')).toContainText('Not published');
  await expect(page.locator('[data-edit-id][style*="dc2626"]')).toHaveCount(1);
  await expect(page.locator('[data-field-control=label][data-invalid=true]')).toBeVisible();
  await label.click();
  await page.locator('[data-testid=block-toolbar] button[aria-label="Delete block"]').click();
  await expect(canvas(page).locator('[data-block-type=button]')).toHaveCount(0);

  // Change the heading in the editor.
  await heading.click();
  await page.keyboard.press('End');
  await page.keyboard.type(', then better ones');
  await expect(heading).toHaveText('First words, then better ones');

  // A preview link shows the draft; the storefront still shows the published page.
  await page.getByRole('button', { name: 'Preview link' }).click();
  await page.locator('[data-testid=create-preview]').click();
  const previewUrl = await page.locator('[data-testid=preview-url]').inputValue();
  await expect(page.locator('[data-testid=active-links]')).toContainText('1 active link');
  await page.getByRole('button', { name: 'Close' }).click();
  const reviewer = await browser.newContext();
  const preview = await reviewer.newPage();
  await preview.goto(previewUrl);
  await expect(preview.locator('[data-preview-banner]')).toContainText('Draft');
  await expect(preview.locator('h2')).toContainText('First words, then better ones');
  const shopper = await browser.newContext();
  const store = await shopper.newPage();
  await store.goto(liveUrl!);
  await expect(store.locator('main h2')).toHaveText('First words');

  // Publish: the storefront shows it.
  await page.locator('[data-testid=publish]').click();
  await expect(page.locator('[data-testid=toast]')).toContainText('Published revision 2');
  await store.reload();
  await expect(store.locator('main h2')).toHaveText('First words, then better ones');

  // Restore revision 1: the storefront shows the old heading again (and so does the draft).
  await page.getByRole('button', { name: 'History' }).click();
  await expect(page.locator('[data-testid=revisions] li')).toHaveCount(2);
  await page.locator('[data-revision="1"] [data-testid=restore]').click();
  await expect(page.locator('[data-testid=toast]')).toContainText('Revision 1 is live again');
  await store.reload();
  await expect(store.locator('main h2')).toHaveText('First words');
  await page.getByRole('button', { name: 'Close' }).click();
  await expect(heading).toHaveText('First words');
  await page.screenshot({ path: 'end2end/test-results/editor-round-trip.png' });
  expect(errors).toEqual([]);
  await Promise.all([context.close(), reviewer.close(), shopper.close()]);
});

test('page settings are part of the draft: co-edited, checked as typed, live with the publish', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'Settings');
  const a = await openEditor(browser, pageId);
  const b = await openEditor(browser, pageId);
  const slug = `our-story-${Date.now()}`;

  // A renames the page and gives it a new address; B sees both without reloading.
  await a.page.fill('#page-title', 'Our story');
  await a.page.locator('#page-title').press('Tab');
  await a.page.fill('#page-slug', slug);
  await a.page.locator('#page-slug').press('Tab');
  await expect(b.page.locator('#page-title')).toHaveValue('Our story');
  await expect(b.page.locator('#page-slug')).toHaveValue(slug);

  // An address that cannot be one is shown as wrong at once, on the field, and fixed.
  await b.page.fill('#page-slug', 'Not A Slug');
  await b.page.locator('#page-slug').press('Tab');
  await expect(b.page.locator('#page-slug')).toHaveAttribute('aria-invalid', 'true');
  await expect(a.page.locator('#page-slug')).toHaveValue('Not A Slug');
  await a.page.locator('[data-testid=publish]').click();
  await expect(a.page.locator('[data-testid=toast]')).toContainText('Not published');
  await b.page.fill('#page-slug', slug);
  await b.page.locator('#page-slug').press('Tab');
  await expect(a.page.locator('#page-slug')).toHaveValue(slug);

  // Publishing takes the draft's title and address live.
  await a.page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  await a.page.locator('[data-testid=publish]').click();
  await expect(a.page.locator('[data-testid=toast]')).toContainText('Published revision 1');
  const shopper = await browser.newContext();
  const store = await shopper.newPage();
  const res = await store.goto(`${shopURL}/pages/${slug}`);
  expect(res!.status()).toBe(200);
  await expect(store).toHaveTitle(/Our story/);
  await a.page.screenshot({ path: 'end2end/test-results/editor-page-settings.png' });
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  await Promise.all([a.context.close(), b.context.close(), shopper.close()]);
});

test('typing re-renders only the text being typed: no block, field or column is remounted', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'No remount');
  const { context, page, errors } = await openEditor(browser, pageId);
  // A rich-text block, then columns holding a hero (added while the columns are selected).
  await page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  await page.locator('[data-testid=palette] button[data-block-type=columns]').click();
  await page.locator('[data-testid=palette] button[data-block-type=hero]').click();
  const columnHeading = canvas(page).locator('[data-block-type=columns] [data-block-type=hero] [data-field=heading]');
  await expect(columnHeading).toHaveText('A new heading');

  // Tag the elements that must survive: the fields typed into, their blocks' wrappers, the
  // columns block and its grid.
  const watched = {
    body: '[data-testid=canvas] [data-block-type=rich_text] [data-field=body]',
    richBlock: '[data-testid=canvas] [data-edit-id]:has(> .vt-block[data-block-type=rich_text])',
    columns: '[data-testid=canvas] .vt-block[data-block-type=columns]',
    heading: '[data-testid=canvas] [data-block-type=columns] [data-block-type=hero] [data-field=heading]',
    heroBlock: '[data-testid=canvas] [data-block-type=columns] [data-edit-id]',
  };
  await page.evaluate((sels) => {
    for (const [name, sel] of Object.entries(sels)) {
      const el = document.querySelector(sel) as any;
      if (!el) throw new Error(`nothing matches ${name}: ${sel}`);
      el.__tag = name;
    }
  }, watched);
  const survivors = () => page.evaluate((sels) =>
    Object.entries(sels).filter(([name, sel]) => (document.querySelector(sel) as any)?.__tag === name).map(([name]) => name), watched);

  await richBody(page).click();
  await page.keyboard.press('End');
  await page.keyboard.type(' Typed here.', { delay: 20 });
  await expect(richBody(page)).toHaveText('Write something here. Typed here.');
  await columnHeading.click();
  await page.keyboard.press('End');
  await page.keyboard.type(' in a column', { delay: 20 });
  await expect(columnHeading).toHaveText('A new heading in a column');
  // The caret stayed where the typing went on, in the element that was focused.
  expect(await page.evaluate(() => (document.activeElement as any)?.__tag)).toBe('heading');
  expect((await survivors()).sort()).toEqual(Object.keys(watched).sort());

  // A change that is not text re-renders the block, patching it in place: it shows, the
  // text stays, nothing is remounted.
  await page.locator('[data-field-control=align] select').selectOption('center');
  await expect(canvas(page).locator('[data-block-type=hero] .text-center')).toHaveCount(1);
  await expect(columnHeading).toHaveText('A new heading in a column');
  expect((await survivors()).sort()).toEqual(Object.keys(watched).sort());
  expect(errors).toEqual([]);
  await context.close();
});

test('an editor whose session ends elsewhere is disconnected and sent to log in again', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'Logged out');
  const a = await openEditor(browser, pageId);
  // Log this browser's session out from somewhere else (another tab, a script): the server
  // closes the open collaboration socket (4401) and the editor goes to the login page.
  const session = (await a.context.cookies()).find((c) => c.name === 'vitrine_session');
  expect(session).toBeTruthy();
  const api = await playwright.request.newContext({ baseURL: apiURL });
  const out = await api.delete('/api/v1/session', { headers: { Cookie: `vitrine_session=${session!.value}` } });
  expect(out.status()).toBe(204);
  await expect(a.page).toHaveURL(new RegExp(`/admin/login\\?next=%2Fadmin%2Fpages%2F${pageId}$`), { timeout: 15_000 });
  await expect(a.page.locator('#email')).toBeVisible();
  expect(a.errors).toEqual([]);
  await a.context.close();
});

test('text composed with an input method (IME) reaches the draft, and typing goes on after it', async ({ browser, playwright }) => {
  const pageId = await newPage(playwright, 'Composed');
  const a = await openEditor(browser, pageId);
  await a.page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  await expect(richBody(a.page)).toHaveText('Write something here.');
  await richBody(a.page).click();
  await a.page.keyboard.press('End');

  // What an IME sends: composition updates the editor leaves to the browser, then the
  // committed text. The editor reads the composed text back from the DOM into the draft.
  const cdp = await a.context.newCDPSession(a.page);
  await cdp.send('Input.imeSetComposition', { text: 'に', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: 'にほん', selectionStart: 3, selectionEnd: 3 });
  await cdp.send('Input.insertText', { text: '日本' });
  await expect(richBody(a.page)).toHaveText('Write something here.日本');
  // The caret is after the composed text: plain typing continues there.
  await a.page.keyboard.type(' ok', { delay: 20 });
  await expect(richBody(a.page)).toHaveText('Write something here.日本 ok');

  // It is in the draft, not only on this screen: another editor opening the page sees it.
  const b = await openEditor(browser, pageId);
  await expect(richBody(b.page)).toHaveText('Write something here.日本 ok');
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  await a.context.close();
  await b.context.close();
});

test('keys the browser types itself and keys the editor types agree with the draft: marks, spaces, mid-word', async ({ browser, playwright }) => {
  // Characters typed at a caret inside a text node are left to the browser (the draft takes
  // them after); spaces, ends of links and everything else go through the draft first. Either
  // way the field must show exactly what the draft renders: a second editor, whose field is
  // rendered from the draft alone, must show the same HTML.
  const pageId = await newPage(playwright, 'Typed natively');
  const a = await openEditor(browser, pageId);
  await a.page.locator('[data-testid=palette] button[data-block-type=rich_text]').click();
  await expect(richBody(a.page)).toHaveText('Write something here.');
  await a.page.evaluate(() => {
    (document.querySelector('[data-testid=canvas] [data-block-type=rich_text] [data-field=body]') as any).__tag = 'body';
    // Which typed characters the editor left to the browser (after its handler has run).
    const w = window as any;
    w.__typed = { browser: '', editor: '' };
    window.addEventListener('beforeinput', (e) => {
      if (e.inputType === 'insertText') w.__typed[e.defaultPrevented ? 'editor' : 'browser'] += e.data;
    });
  });

  await richBody(a.page).click();
  await a.page.keyboard.press('End');
  // Bold on "here.", then typing at the end of the bold run continues it.
  for (let i = 0; i < 5; i++) await a.page.keyboard.press('Shift+ArrowLeft');
  await a.page.keyboard.press('Control+b');
  await expect(richBody(a.page).locator('strong')).toHaveText('here.');
  await a.page.keyboard.press('End');
  await a.page.keyboard.type('XY', { delay: 20 });
  // Mid-word, then a space and a letter after it.
  await a.page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await a.page.keyboard.press('ArrowRight');
  await a.page.keyboard.type('zz q', { delay: 20 });
  // Backspace and a new paragraph, typed into at once.
  await a.page.keyboard.press('Backspace');
  await a.page.keyboard.type('k', { delay: 20 });
  await a.page.keyboard.press('End');
  await a.page.keyboard.press('Enter');
  await a.page.keyboard.type('Next line', { delay: 20 });

  await expect(richBody(a.page)).toHaveText('Wrizz kte something here.XYNext line');
  // The new paragraph starts where bold text ended, so it goes on bold, as the draft has it.
  await expect(richBody(a.page).locator('strong')).toHaveText(['here.XY', 'Next line']);
  await expect(richBody(a.page).locator('p')).toHaveCount(2);
  // Both paths were taken: letters at a caret inside text by the browser; the space, the
  // letter right after it, the first letter of the new paragraph by the editor.
  const typed = await a.page.evaluate(() => (window as any).__typed);
  expect(typed.browser).toContain('zz');
  expect(typed.editor).toContain(' q');
  expect(typed.editor).toContain('N');
  // The field was patched in place all along.
  expect(await a.page.evaluate(() => (document.querySelector('[data-testid=canvas] [data-block-type=rich_text] [data-field=body]') as any)?.__tag)).toBe('body');

  const b = await openEditor(browser, pageId);
  await expect(richBody(b.page)).toHaveText('Wrizz kte something here.XYNext line');
  expect(await richBody(a.page).innerHTML()).toBe(await richBody(b.page).innerHTML());

  // And the other way: B types into the same words while A watches; A's field follows.
  await richBody(b.page).locator('p').first().click();
  await b.page.keyboard.press('End');
  await b.page.keyboard.type('!', { delay: 20 });
  await expect(richBody(a.page)).toHaveText('Wrizz kte something here.XY!Next line');
  expect(await richBody(a.page).innerHTML()).toBe(await richBody(b.page).innerHTML());

  // When the browser types a key some other way than expected (here a script changes the
  // node first), the draft still gets the key where it was typed and the field is rendered
  // from the draft again.
  await richBody(a.page).locator('p').first().click();
  await a.page.keyboard.press('End');
  await a.page.evaluate(() => {
    window.addEventListener('beforeinput', (e) => {
      const node = getSelection()?.anchorNode;
      if (e.data === '#' && node?.nodeType === Node.TEXT_NODE) (node as Text).data = '~' + (node as Text).data;
    });
  });
  await a.page.keyboard.type('#', { delay: 20 });
  await expect(richBody(b.page)).toHaveText('Wrizz kte something here.XY!#Next line');
  await expect(richBody(a.page)).toHaveText('Wrizz kte something here.XY!#Next line');
  expect(await richBody(a.page).innerHTML()).toBe(await richBody(b.page).innerHTML());
  await a.page.screenshot({ path: 'end2end/test-results/editor-typed.png' });
  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  await a.context.close();
  await b.context.close();
});
