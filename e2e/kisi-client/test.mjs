// End-to-end: the official Kisi JavaScript client against a running
// gatehouse, unchanged but for its base URL.
//
// Usage: GATEHOUSE_URL=http://127.0.0.1:8080/ GATEHOUSE_DOMAIN=acme \
//        GATEHOUSE_EMAIL=owner@acme.io GATEHOUSE_PASSWORD=... node test.mjs
import assert from 'node:assert/strict';
import Kisi from 'kisi-client';

const { GATEHOUSE_URL, GATEHOUSE_DOMAIN, GATEHOUSE_EMAIL, GATEHOUSE_PASSWORD } = process.env;
for (const [name, value] of Object.entries({ GATEHOUSE_URL, GATEHOUSE_DOMAIN, GATEHOUSE_EMAIL, GATEHOUSE_PASSWORD })) {
  if (!value) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
}

const steps = [];
const step = (name, fn) => steps.push({ name, fn });
const kisi = new Kisi({ baseURL: GATEHOUSE_URL });

step('a wrong password is refused with afc516', async () => {
  await assert.rejects(
    kisi.signIn({ domain: GATEHOUSE_DOMAIN, email: GATEHOUSE_EMAIL, password: 'not-the-password' }),
    error => error.status === 401 && error.code === 'afc516'
  );
});

step('signIn stores the secret', async () => {
  const login = await kisi.signIn({ domain: GATEHOUSE_DOMAIN, email: GATEHOUSE_EMAIL, password: GATEHOUSE_PASSWORD });
  assert.equal(typeof login.secret, 'string');
  assert.ok(login.secret.length >= 32);
  assert.equal(login.type, 'device');
  assert.equal(login.email, GATEHOUSE_EMAIL.toLowerCase());
});

let before;
step("get('places') returns the pagination parsed from X-Collection-Range", async () => {
  before = await kisi.get('places');
  assert.ok(Array.isArray(before.data));
  assert.deepEqual(before.pagination, { offset: 0, limit: 50, count: before.data.length });
});

let created;
step("post('places', ...) creates a place", async () => {
  created = await kisi.post('places', { place: { name: 'Client Test Place', address: '1 Kisi Way', timeZone: 'Europe/London' } });
  assert.equal(created.resourceType, 'Place');
  assert.equal(created.name, 'Client Test Place');
  assert.equal(created.timeZone, 'Europe/London');
  assert.equal(typeof created.id, 'number');
});

step('the new place is listed and paged', async () => {
  const after = await kisi.get('places', { limit: 1, offset: before.pagination.count });
  assert.deepEqual(after.pagination, { offset: before.pagination.count, limit: 1, count: before.pagination.count + 1 });
  assert.equal(after.data.length, 1);
  assert.equal(after.data[0].id, created.id);
  const one = await kisi.get(`places/${created.id}`);
  assert.equal(one.address, '1 Kisi Way');
});

step('the current user and organization', async () => {
  const user = await kisi.get('user');
  assert.equal(user.email, GATEHOUSE_EMAIL.toLowerCase());
  const organization = await kisi.get('organization');
  assert.equal(organization.domain, GATEHOUSE_DOMAIN);
});

step('signOut makes the next call 401', async () => {
  await kisi.signOut();
  await assert.rejects(kisi.get('places'), error => error.status === 401 && /^[0-9a-f]{6}$/.test(error.code));
});

let passed = 0;
let failed = 0;
for (const { name, fn } of steps) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok - ${name}\n  ${error?.stack ?? error}`);
    break;
  }
}
console.log(`kisi-client: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed === steps.length ? 0 : 1);
