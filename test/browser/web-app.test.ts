/**
 * The seed scenario clicked through in a real browser (Debian's Chromium driven by playwright-core)
 * on the real servers of the API tests: a group with one address at each lab domain imported, a
 * mailing sent, the retries skipped (time-skipping Temporal), the delivery graph read, Incorrect
 * addresses opened (grey) and one corrected, the technical problems put into a new group with
 * select-all, a second mailing sent to that group. Every page is saved as a screenshot in
 * test/browser/artifacts/ (git-ignored), at desktop and at phone width.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiTypesSource, GENERATED_FILE, type OpenApiDocument } from '../../web/tools/openapi-types';
import { buildWebApp } from '../../web/tools/build';
import { ensureSendingDomain } from '../../dev/fixture-domain';
import { type ApiHarness, createApiHarness } from '../support/api-harness';
import { ARTIFACTS, launchChromium } from './chromium';

/** One address at each domain of the bounce lab that answers at once (the late ones need a listener). */
const DOMAINS = ['ok', 'unknown', 'full', 'busy', 'grey', 'flaky', 'blocked', 'slow'] as const;
const FROM = 'news@sender.test';
const LONG_NAME = `Long${'g'.repeat(196)}`;
// Generous: a slow shared machine, a Chromium cold start, pages that poll every 2 s.
const WAIT = { timeout: 60_000 };

let h: ApiHarness;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  await fs.mkdir(ARTIFACTS, { recursive: true });
  [h, browser] = await Promise.all([
    // Built anew: a build left from older sources would be tested instead of the app.
    buildWebApp().then(() => createApiHarness()),
    launchChromium(),
  ]);
  // The harness verifies sender.example for the account; mailings here go out from sender.test.
  const { id } = await h.t.db
    .selectFrom('accounts')
    .select('id')
    .where('name', '=', `first-${h.taskQueue}`)
    .executeTakeFirstOrThrow();
  expect(await ensureSendingDomain(h.t.db, id, 'sender.test')).toBe(true);
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(WAIT.timeout);
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    // The browser logs every 4xx it is given; the app shows those in words, which the test checks.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource'))
      pageErrors.push(msg.text());
  });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.stop();
});

afterEach(() => {
  expect(pageErrors).toEqual([]);
});

async function shot(name: string, p: Page = page) {
  await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const mailingIdOf = (url: string) => /\/mailings\/(\d+)/.exec(url)![1]!;

/** What the API says, to know when the page has something new to show. */
async function stats(mailingId: string) {
  return (await h.call('GET', `/v1/mailings/${mailingId}/stats`)).body as Record<string, number>;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A link of the main navigation. */
const menu = (name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name });

/** Waits until the locator shows (playwright-core has no expect of its own: these few waits do). */
async function see(locator: Locator, text?: string | RegExp) {
  await (text === undefined ? locator : locator.filter({ hasText: text })).first().waitFor(WAIT);
}
/**
 * At phone width nothing is wider than the screen: neither the page nor a table, which would
 * scroll sideways inside its frame and hide its last columns (a group's Remove buttons).
 */
async function fitsThePhone() {
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  const overflows = await page.evaluate<number[]>(
    "[...document.querySelectorAll('.table-wrap')].map((t) => t.scrollWidth - t.clientWidth)",
  );
  expect(overflows.length).toBeGreaterThan(0);
  for (const overflow of overflows) expect(overflow).toBeLessThanOrEqual(0);
}
/**
 * Nothing reaches past the screen's right edge, at any width: a long word (a 200-character group
 * name, a subject without a space) wraps rather than widen its box, a table its column.
 */
async function nothingWider() {
  const wide = await page.evaluate<string[]>(
    "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => e.outerHTML.slice(0, 100))",
  );
  expect(wide).toEqual([]);
  const overflows = await page.evaluate<number[]>(
    "[...document.querySelectorAll('.table-wrap, dialog')].map((t) => t.scrollWidth - t.clientWidth)",
  );
  for (const overflow of overflows) expect(overflow).toBeLessThanOrEqual(0);
}
/** What has the keyboard: its accessible name, else its words. */
const focused = () =>
  page.evaluate<string>(
    "document.activeElement.getAttribute('aria-label') ?? document.activeElement.textContent",
  );
async function countOf(locator: Locator, n: number) {
  await until(`${n} of ${locator.toString()}`, async () => (await locator.count()) === n);
}

/** Waiting on the mailing workflow lets the time-skipping server jump over the retries' waits. */
const skipTheRetries = (mailingId: string) =>
  h.env.client.workflow.getHandle(`mailing-${mailingId}`).result();

test('the web app is served at / and never in place of the API', async () => {
  const get = (p: string, accept = 'text/html') => fetch(`${h.api.url}${p}`, { headers: { accept } });
  for (const p of ['/', '/mailings', '/mailings/12/recipients', '/contacts/incorrect']) {
    const res = await get(p);
    expect([p, res.status, res.headers.get('content-type')]).toEqual([p, 200, 'text/html; charset=utf-8']);
  }
  // What the banner of `npm start` asks: `/` answers the page to a client that takes anything.
  expect((await get('/', '*/*')).status).toBe(200);
  for (const [p, accept] of [
    ['/v1/nothing', 'text/html'],
    ['/v1', 'text/html'],
    ['/health/x', 'text/html'],
    ['/assets/missing.js', 'text/html'],
    ['/openapi.json', 'text/html'],
    ['/nope', 'text/html'],
    ['/nope', '*/*'],
    ['/mailings.json', '*/*'],
  ] as const) {
    const res = await get(p, accept);
    expect([p, res.status, res.headers.get('content-type')]).toEqual([
      p,
      404,
      'application/json; charset=utf-8',
    ]);
  }
  expect((await get('/health', 'application/json')).headers.get('content-type')).toMatch(/json/);
  expect((await get('/v1/openapi.json')).headers.get('content-type')).toMatch(/json/);
  expect((await fetch(`${h.api.url}/mailings`, { method: 'POST' })).status).toBe(404);
});

test('the web app’s API types are those of the served OpenAPI document', async () => {
  const doc = (await (await fetch(`${h.api.url}/v1/openapi.json`)).json()) as OpenApiDocument;
  const committed = await fs.readFile(GENERATED_FILE, 'utf8');
  const served = apiTypesSource(doc);
  if (committed !== served)
    console.error('web/src/api.gen.ts is out of date with the API: `npm run web:api-types` writes it anew.');
  expect(committed).toBe(served);
});

test('the seed scenario, clicked through', async () => {
  try {
    await seedScenario();
  } catch (err) {
    await shot('failure').catch(() => {});
    throw err;
  }
}, 600_000);

async function seedScenario() {
  // Sign in, with the keyboard only: a wrong key is refused in words, the right one opens the app.
  await page.goto(h.api.url);
  const keyField = page.getByLabel('API key');
  await see(keyField);
  await page.keyboard.press('Tab');
  // The root tsconfig has no DOM types: what runs in the page is written as expressions.
  expect(await page.evaluate<string>('document.activeElement.id')).toBe('api-key');
  expect(await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')).not.toBe(
    'none',
  );
  await page.keyboard.type('dk_not-a-key');
  await page.keyboard.press('Enter');
  await see(page.getByRole('alert'), /opens no account/);
  // Only the words of the refusal: a key being tried is not a session that expired.
  expect(await page.getByText('Your API key was not accepted').count()).toBe(0);
  await shot('01-sign-in-refused');
  // A key holding a character no key has (another alphabet; a browser cannot send it in a header):
  // the words of a wrong key, not a service out of reach.
  await keyField.fill('ключ🔑');
  await page.keyboard.press('Enter');
  await see(page.getByRole('alert'), /opens no account: it holds a character that no key has/);
  await keyField.fill(h.key);
  await page.keyboard.press('Enter');
  await see(page.getByRole('heading', { name: 'Mailings' }));

  // A group, then one contact at each lab domain imported into it (one bad line reported).
  await menu('Groups').click();
  await page.getByLabel('Name').fill('Newsletter');
  await page.getByRole('button', { name: 'Create group' }).click();
  await see(page.getByRole('link', { name: 'Newsletter' }));
  // The name emptied, the button unavailable: it keeps the keyboard (a disabled one would drop it).
  expect(await focused()).toBe('Create group');
  await see(page.getByRole('status'), 'Created the group “Newsletter”.');
  // The same name again (spaces around it are not part of it): no second group, a link to the first.
  await page.getByLabel('Name').fill(' Newsletter ');
  await page.getByRole('button', { name: 'Create group' }).click();
  await see(page.locator('#group-name-error'), 'A group named “Newsletter” already exists.');
  await countOf(page.getByRole('link', { name: 'Newsletter' }), 2);
  // A name the API refuses: its words under the field, not the raw "Invalid request body".
  await page.getByLabel('Name').fill('x'.repeat(201));
  await page.getByRole('button', { name: 'Create group' }).click();
  await see(page.locator('#group-name-error'), /^is longer than 200 characters$/);
  expect(await page.getByText(/Invalid request body/).count()).toBe(0);
  // A name of 200 letters without a space: it wraps, here and wherever a group is named.
  await page.getByLabel('Name').fill(LONG_NAME);
  await page.getByRole('button', { name: 'Create group' }).click();
  await see(page.getByRole('link', { name: LONG_NAME }));
  await nothingWider();

  await menu('Contacts').click();
  const lines = [
    'email,first name',
    ...DOMAINS.map((d) => `${d}@${d}.test,${d[0]!.toUpperCase()}${d.slice(1)}`),
  ];
  // One line separated by a semicolon among commas: split by it, not sent whole as an address.
  lines[DOMAINS.indexOf('busy') + 1] = 'busy@busy.test; Busy';
  lines.splice(3, 0, 'not an address,Nobody');
  await page.getByLabel('Contacts, one a line').fill(lines.join('\n'));
  await page.getByLabel('Add them to the group').selectOption({ label: 'Newsletter' });
  await page.getByRole('button', { name: 'Import' }).click();
  await see(page.getByText('8 created, 0 already there, 1 invalid.'));
  await see(page.getByText('Line 4:'), 'not an address');
  // One more, added by hand: an invalid address is refused next to its field first.
  await page.getByLabel('Email', { exact: true }).fill('fay@');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await see(page.locator('#add-email-error'));
  await page.getByLabel('Email', { exact: true }).fill('fay@ok.test');
  await page.getByLabel('First name (optional)').fill('Fay');
  await page.getByRole('button', { name: 'Add contact' }).click();
  await see(page.getByText('Added fay@ok.test.'));
  await see(page.getByRole('cell', { name: 'slow@slow.test' }));
  await shot('02-contacts-import');
  // Excel's default CSV (Windows-1252, semicolons): read as such, and said so, not garbled.
  await page.getByLabel('Or a CSV file').setInputFiles({
    name: 'excel.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('email;first name;last name\r\njurgen@ok.test;Jürgen;Müller\r\n', 'latin1'),
  });
  await see(page.locator('#import-file-read'), 'Read “excel.csv” into the box above as Windows-1252');
  expect(await page.getByLabel('Contacts, one a line').inputValue()).toContain(
    'jurgen@ok.test;Jürgen;Müller',
  );
  // A CSV file (semicolons, a header naming its columns): one known address, one new.
  await page.getByLabel('Or a CSV file').setInputFiles({
    name: 'more.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('Last name;Email\nOkay;OK@ok.test\nGill;gil@ok.test\n'),
  });
  await until('the file in the text box', async () =>
    (await page.getByLabel('Contacts, one a line').inputValue()).includes('gil@ok.test'),
  );
  // Emptied once read, so that the same file chosen again (edited meanwhile) is read again.
  await see(page.getByText('Read “more.csv” into the box above (UTF-8).'));
  expect(await page.evaluate<number>("document.getElementById('import-file').files.length")).toBe(0);
  await page.getByLabel('Add them to the group').selectOption({ label: 'No group' });
  await page.getByRole('button', { name: 'Import' }).click();
  await see(page.getByText('1 created, 1 already there, 0 invalid.'));
  // Nothing created, rows refused: a warning, not a success in green.
  await page.getByLabel('Contacts, one a line').fill('nobody\nno one either');
  await page.getByRole('button', { name: 'Import' }).click();
  await see(page.locator('.warning'), '0 created, 0 already there, 2 invalid.');
  // The forms are after the list: a link at the top takes the keyboard to each.
  await page.getByRole('link', { name: 'Import contacts' }).click();
  expect(await page.evaluate<string>('document.activeElement.id')).toBe('import-text');
  // The API searches, by a part of the address or of a name, in any letter case.
  await page.getByLabel('Search').fill('gill');
  await see(page.getByText('Contacts matching “gill”:'));
  await see(page.getByRole('cell', { name: 'gil@ok.test' }));
  await until(
    'the one match alone in the table',
    async () => (await page.locator('main table tbody tr').count()) === 1,
  );
  await page.getByLabel('Search').fill('nobody-here');
  await see(page.getByText('No contact matches “nobody-here”.'));
  await page.getByLabel('Search').fill('');

  // The mailing: saved as a draft (without a group first: the API's words next to the groups).
  await menu('Mailings').click();
  await page.getByRole('link', { name: 'New mailing' }).click();
  // The From address starts at the account's first verified sending domain; the hint names them all.
  await see(page.locator('#fromEmail-hint'), 'sender.example, sender.test');
  expect(await page.getByLabel('From address').inputValue()).toBe('news@sender.example');
  expect(await page.getByLabel('From address').getAttribute('placeholder')).toBe('news@sender.example');
  await see(page.getByLabel(LONG_NAME));
  await nothingWider();
  await page.getByLabel('Name', { exact: true }).fill('Spring news');
  await page.getByLabel('Subject').fill('Hello');
  await page.getByLabel('Text', { exact: true }).fill('Hi there');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await see(page.locator('#groups-error'));
  await page.getByLabel(/Newsletter/).check();
  // A From address at a domain the account has not verified: refused, and said next to the field.
  await page.getByLabel('From address').fill('news@elsewhere.test');
  await page.getByRole('button', { name: 'Save draft' }).click();
  await see(page.locator('#fromEmail-error'), 'elsewhere.test is not a verified sending domain');
  await shot('03-new-mailing');
  await page.getByLabel('From address').fill(FROM);
  await page.getByRole('button', { name: 'Save draft' }).click();
  // The tab says which page, and which mailing.
  await see(page.getByRole('button', { name: 'Send…' }));
  await until('the title', async () => (await page.title()) === 'Mailing “Spring news” · Deliverability');

  // Send, after a confirmation that says how many it reaches: the 8 active members of the group.
  await page.getByRole('button', { name: 'Send…' }).click();
  await see(page.getByText(/Send “Spring news” to 8 recipients/));
  await shot('04-send-confirmation');
  await page.getByRole('button', { name: 'Send to 8 recipients' }).click();
  const first = mailingIdOf(page.url());

  // While sending: the graph updates by itself, the retries wait with their next attempt time.
  await until('the retries to wait', async () => {
    const s = await stats(first);
    return s.retrying === 4 && s.inProgress === 4;
  });
  const graph = page.getByRole('region', { name: 'Delivery graph' });
  await see(graph.getByText(/4 waiting to retry, next attempt/));
  await see(graph.getByRole('link', { name: /^1 incorrect address:/ }));
  await shot('05-graph-sending');
  // The README's pictures (docs/screenshots/ holds copies of these two).
  await graph.screenshot({ path: path.join(ARTIFACTS, 'readme-delivery-graph.png') });

  await skipTheRetries(first);
  await see(page.getByText('done', { exact: true }));
  for (const [label, n] of [
    ['delivered', 3],
    ['incorrect address', 1],
    ['technical problems', 4],
    ['in progress', 0],
  ] as const)
    await see(graph.getByRole('link', { name: `${n} ${label}: show the contacts` }));
  await see(graph.locator('canvas'));
  await shot('06-delivery-graph');

  // Incorrect addresses: the number opens the contacts behind it, in grey.
  await graph.getByRole('link', { name: /incorrect address: show the contacts/ }).click();
  const row = page.getByRole('row', { name: /unknown@unknown\.test/ });
  await see(row, 'user unknown');
  await see(row, 'incorrect address');
  expect(
    await page.evaluate<string>("getComputedStyle(document.querySelector('tr.incorrect td')).color"),
  ).toBe('rgb(107, 114, 128)');
  await shot('07-incorrect-recipients');

  // A delivery's detail: its attempts and its history in the Temporal UI.
  await page.getByRole('link', { name: 'unknown@unknown.test' }).click();
  await see(page.getByRole('heading', { name: /unknown@unknown\.test/ }));
  await see(page.getByRole('cell', { name: /User unknown/ }));
  expect(await page.getByRole('link', { name: /in the Temporal UI/ }).getAttribute('href')).toMatch(
    /\/namespaces\/default\/workflows\/delivery-\d+-\d+$/,
  );
  await shot('08-delivery');
  // And a retried one, from the list of all recipients.
  await page.getByRole('link', { name: 'Spring news' }).click();
  await page.getByRole('link', { name: 'All recipients' }).click();
  await page.getByRole('link', { name: 'busy@busy.test' }).click();
  await see(page.getByRole('heading', { name: /Attempts \(\d+\)/ }));
  await shot('09-delivery-retried');

  // The Incorrect addresses section: corrected inline, the contact is back in its group.
  await menu('Contacts').click();
  await page.getByRole('link', { name: 'Incorrect addresses' }).click();
  const correction = page.getByLabel('Corrected address for unknown@unknown.test');
  await see(page.getByRole('row', { name: /unknown@unknown\.test/ }), 'user unknown');
  await shot('10-incorrect-addresses');
  // At phone width the address is corrected in its card, by its label still.
  await page.setViewportSize({ width: 390, height: 844 });
  await correction.fill('unknown@ok.test');
  await fitsThePhone();
  await shot('10b-phone-incorrect-addresses');
  await page.setViewportSize({ width: 1280, height: 900 });
  // An address the API refuses: its words, not the browser's bubble, and the address beside it
  // keeps its width (one line); they go once the address is edited.
  await correction.fill('unknown@');
  await page.getByRole('button', { name: 'Correct' }).click();
  await see(page.getByRole('row', { name: /unknown@unknown\.test/ }).getByRole('alert'));
  expect(
    await page.evaluate<number>(
      "(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('td[data-label=Address]').firstChild); return r.getClientRects().length; })()",
    ),
  ).toBe(1);
  await shot('10c-incorrect-refused');
  await correction.fill('unknown@ok.test');
  expect(await page.getByRole('alert').count()).toBe(0);
  await page.getByRole('button', { name: 'Correct' }).click();
  await see(page.getByText('unknown@ok.test is active again and back in 1 group.'));
  // Its row is gone with the focus in it: the keyboard goes on from the title (no other row).
  expect(await focused()).toBe('Incorrect addresses');
  await shot('11-corrected');

  // The technical problems into a new group, all of them selected by the box above the table.
  await menu('Mailings').click();
  await page.getByRole('link', { name: 'Spring news' }).click();
  await graph.getByRole('link', { name: /technical problems: show the contacts/ }).click();
  await countOf(page.getByRole('row'), 5);
  // Two a page: the box above the table selects those of the other page too.
  await page.goto(`${page.url()}&limit=2`);
  await countOf(page.getByRole('row'), 3);
  await page.getByLabel('Select all technical problems, on every page').check();
  await see(page.getByText('All 4 technical problems are selected, on every page.'));
  await shot('12-technical-problems');
  const firstPage = await page.getByRole('link', { name: /@/ }).allTextContents();
  await page.getByRole('button', { name: 'Next →' }).click();
  await until('the second page', async () => {
    const shown = await page.getByRole('link', { name: /@/ }).allTextContents();
    return shown.length === 2 && !shown.some((e) => firstPage.includes(e));
  });
  // The keyboard (and the view) go on from the top of the new page, not from the Pager below it.
  expect(await page.evaluate<string>('document.activeElement.tagName')).toBe('TABLE');
  for (const box of await page.getByRole('checkbox', { name: /^Select .*@/ }).all())
    expect(await box.isChecked()).toBe(true);
  await shot('12b-technical-problems-page-2');
  const dialog = page.getByRole('dialog', { name: 'Add 4 technical problems to a group' });
  // Escape closes the dialog and changes nothing.
  await page.getByRole('button', { name: 'Add to group' }).click();
  await see(dialog);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  // The keyboard is back on the button that opened it.
  expect(await focused()).toBe('Add to group');
  await page.getByRole('button', { name: 'Add to group' }).click();
  await until('the groups in the dropdown', async () =>
    /\d+/.test(await dialog.getByLabel('Existing group', { exact: true }).inputValue()),
  );
  // The long group's name in the dropdown: the dialog stays as wide as it is.
  await nothingWider();
  // Tab from the dropdown through the new group's name: the choice stays the existing group.
  await dialog.getByLabel('Existing group', { exact: true }).focus();
  await page.keyboard.press('Tab');
  expect(await page.evaluate<string>('document.activeElement.id')).toBe('new-group-name');
  expect(await dialog.getByLabel('Add to existing group').isChecked()).toBe(true);
  await dialog.getByLabel('Add to a new group').check();
  await dialog.getByLabel('New group’s name').fill('Retry next time');
  await shot('13-add-to-group-dialog');
  await page.screenshot({
    path: path.join(ARTIFACTS, 'readme-technical-problems-dialog.png'),
    clip: { x: 0, y: 0, width: 1280, height: 640 },
  });
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  await see(dialog.getByRole('status'), 'Added 4 contacts to “Retry next time”; 0 were already members.');
  await shot('14-added-to-group');
  // Done has the keyboard (the Add button is gone), and closing puts it back on Add to group.
  expect(await focused()).toBe('Done');
  await page.keyboard.press('Enter');
  await dialog.waitFor({ state: 'hidden' });
  expect(await focused()).toBe('Add to group');
  // A row picked by hand into a "new" group of a name that exists: that group, as with select-all.
  await page.getByLabel('Select all technical problems, on every page').uncheck();
  await page
    .getByRole('checkbox', { name: /^Select .*@/ })
    .first()
    .check();
  await page.getByRole('button', { name: 'Add to group' }).click();
  const one = page.getByRole('dialog', { name: 'Add 1 technical problem to a group' });
  await see(one);
  await one.getByLabel('Add to a new group').check();
  // A name the API refuses: its words under the field.
  await one.getByLabel('New group’s name').fill('x'.repeat(201));
  await one.getByRole('button', { name: 'Add', exact: true }).click();
  await see(one.locator('#new-group-name-error'), /^is longer than 200 characters$/);
  await one.getByLabel('New group’s name').fill('Retry next time');
  await see(one.getByText('A group of this name exists already: they are added to it.'));
  await one.getByRole('button', { name: 'Add', exact: true }).click();
  await see(one.getByRole('status'), 'Added 0 contacts to “Retry next time”; 1 was already a member.');
  await page.keyboard.press('Enter');
  await one.waitFor({ state: 'hidden' });

  // The group, then a second mailing to it: the confirmation counts its 4 members.
  await menu('Groups').click();
  await countOf(page.getByRole('link', { name: 'Retry next time' }), 1);
  await page.getByRole('link', { name: 'Retry next time' }).click();
  await countOf(page.getByRole('row'), 5);
  await shot('15-group');
  await menu('Mailings').click();
  await page.getByRole('link', { name: 'New mailing' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Second try');
  await page.getByLabel('From address').fill(FROM);
  // A subject with a long word: the mailing's page wraps it.
  await page.getByLabel('Subject').fill(`Hello again ${'s'.repeat(200)}`);
  await page.getByLabel('HTML (optional)').fill('<p>Hi again</p>');
  await page.getByLabel(/Retry next time/).check();
  await page.getByRole('button', { name: 'Save draft' }).click();
  await see(page.getByText(/From news@sender\.test/));
  await nothingWider();
  // Cancel puts the keyboard back on Send…, the button it came from.
  await page.getByRole('button', { name: 'Send…' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await until('the focus on Send…', async () => (await focused()) === 'Send…');
  await page.getByRole('button', { name: 'Send…' }).click();
  await page.getByRole('button', { name: 'Send to 4 recipients' }).click();
  const second = mailingIdOf(page.url());
  await see(graph);
  await skipTheRetries(second);
  await see(page.getByText('done', { exact: true }));
  await see(graph.getByRole('link', { name: '4 technical problems: show the contacts' }));
  await shot('16-second-mailing');
  await menu('Mailings').click();
  await countOf(page.getByRole('row'), 3);
  await nothingWider();
  await shot('17-mailings');

  // A member removed from a group: the count follows.
  await menu('Groups').click();
  await page.getByRole('link', { name: 'Newsletter' }).click();
  await see(page.getByRole('heading', { name: /Newsletter/ }), '8');
  await page.getByRole('button', { name: 'Remove ok@ok.test from the group' }).click();
  await see(page.getByRole('heading', { name: /Newsletter/ }), '7');
  await page.getByRole('button', { name: 'Remove ok@ok.test from the group' }).waitFor({ state: 'detached' });
  // The keyboard goes on from the next member's Remove, not from the top of the page.
  await until('the focus on the next Remove', async () => /^Remove .* from the group$/.test(await focused()));
  await shot('17b-group-member-removed');
  await menu('Mailings').click();

  // At phone width: nothing wider than the screen, the graph and a list still readable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('link', { name: 'Spring news' }).click();
  await see(graph.locator('canvas'));
  expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  await shot('18-phone-graph');
  await graph.getByRole('link', { name: /incorrect address: show the contacts/ }).click();
  await see(page.getByRole('row', { name: /unknown@unknown\.test/ }));
  await fitsThePhone();
  await shot('19-phone-recipients');
  await page
    .getByRole('navigation', { name: 'Recipients by status' })
    .getByRole('link', { name: 'Technical problems' })
    .click();
  await see(page.getByLabel('Select all technical problems, on every page'));
  await fitsThePhone();
  await shot('20-phone-technical-problems');
  // The dialog, the long group's name among its choices: within the screen too.
  await page.getByLabel('Select all technical problems, on every page').check();
  await page.getByRole('button', { name: 'Add to group' }).click();
  await until('the groups in the dropdown', async () =>
    /\d+/.test(await page.getByLabel('Existing group', { exact: true }).inputValue()),
  );
  await nothingWider();
  await shot('20b-phone-add-to-group-dialog');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  // The other lists, one card a row too: the mailings, the contacts, the groups, a group's members.
  await menu('Mailings').click();
  // The column names are hidden on a phone: two rows, the two mailings.
  await countOf(page.getByRole('row'), 2);
  await see(page.getByRole('row', { name: /Second try/ }));
  await fitsThePhone();
  await shot('21-phone-mailings');
  await menu('Contacts').click();
  await see(page.getByRole('cell', { name: 'slow@slow.test' }));
  await fitsThePhone();
  await shot('22-phone-contacts');
  await menu('Groups').click();
  await see(page.getByRole('link', { name: 'Retry next time' }));
  await fitsThePhone();
  await shot('23-phone-groups');
  await page.getByRole('link', { name: 'Newsletter' }).click();
  await see(page.getByRole('heading', { name: /Newsletter/ }), '7');
  await fitsThePhone();
  const remove = page.getByRole('button', { name: 'Remove busy@busy.test from the group' });
  const box = (await remove.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await shot('24-phone-group-members');
  // The new mailing's groups, the long one among them, within the screen.
  await menu('Mailings').click();
  await page.getByRole('link', { name: 'New mailing' }).click();
  await see(page.getByLabel(LONG_NAME));
  await nothingWider();
  await shot('24b-phone-new-mailing');

  // Sign out clears the key: the next visit asks for it again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await see(page.getByLabel('API key'));
  expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
  await page.reload();
  await see(page.getByLabel('API key'));
}

test('a send that did not start is offered again, and sent', async () => {
  // A mailing marked sending ten minutes ago whose recipients were never taken: its start never
  // reached Temporal, and the API could not undo the mark (the case the API takes a second send for).
  const group = (await h.call('POST', '/v1/groups', { name: 'Stuck' })).body.id;
  const contact = (await h.call('POST', '/v1/contacts', { email: 'stuck@ok.test' })).body.id;
  await h.call('POST', `/v1/groups/${group}/members`, { contactIds: [contact] });
  const { id } = (
    await h.call('POST', '/v1/mailings', {
      name: 'Never started',
      fromEmail: FROM,
      subject: 'S',
      text: 'T',
      groupIds: [group],
    })
  ).body;
  await h.t.db
    .updateTable('mailings')
    .set({ status: 'sending', sent_at: new Date(Date.now() - 600_000) })
    .where('id', '=', id)
    .execute();

  try {
    await page.goto(`${h.api.url}/mailings/${id}`);
    await page.getByLabel('API key').fill(h.key);
    await page.keyboard.press('Enter');
    await see(page.getByText('Finding the recipients…'));
    await see(page.getByText(/the send may not have started/));
    await shot('25-send-not-started');
    const [answer] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith(`/v1/mailings/${id}/send`),
      ),
      page.getByRole('button', { name: 'Send again' }).click(),
    ]);
    expect(answer.status()).toBe(202);
    await skipTheRetries(id);
    await see(page.getByText('done', { exact: true }));
    await see(page.getByRole('link', { name: '1 delivered: show the contacts' }));
    expect(await page.getByRole('button', { name: 'Send again' }).count()).toBe(0);
  } catch (err) {
    await shot('failure-send-again').catch(() => {});
    throw err;
  }
}, 300_000);

/** Opens a page of the app by its address, signing in first when it asks. */
async function open(p: string) {
  await page.goto(`${h.api.url}${p}`);
  await page.locator('main h1').first().waitFor(WAIT);
  if (await page.locator('#api-key').count()) {
    await page.getByLabel('API key').fill(h.key);
    await page.keyboard.press('Enter');
    await page.locator('#main:not(.sign-in) h1').first().waitFor(WAIT);
  }
}

test('an address that leads nowhere says Not found, with the way back', async () => {
  try {
    for (const [p, words] of [
      // Not valid percent-encoding: the app's Not found, not a blank page ("URI malformed").
      ['/mailings/%E0%A4%A', 'There is no page at /mailings/%E0%A4%A.'],
      ['/groups/%', 'There is no page at /groups/%.'],
      ['/mailings/999999', 'No mailing 999999.'],
      ['/mailings/999999/recipients?status=delivered', 'No mailing 999999.'],
      ['/deliveries/999999', 'No delivery 999999.'],
      ['/groups/999999', 'No group 999999.'],
    ] as const) {
      await open(p);
      await see(page.getByRole('heading', { name: 'Not found', level: 1 }));
      await see(page.locator('main p'), words);
      expect(
        await page
          .locator('main')
          .getByRole('link', { name: /^(Back to|Go to) the / })
          .count(),
      ).toBe(1);
      await until('the title', async () => (await page.title()) === 'Not found · Deliverability');
    }
    await shot('26-not-found');
    // A trailing slash is the same page, everywhere.
    await open('/mailings/new/');
    await see(page.getByRole('heading', { name: 'New mailing' }));
    await open('/contacts/');
    await see(page.getByRole('heading', { name: 'Contacts' }));
    await until('the title', async () => (await page.title()) === 'Contacts · Deliverability');
  } catch (err) {
    await shot('failure-not-found').catch(() => {});
    throw err;
  }
}, 300_000);

test('a page first loaded while the service is away comes back with it', async () => {
  const mailings = (await h.call('GET', '/v1/mailings')).body as { items: { id: string; name: string }[] };
  const mailing = mailings.items.find((m) => m.name === 'Spring news')!;
  const away = (route: { abort: () => Promise<void> }) => route.abort();
  try {
    await open('/mailings');
    // A mailing opened while the API is out of reach: the error, with Try again.
    await page.route('**/v1/**', away);
    await page.goto(`${h.api.url}/mailings/${mailing.id}`);
    await see(page.getByRole('alert'), 'could not be reached');
    await shot('27-mailing-away');
    // Just after an attempt by itself has failed (the next is 5 s away): Try again is the one that works.
    await page.waitForEvent('requestfailed');
    await page.unroute('**/v1/**', away);
    await page.getByRole('button', { name: 'Try again' }).click();
    await see(page.getByRole('region', { name: 'Delivery graph' }));
    // The button went with the error: the keyboard is on the page's content, not its top.
    expect(await page.evaluate<string>('document.activeElement.id')).toBe('main');
    // Or by itself, a few seconds later: the new mailing's groups, and its From address.
    await page.route('**/v1/**', away);
    await page.goto(`${h.api.url}/mailings/new`);
    await see(page.getByRole('alert'), 'This page tries again by itself every 5 seconds.');
    await page.unroute('**/v1/**', away);
    await see(page.getByLabel(/Newsletter/));
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await page.getByLabel('From address').inputValue()).toBe('news@sender.example');
  } catch (err) {
    await shot('failure-away').catch(() => {});
    throw err;
  }
}, 300_000);

test('a member removed on a later page of a group: that page again, the keyboard on the next', async () => {
  const group = (await h.call('POST', '/v1/groups', { name: 'Long list' })).body.id as string;
  const contacts = Array.from({ length: 52 }, (_, i) => ({
    email: `member${String(i).padStart(2, '0')}@ok.test`,
  }));
  await h.call('POST', '/v1/contacts/import', { contacts, groupId: group });
  const heading = page.getByRole('heading', { name: /Long list/ });
  const removes = page.getByRole('button', { name: /^Remove .* from the group$/ });
  try {
    await open(`/groups/${group}`);
    await see(heading, '52');
    await page.getByRole('button', { name: 'Next →' }).click();
    await see(page.getByText('Page 2'));
    await countOf(removes, 2);
    const last = await removes.nth(1).getAttribute('aria-label');
    await removes.first().click();
    await see(heading, '51');
    // Still page 2, its other member's Remove has the keyboard.
    await countOf(removes, 1);
    expect(await page.getByText('Page 2').count()).toBe(1);
    await until('the focus on the next Remove', async () => (await focused()) === last);
    await shot('28-group-page-2-removed');
    // Its last member: the page before, the keyboard on its last member's Remove.
    await page.keyboard.press('Enter');
    await see(heading, '50');
    await countOf(removes, 50);
    const before = await removes.nth(49).getAttribute('aria-label');
    await until('the focus on the last Remove', async () => (await focused()) === before);
  } catch (err) {
    await shot('failure-group-pages').catch(() => {});
    throw err;
  }
}, 300_000);
