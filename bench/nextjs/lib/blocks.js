// One React component per block type on the sample home page, writing the markup of Vitrine's
// block components (app/src/blocks/*.rs) from the blocks' JSON props: hero, product_grid,
// columns, image, rich_text, divider, gallery, spacer, button. Other types render nothing.

// `safe_url::safe_link` / `safe_image`: http(s), mailto (links only) or relative, else refused.
function checkUrl(url, allowMailto) {
  if (typeof url !== "string") return null;
  const u = url.trim();
  // Control characters anywhere, a backslash, or a protocol-relative address: refused.
  // eslint-disable-next-line no-control-regex
  if (!u || /[\u0000-\u001f\u007f-\u009f]/.test(u) || u.includes("\\") || u.startsWith("//")) return null;
  const colon = u.indexOf(":");
  const slash = u.search(/[/?#]/);
  if (colon === -1 || (slash !== -1 && slash < colon)) return u;
  const scheme = u.slice(0, colon).toLowerCase();
  if (scheme === "http" || scheme === "https") return u.slice(colon + 1).startsWith("//") ? u : null;
  return scheme === "mailto" && allowMailto ? u : null;
}
const safeLink = (url) => checkUrl(url, true);
const safeImage = (url) => checkUrl(url, false);

// `money::format_price`.
function formatPrice(minor, currency) {
  const sign = minor < 0 ? "-" : "";
  const abs = Math.abs(minor);
  const amount = `${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
  switch (currency) {
    case "EUR":
      return `${sign}€${amount}`;
    case "USD":
      return `${sign}$${amount}`;
    case "GBP":
      return `${sign}£${amount}`;
    default:
      return `${sign}${amount} ${currency}`;
  }
}

function Hero({ props }) {
  const image = safeImage(props.image ?? "");
  const centered = props.align === "center";
  const href = safeLink(props.cta_url ?? "");
  const style = image
    ? { backgroundImage: `url("${image.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replace(/[\n\r]/g, "")}")` }
    : undefined;
  return (
    <section
      className={
        image
          ? "relative overflow-hidden rounded-theme bg-primary bg-cover bg-center text-white"
          : "relative overflow-hidden rounded-theme bg-primary text-white"
      }
      style={style}
    >
      {image && <div className="absolute inset-0 bg-gradient-to-r from-black/55 via-black/30 to-transparent"></div>}
      <div
        className={
          centered
            ? "relative mx-auto flex min-h-[26rem] max-w-3xl flex-col items-center justify-center gap-5 px-6 py-20 text-center"
            : "relative flex min-h-[26rem] max-w-2xl flex-col justify-center gap-5 px-8 py-20 @xl:px-14"
        }
      >
        <h1 className="font-heading text-4xl leading-tight font-semibold tracking-tight drop-shadow-sm @xl:text-6xl">
          {props.heading}
        </h1>
        {props.subheading ? <p className="max-w-xl text-lg text-white/90 @xl:text-xl">{props.subheading}</p> : null}
        {props.cta_label && href ? (
          <a
            href={href}
            className="inline-flex w-fit items-center gap-2 rounded-theme bg-accent px-6 py-3 font-semibold text-white shadow-lg shadow-black/20 transition hover:brightness-110"
          >
            <span>{props.cta_label}</span>
            <span aria-hidden="true">→</span>
          </a>
        ) : null}
      </div>
    </section>
  );
}

function ProductCard({ product, showPrice }) {
  const image = product.image ? safeImage(product.image) : null;
  const price =
    product.kind === "rental"
      ? `${formatPrice(product.price, product.currency)} / day`
      : formatPrice(product.price, product.currency);
  return (
    <a
      href={`/products/${product.handle}`}
      className="group flex flex-col overflow-hidden rounded-theme bg-surface shadow-sm ring-1 ring-black/5 transition hover:-translate-y-0.5 hover:shadow-md"
      data-product-handle={product.handle}
    >
      <div className="aspect-square overflow-hidden bg-background">
        {image && (
          <img
            src={image}
            alt={product.title}
            loading="lazy"
            className="h-full w-full object-cover transition duration-300 group-hover:scale-105"
          />
        )}
      </div>
      <div className="flex flex-1 flex-col gap-1 p-4">
        <h3 className="font-heading text-lg leading-snug font-semibold text-ink">{product.title}</h3>
        {showPrice && <p className="text-sm font-medium text-muted">{price}</p>}
        {!product.available && <p className="text-xs font-semibold uppercase tracking-wide text-accent">Sold out</p>}
      </div>
    </a>
  );
}

function ProductGrid({ props, products }) {
  const grid =
    props.columns === 2
      ? "grid grid-cols-1 gap-6 @xl:grid-cols-2"
      : props.columns === 3
        ? "grid grid-cols-2 gap-6 @3xl:grid-cols-3"
        : "grid grid-cols-2 gap-6 @3xl:grid-cols-3 @5xl:grid-cols-4";
  const featuredOnly = props.source === "featured";
  const limit = Math.min(Math.max(props.limit ?? 8, 0), 24);
  const cards = products.filter((p) => !featuredOnly || p.featured).slice(0, limit);
  return (
    <div className="mx-auto max-w-6xl">
      {props.title ? (
        <div className="mb-6 flex items-end justify-between gap-4">
          <h2 className="font-heading text-3xl font-semibold text-ink">{props.title}</h2>
          <a href="/products" className="text-sm font-semibold text-primary hover:text-accent">
            View all →
          </a>
        </div>
      ) : null}
      <div className={grid}>
        {cards.map((p) => (
          <ProductCard key={p.handle} product={p} showPrice={props.show_price !== false} />
        ))}
      </div>
    </div>
  );
}

function Columns({ props, childBlocks, products }) {
  const cols = props.columns === 3 ? "@3xl:grid-cols-3" : props.columns === 4 ? "@3xl:grid-cols-2 @5xl:grid-cols-4" : "@3xl:grid-cols-2";
  const gap = props.gap === "sm" ? "gap-4" : props.gap === "lg" ? "gap-14" : "gap-8";
  const align = props.vertical_align === "center" ? "items-center" : "items-start";
  return (
    <div className={`mx-auto grid max-w-6xl grid-cols-1 ${cols} ${gap} ${align}`}>
      <BlockList blocks={childBlocks ?? []} products={products} />
    </div>
  );
}

function Image({ props }) {
  const src = safeImage(props.src ?? "");
  const figure = props.width === "full" ? "w-full" : props.width === "wide" ? "mx-auto max-w-5xl" : "mx-auto max-w-3xl";
  const img = src && (
    <img src={src} alt={props.alt} loading="lazy" className="h-auto w-full rounded-theme object-cover shadow-sm" />
  );
  const href = safeLink(props.link ?? "");
  return (
    <figure className={figure}>
      {href ? <a href={href}>{img}</a> : img}
      {props.caption ? <figcaption className="mt-3 text-center text-sm text-muted">{props.caption}</figcaption> : null}
    </figure>
  );
}

// `RichText::from_value` then `paragraphs`: runs split at `\n`, empty paragraphs dropped.
function paragraphs(body) {
  const runs = typeof body === "string" ? [{ text: body }] : Array.isArray(body) ? body : [];
  const paras = [[]];
  for (const run of runs) {
    const text = run.insert ?? run.text ?? "";
    const attrs = run.insert !== undefined ? (run.attributes ?? {}) : run;
    const parts = text.split("\n");
    parts.forEach((part, i) => {
      if (part) paras[paras.length - 1].push({ text: part, bold: !!attrs.bold, italic: !!attrs.italic, link: attrs.link || null });
      if (i < parts.length - 1) paras.push([]);
    });
  }
  return paras.filter((p) => p.length > 0);
}

function Run({ run }) {
  let inner = run.text;
  if (run.italic) inner = <em>{inner}</em>;
  if (run.bold) inner = <strong>{inner}</strong>;
  const href = run.link && safeLink(run.link);
  return href ? (
    <a className="underline decoration-2 underline-offset-2 text-primary hover:text-accent" href={href}>
      {inner}
    </a>
  ) : (
    inner
  );
}

function RichText({ props }) {
  const width = props.width === "wide" ? "max-w-5xl" : "max-w-2xl";
  const align = props.align === "center" ? "text-center" : "text-left";
  return (
    <div className={`mx-auto ${width} ${align} px-2`}>
      {props.heading ? <h2 className="mb-4 font-heading text-3xl font-semibold text-ink">{props.heading}</h2> : null}
      <div className="space-y-4 text-lg leading-relaxed text-ink/85">
        {paragraphs(props.body).map((runs, i) => (
          <p key={i} className="">
            {runs.map((run, j) => (
              <Run key={j} run={run} />
            ))}
          </p>
        ))}
      </div>
    </div>
  );
}

function Divider({ props }) {
  const line = props.style === "dashed" ? "border-dashed" : props.style === "dotted" ? "border-dotted" : "border-solid";
  const color =
    {
      primary: "border-primary",
      accent: "border-accent",
      background: "border-background",
      surface: "border-surface",
      text: "border-ink",
    }[props.color] ?? "border-muted/40";
  return <hr className={`mx-auto max-w-6xl border-t-2 ${line} ${color}`} />;
}

function Gallery({ props }) {
  const grid =
    props.columns === 2
      ? "grid grid-cols-1 gap-4 @xl:grid-cols-2"
      : props.columns === 4
        ? "grid grid-cols-2 gap-4 @3xl:grid-cols-4"
        : "grid grid-cols-1 gap-4 @xl:grid-cols-2 @3xl:grid-cols-3";
  const images = (props.images ?? []).map((img) => [safeImage(img.src ?? ""), img.alt]).filter(([src]) => src);
  return (
    <div className="mx-auto max-w-6xl">
      {props.title ? <h2 className="mb-6 font-heading text-3xl font-semibold text-ink">{props.title}</h2> : null}
      <div className={grid}>
        {images.map(([src, alt], i) => (
          <img
            key={i}
            src={src}
            alt={alt}
            loading="lazy"
            className="aspect-[3/2] h-full w-full rounded-theme object-cover shadow-sm transition duration-300 hover:scale-[1.02]"
          />
        ))}
      </div>
    </div>
  );
}

function Spacer({ props }) {
  const size = { xs: "h-2", sm: "h-6", lg: "h-20", xl: "h-32" }[props.size] ?? "h-12";
  return <div className={size} aria-hidden="true"></div>;
}

function Button({ props }) {
  const wrap = props.align === "left" ? "flex justify-start" : props.align === "right" ? "flex justify-end" : "flex justify-center";
  const className =
    props.style === "secondary"
      ? "inline-flex items-center rounded-theme bg-accent px-7 py-3 text-base font-semibold text-white shadow-sm transition hover:brightness-110"
      : props.style === "outline"
        ? "inline-flex items-center rounded-theme border-2 border-primary px-7 py-3 text-base font-semibold text-primary transition hover:bg-primary hover:text-white"
        : "inline-flex items-center rounded-theme bg-primary px-7 py-3 text-base font-semibold text-white shadow-sm transition hover:brightness-125";
  return (
    <div className={wrap}>
      <a href={safeLink(props.url ?? "") ?? undefined} className={className}>
        {props.label}
      </a>
    </div>
  );
}

const BLOCKS = {
  hero: Hero,
  product_grid: ProductGrid,
  columns: Columns,
  image: Image,
  rich_text: RichText,
  divider: Divider,
  gallery: Gallery,
  spacer: Spacer,
  button: Button,
};

// Each block inside the wrapper Vitrine's `BlockView` writes.
export function BlockList({ blocks, products }) {
  return blocks.map((block) => {
    const Block = BLOCKS[block.type];
    return (
      <div key={block.id} className="vt-block" data-block-id={block.id} data-block-type={block.type}>
        {Block ? <Block props={block.props ?? {}} childBlocks={block.children} products={products} /> : null}
      </div>
    );
  });
}
