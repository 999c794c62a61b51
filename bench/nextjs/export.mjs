// Exports what the Next.js baseline renders, from a seeded Vitrine at bench time, as one JSON
// file on stdout: the live page's blocks from Vitrine's headless delivery API
// (`GET /api/v1/content/pages/{slug}`), and from its SQLite database the shop (name, tagline,
// locale, theme tokens), the default navigation (Home, Shop, the content pages) and the
// catalogue as product cards (cheapest variant's price, in stock or not), which Vitrine also
// keeps in memory between renders.
//
//   node bench/nextjs/export.mjs --db FILE --addr 127.0.0.1:PORT --host demo.localhost \
//     [--handle demo] [--slug home] > data.json
import { execFileSync } from "node:child_process";
import http from "node:http";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []),
);
const { db, addr, host } = args;
const handle = args.handle ?? "demo";
const slug = args.slug ?? "home";
if (!db || !addr || !host) {
  console.error("usage: export.mjs --db FILE --addr HOST:PORT --host SHOP_HOST [--handle H] [--slug S]");
  process.exit(2);
}

const [hostname, port] = addr.split(":");
const content = await new Promise((resolve, reject) => {
  http
    .get({ hostname, port, path: `/api/v1/content/pages/${slug}`, headers: { Host: host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () =>
        res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`content API: ${res.statusCode} ${body}`)),
      );
    })
    .on("error", reject);
});

const sql = (query) => {
  const out = execFileSync("sqlite3", ["-json", db, query], { encoding: "utf8" });
  return out.trim() ? JSON.parse(out) : [];
};
const quoted = handle.replaceAll("'", "''");
const [shop] = sql(`SELECT id, name, tagline, locale, theme FROM shop WHERE handle = '${quoted}'`);
if (!shop) throw new Error(`no shop ${handle}`);

// The navigation a shop without header links gets (`NavLink::defaults`).
const pages = sql(
  `SELECT title, slug FROM page WHERE shop_id = ${shop.id} AND page_type = 'page' AND live_revision_id IS NOT NULL ORDER BY id`,
);
const nav = [
  { label: "Home", href: "/" },
  { label: "Shop", href: "/products" },
  ...pages.map((p) => ({ label: p.title, href: `/pages/${p.slug}` })),
];

// Product cards in listing order (`load::card`).
const products = sql(
  `SELECT id, handle, title, images, featured, kind FROM product WHERE shop_id = ${shop.id} ORDER BY position, id`,
);
const variants = sql(`SELECT product_id, price, currency, inventory FROM product_variant WHERE shop_id = ${shop.id}`);
const cards = products.map((p) => {
  const own = variants.filter((v) => v.product_id === p.id);
  const cheapest = own.reduce((a, v) => (a === null || v.price < a.price ? v : a), null);
  return {
    handle: p.handle,
    title: p.title,
    image: JSON.parse(p.images)[0] ?? null,
    price: cheapest?.price ?? 0,
    currency: cheapest?.currency ?? "",
    featured: p.featured === 1,
    kind: p.kind,
    available: p.kind === "rental" || own.some((v) => v.inventory > 0),
  };
});

process.stdout.write(
  JSON.stringify({
    shop: { name: shop.name, tagline: shop.tagline, locale: shop.locale, theme: JSON.parse(shop.theme) },
    nav,
    footer: [],
    canonical: `http://${host}:${port}/`,
    path: "/",
    page: content.page,
    blocks: content.blocks,
    products: cards,
  }),
);
