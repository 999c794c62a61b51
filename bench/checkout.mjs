// Checkout load for bench/checkout: N customers, each in a loop: a fresh cart (POST /api/cart
// with no cookie), then POST /api/checkout-session with the cart's cookie. Runs for DURATION
// seconds and prints one JSON line: iterations, errors, req/s and latency percentiles per
// request type. Node's http module (fetch may not set Host), keep-alive connections; every
// loop is bounded by the deadline.
import http from 'node:http';

const [base, host, variant, customers, seconds] = process.argv.slice(2);
const target = new URL(base);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(customers) });

/** One request: resolves to { status, headers, body }. */
function send(path, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path, method, agent, headers: { host, ...headers } },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(body);
  });
}
const deadline = Date.now() + Number(seconds) * 1000;
const lat = { add: [], checkout: [] };
let errors = 0;
let firstError = null;

async function timed(kind, path, headers, body) {
  const t = performance.now();
  const res = await send(path, 'POST', { 'content-type': 'application/json', accept: 'application/json', ...headers }, body);
  lat[kind].push(performance.now() - t);
  return res;
}

async function customer() {
  while (Date.now() < deadline) {
    try {
      const add = await timed('add', '/api/cart', {}, JSON.stringify({ variant_id: Number(variant), quantity: 1 }));
      if (add.status !== 200) throw new Error(`add ${add.status} ${add.body.slice(0, 200)}`);
      const cookie = String(add.headers['set-cookie'] ?? '').split(';')[0];
      const co = await timed('checkout', '/api/checkout-session', { cookie }, JSON.stringify({ email: 'bench@vitrine.invalid' }));
      if (co.status !== 201) throw new Error(`checkout ${co.status} ${co.body.slice(0, 200)}`);
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
agent.destroy();
