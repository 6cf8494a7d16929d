'use strict';
// Drives acc-gen's /stubs/handler_api.php with hero-sms, a third-party
// SMS-Activate client from npm, unchanged: only its baseUrl points at us.
// Run by TestHeroSMSClientEndToEnd (core/stub/e2e_test.go), which passes
// ACCGEN_STUB_URL and ACCGEN_API_KEY and reads one JSON event per line on
// stdout: on {"event":"number"} it texts the number a code through the
// upstream simulator while this script polls getStatus. Any failed check
// exits non-zero with the reason on stderr.

const {
  HeroSMSClient,
  HeroSMSError,
  AuthenticationError,
  ActivationNotFoundError,
  WrongMaxPriceError,
} = require('hero-sms');

const baseUrl = process.env.ACCGEN_STUB_URL;
const client = new HeroSMSClient({ apiKey: process.env.ACCGEN_API_KEY, baseUrl, timeout: 10000 });

function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');
}

function check(ok, what) {
  if (!ok) throw new Error('check failed: ' + what);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// sameMoney compares NGN amounts the client parsed as floats.
const sameMoney = (a, b) => Math.abs(a - b) < 0.005;

async function waitForCode(id) {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const st = await client.getStatus(id);
    if (st.status === 'STATUS_OK') return st.code;
    check(st.status === 'STATUS_WAIT_CODE', 'still waiting, got ' + st.status);
    await sleep(100);
  }
  throw new Error('no code within 30s');
}

async function expectError(promise, errorClass, code) {
  try {
    await promise;
  } catch (e) {
    check(e instanceof errorClass, `expected ${errorClass.name}, got ${e.name}: ${e.message}`);
    if (code) check(e.code === code, `expected code ${code}, got ${e.code}`);
    return e;
  }
  throw new Error(`expected ${errorClass.name}, got a success`);
}

async function referenceData() {
  const countries = await client.getCountries();
  check(countries['187'] && countries['187'].eng === 'USA' && countries['187'].id === 187, 'getCountries keyed by id');
  const services = await client.getServicesList();
  check(services.status === 'success' && services.services.some((s) => s.code === 'wa'), 'getServicesList');
  const ops = await client.getOperators(187);
  check(ops.status === 'success' && Array.isArray(ops.countryOperators['187']), 'getOperators');
  const top = await client.getTopCountriesByService({ service: 'wa' });
  check(top['0'] && typeof top['0'].country === 'number' && typeof top['0'].price === 'number', 'getTopCountriesByService');
  const prices = await client.getPrices({ service: 'wa', country: 187 });
  const price = prices['187'].wa.cost;
  check(typeof price === 'number' && price > 0 && prices['187'].wa.count > 0, 'getPrices cost and count');
  return price;
}

// buy → code → finish, with getNumber.
async function buyCodeFinish(price, start) {
  const { activationId, phoneNumber } = await client.getNumber({ service: 'wa', country: 187 });
  check(/^[1-9]\d{7}$/.test(String(activationId)) && /^\d+$/.test(phoneNumber), 'digits-only id and phone');
  check((await client.markReady(activationId)) === 'ACCESS_READY', 'setStatus 1');
  emit('number', { id: String(activationId), phone: phoneNumber });
  const code = await waitForCode(activationId);
  emit('code', { id: String(activationId), code });
  const v2 = await client.getStatusV2(activationId);
  check(v2.sms && v2.sms.code === code && v2.verificationType === 0, 'getStatusV2 carries the code');
  const active = await client.getActiveActivations();
  check(active.status === 'success' && active.activeActivations.some((a) => a.activationId === String(activationId)),
    'getActiveActivations lists it');
  check((await client.complete(activationId)) === 'ACCESS_ACTIVATION', 'setStatus 6');
  check((await client.getStatus(activationId)).status === 'STATUS_CANCEL', 'a finished activation reads STATUS_CANCEL');
  const after = await client.getBalance();
  check(sameMoney(start - price, after), `charged the getPrices cost: ${start} - ${price} != ${after}`);
  emit('finished', { id: String(activationId), balance: after });
  return after;
}

// buy → cancel → refund, with getNumberV2.
async function buyCancelRefund(before) {
  const n = await client.getNumberV2({ service: 'tg', country: 16 });
  check(typeof n.activationId === 'number' && n.currency === 566 && /^\d+$/.test(n.phoneNumber), 'getNumberV2 shape');
  emit('number2', { id: String(n.activationId) });
  check(sameMoney(before - n.activationCost, await client.getBalance()), 'getNumberV2 charged activationCost');
  check((await client.cancel(n.activationId)) === 'ACCESS_CANCEL', 'setStatus 8');
  const refunded = await client.getBalance();
  check(sameMoney(refunded, before), `refunded in full: ${refunded} != ${before}`);
  check((await client.getStatus(n.activationId)).status === 'STATUS_CANCEL', 'a cancelled activation reads STATUS_CANCEL');
  await expectError(client.cancel(n.activationId), HeroSMSError, 'BAD_STATUS');
  emit('cancelled', { id: String(n.activationId), balance: refunded });
  return refunded;
}

async function errors(price) {
  await expectError(client.getStatus(99999999), ActivationNotFoundError);
  await expectError(client.getNumber({ service: 'zz', country: 187 }), HeroSMSError, 'BAD_SERVICE');
  const e = await expectError(client.getNumber({ service: 'wa', country: 187, maxPrice: 1 }), WrongMaxPriceError);
  check(sameMoney(e.minimumPrice, price), 'WRONG_MAX_PRICE names our price');
  const stranger = new HeroSMSClient({ apiKey: 'acc_not_a_key', baseUrl, timeout: 10000 });
  await expectError(stranger.getBalance(), AuthenticationError, 'BAD_KEY');
  const none = await client.getActiveActivations();
  check(none.status === 'error' && none.error === 'NO_ACTIVATIONS', 'NO_ACTIVATIONS envelope');
  const history = await client.getHistory({ size: 10 });
  check(Array.isArray(history) && history.length === 2, 'getHistory lists both orders');
}

async function main() {
  const price = await referenceData();
  const start = await client.getBalance();
  emit('balance', { balance: start });
  const afterFirst = await buyCodeFinish(price, start);
  const end = await buyCancelRefund(afterFirst);
  await errors(price);
  emit('done', { balance: end });
}

main().catch((e) => {
  process.stderr.write(String((e && e.stack) || e) + '\n');
  process.exit(1);
});
