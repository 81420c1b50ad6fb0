// The gatehouse dashboard in a real browser: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core. The server, an organization
// with a place, a door and a group are prepared by the Rust test that runs
// this script (crates/gatehouse/tests/api/dashboard.rs).
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import assert from 'node:assert/strict';

const base = process.env.GATEHOUSE_URL.replace(/\/$/, '');
const domain = process.env.GATEHOUSE_DOMAIN;
const email = process.env.GATEHOUSE_EMAIL;
const password = process.env.GATEHOUSE_PASSWORD;
const groupId = Number(process.env.GATEHOUSE_GROUP_ID);
const doorId = Number(process.env.GATEHOUSE_DOOR_ID);
const shots = process.env.GATEHOUSE_SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });

// The JSON API, for what the story needs outside the browser.
async function api(method, path, secret, body) {
  const response = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json', ...(secret ? { Authorization: `KISI-LOGIN ${secret}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let passed = 0;
let failed = 0;
async function step(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n${error.stack}`);
  }
}
async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
const page = await context.newPage();
const owner = (await api('POST', '/logins', null, { login: { type: 'api' }, user: { domain, email, password } })).body.secret;
let memberId;
let memberSecret;

await step('signing in: a wrong password is refused, the right one opens the dashboard', async () => {
  await page.goto(`${base}/dashboard`);
  assert.match(page.url(), /\/dashboard\/sign-in$/);
  await shot(page, 'sign-in');
  await page.getByLabel('Organization domain').fill(domain);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong email address or password' }).waitFor();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard\/members$/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'gatehouse_session');
  assert.ok(session.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Strict');
});

await step('adding a member by e-mail with their flags', async () => {
  await page.getByLabel('E-mail (required)').fill('dana@example.com');
  await page.getByLabel('Name', { exact: true }).fill('Dana Doorway');
  await page.getByLabel('Allow card access').uncheck();
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('status').filter({ hasText: 'Member added.' }).waitFor();
  await shot(page, 'member-detail');
  memberId = Number(page.url().match(/members\/(\d+)/)[1]);
  assert.equal(await page.getByLabel('Allow card access').isChecked(), false);
  assert.equal(await page.getByLabel('Allow app access').isChecked(), true);
  // The list finds her by name, and sorts.
  await page.goto(`${base}/dashboard/members?query=dana`);
  await page.getByRole('link', { name: 'Dana Doorway' }).waitFor();
  await page.goto(`${base}/dashboard/members`);
  await page.getByRole('link', { name: 'Name' }).click();
  await page.waitForURL(/sort=name/);
  await shot(page, 'members');
});

await step('changing flags on the member detail', async () => {
  await page.goto(`${base}/dashboard/members/${memberId}`);
  await page.getByLabel('Allow card access').check();
  await page.getByLabel('Allow quick access link').uncheck();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  await page.getByRole('status').filter({ hasText: 'Permissions saved.' }).waitFor();
  const member = (await api('GET', `/members/${memberId}`, owner)).body;
  assert.equal(member.card_enabled, true);
  assert.equal(member.link_enabled, false);
});

await step('suspending: the unlock is denied and the denial shows up live in the events', async () => {
  // Dana gets the door's group and a device login.
  const share = await api('POST', '/shares', owner, { share: { email: 'dana@example.com', group_id: groupId } });
  assert.equal(share.status, 200, JSON.stringify(share.body));
  memberSecret = (await api('POST', '/logins', owner, { login: { type: 'device', email: 'dana@example.com' } })).body.secret;
  assert.equal((await api('POST', `/locks/${doorId}/unlock`, memberSecret, {})).status, 200);

  await page.goto(`${base}/dashboard/members/${memberId}`);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Suspend access' }).click();
  await page.getByRole('status').filter({ hasText: 'Access suspended.' }).waitFor();
  await page.getByText('Suspended', { exact: true }).first().waitFor();

  await page.goto(`${base}/dashboard/events?type=lock.unlock`);
  const denied = await api('POST', `/locks/${doorId}/unlock`, memberSecret, {});
  assert.equal(denied.status, 403);
  assert.equal(denied.body.code, 'fcd8ff');
  // No reload: the table updates itself.
  await page.locator('#events').getByText('denied fcd8ff').waitFor({ timeout: 10000 });
  await shot(page, 'events');
});

await step('restoring lets the member in again; the door page unlocks too', async () => {
  await page.goto(`${base}/dashboard/members/${memberId}`);
  await page.getByRole('button', { name: 'Restore access' }).click();
  await page.getByRole('status').filter({ hasText: 'Access restored.' }).waitFor();
  assert.equal((await api('POST', `/locks/${doorId}/unlock`, memberSecret, {})).status, 200);
  await page.goto(`${base}/dashboard/doors`);
  await page.getByRole('button', { name: /^Unlock / }).first().click();
  await page.getByRole('status').filter({ hasText: 'Unlocked!' }).waitFor();
  await shot(page, 'doors');
});

await step('changing the member type, and lockdown from the door page', async () => {
  await page.goto(`${base}/dashboard/members/${memberId}`);
  await page.getByLabel('Organization role').selectOption('organization_manager');
  await page.getByRole('button', { name: 'Change type' }).click();
  await page.getByRole('status').filter({ hasText: 'Type changed.' }).waitFor();
  assert.equal((await api('GET', `/members/${memberId}`, owner)).body.role_id, 'manager');
  await page.getByLabel('Organization role').selectOption('basic');
  await page.getByRole('button', { name: 'Change type' }).click();
  await page.getByRole('status').filter({ hasText: 'Type changed.' }).waitFor();
  assert.equal((await api('GET', `/members/${memberId}`, owner)).body.role_id, 'basic');

  await page.goto(`${base}/dashboard/doors`);
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'Lock down' }).first().click();
  await page.getByRole('status').filter({ hasText: 'The door is locked down.' }).waitFor();
  const locked = await api('POST', `/locks/${doorId}/unlock`, memberSecret, {});
  assert.equal(locked.body.code, 'fad001');
  page.once('dialog', (dialog) => dialog.accept());
  await page.getByRole('button', { name: 'End lockdown' }).first().click();
  await page.getByRole('status').filter({ hasText: 'The lockdown ended.' }).waitFor();
});

await step('deleting a member asks first, and keeps the user profile', async () => {
  await page.goto(`${base}/dashboard/members`);
  await page.getByLabel('E-mail (required)').fill('temp@example.com');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.getByRole('status').filter({ hasText: 'Member added.' }).waitFor();
  await page.getByRole('link', { name: 'Delete…' }).click();
  await page.getByText('Their user profile stays').waitFor();
  await page.getByRole('button', { name: 'Delete member' }).click();
  await page.getByRole('status').filter({ hasText: 'Member deleted' }).waitFor();
  assert.deepEqual((await api('GET', '/members?query=temp%40example.com', owner)).body, []);
});

await step('groups show their doors and members; places list', async () => {
  await page.goto(`${base}/dashboard/groups/${groupId}`);
  await page.getByRole('link', { name: 'Dana Doorway' }).waitFor();
  await page.goto(`${base}/dashboard/places`);
  await page.getByRole('cell', { name: 'HQ' }).waitFor();
});

await step('exporting members: progress, then the file', async () => {
  await page.goto(`${base}/dashboard/exports`);
  await page.getByLabel('Format').selectOption('csv');
  await page.getByRole('button', { name: 'Export members' }).click();
  await page.getByRole('status').filter({ hasText: 'Export started.' }).waitFor();
  const link = page.getByRole('link', { name: 'Download' }).first();
  await link.waitFor({ timeout: 15000 });
  await shot(page, 'exports');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const stream = await download.createReadStream();
  let csv = '';
  for await (const chunk of stream) csv += chunk;
  assert.match(csv, /^id,name,email/);
  assert.match(csv, /dana@example\.com/);
});

await step('a basic member sees their doors and history, and the server refuses the rest', async () => {
  const basic = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await basic.addCookies([{ name: 'gatehouse_session', value: memberSecret, domain: new URL(base).hostname, path: '/dashboard' }]);
  const phone = await basic.newPage();
  await phone.goto(`${base}/dashboard`);
  await phone.waitForURL(/\/dashboard\/doors$/);
  const tabs = await phone.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
  assert.deepEqual(tabs, ['Doors', 'Events']);
  await phone.getByRole('button', { name: /^Unlock / }).first().click();
  await phone.getByRole('status').filter({ hasText: 'Unlocked!' }).waitFor();
  await shot(phone, 'phone-doors');
  // Hiding the button is not enough: a forged suspend of the owner is refused by the server.
  const csrf = await phone.locator('input[name=csrf]').first().inputValue();
  const ownerMember = (await api('GET', '/members?query=' + encodeURIComponent(email), owner)).body[0];
  const landed = await phone.evaluate(async ({ id, csrf }) => {
    const response = await fetch(`/dashboard/members/${id}/suspend`, { method: 'POST', body: new URLSearchParams({ csrf }) });
    return response.url;
  }, { id: ownerMember.id, csrf });
  assert.match(landed, /error=/, 'the page reports the refusal');
  assert.equal((await api('GET', `/members/${ownerMember.id}`, owner)).body.access_enabled, true, 'nothing changed');
  await phone.goto(`${base}/dashboard/members`);
  assert.equal(await phone.getByRole('link', { name: /Olivia Owner/ }).count(), 0);
  await basic.close();
});

await step('a form without the CSRF token is refused', async () => {
  const status = await page.evaluate(async (id) => {
    const response = await fetch(`/dashboard/members/${id}/suspend`, { method: 'POST', body: new URLSearchParams({ csrf: 'forged' }) });
    return response.status;
  }, memberId);
  assert.equal(status, 403);
  assert.equal((await api('GET', `/members/${memberId}`, owner)).body.access_enabled, true);
});

await step('signing out ends the session', async () => {
  await page.goto(`${base}/dashboard/members`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/sign-in/);
  await page.goto(`${base}/dashboard/members`);
  assert.match(page.url(), /sign-in/);
});

await browser.close();
console.log(`dashboard: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
