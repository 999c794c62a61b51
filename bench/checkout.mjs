// Checkout load for bench/checkout: N customers, each in a loop: a fresh cart (POST /api/cart
// with no cookie), then POST /api/checkout-session with the cart's cookie. Runs for DURATION
// seconds and prints one JSON line: iterations, errors, req/s and latency percentiles per
// request type. Node's own fetch; every loop is bounded by the deadline.
const [base, host, variant, customers, seconds] = process.argv.slice(2);
const deadline = Date.now() + Number(seconds) * 1000;
const lat = { add: [], checkout: [] };
let errors = 0;
let firstError = null;

async function timed(kind, url, init) {
  const t = performance.now();
  const res = await fetch(url, init);
  const body = await res.text();
  lat[kind].push(performance.now() - t);
  return { res, body };
}

async function customer() {
  while (Date.now() < deadline) {
    try {
      const add = await timed('add', `${base}/api/cart`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ variant_id: Number(variant), quantity: 1 }),
      });
      if (add.res.status !== 200) throw new Error(`add ${add.res.status} ${add.body.slice(0, 200)}`);
      const cookie = (add.res.headers.get('set-cookie') || '').split(';')[0];
      const co = await timed('checkout', `${base}/api/checkout-session`, {
        method: 'POST',
        headers: { host, cookie, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: 'bench@vitrine.invalid' }),
      });
      if (co.res.status !== 201) throw new Error(`checkout ${co.res.status} ${co.body.slice(0, 200)}`);
    } catch (e) {
      errors += 1;
      firstError ??= String(e);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function pct(xs, p) {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const started = performance.now();
await Promise.all(Array.from({ length: Number(customers) }, customer));
const elapsed = (performance.now() - started) / 1000;
const out = { seconds: elapsed, errors, first_error: firstError };
for (const k of Object.keys(lat)) {
  out[k] = { n: lat[k].length, rps: lat[k].length / elapsed, p50: pct(lat[k], 50), p99: pct(lat[k], 99) };
}
console.log(JSON.stringify(out));
