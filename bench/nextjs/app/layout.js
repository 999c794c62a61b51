// The document around the blocks, as Vitrine's storefront layout writes it
// (app/src/storefront/mod.rs: head, header with the navigation and the cart link, footer).
import { pageData } from "../lib/data";
import { themeVariables } from "../lib/theme";

export const dynamic = "force-dynamic";

export default function RootLayout({ children }) {
  const { shop, nav, footer, canonical, path, page } = pageData();
  const title =
    page.seo_title || (page.page_type === "home" ? `${shop.name} — ${shop.tagline}` : `${page.title} · ${shop.name}`);
  const description = page.seo_description || shop.tagline;
  return (
    <html lang={shop.locale}>
      <head>
        <title>{title}</title>
        <meta name="description" content={description} />
        <link rel="canonical" href={canonical} />
        <meta property="og:title" content={title} />
        <meta property="og:site_name" content={shop.name} />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
        <link rel="stylesheet" href="/pkg/vitrine.css" />
      </head>
      <body
        className="flex min-h-screen flex-col bg-background font-body text-ink antialiased"
        style={themeVariables(shop.theme)}
      >
        <header className="sticky top-0 z-10 border-b border-black/5 bg-background/90 backdrop-blur">
          <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-4 px-4 py-4 sm:px-6 lg:px-8">
            <a href="/" className="flex flex-col leading-tight">
              <span className="font-heading text-2xl font-semibold text-primary">{shop.name}</span>
              <span className="text-xs tracking-wide text-muted">{shop.tagline}</span>
            </a>
            <nav className="flex flex-wrap items-center gap-1" aria-label="Main">
              {nav.map((link) => {
                const current = link.href === path;
                return (
                  <a
                    key={link.href}
                    href={link.href}
                    aria-current={current ? "page" : undefined}
                    className={
                      current
                        ? "rounded-theme px-3 py-2 text-sm font-semibold text-primary bg-primary/10"
                        : "rounded-theme px-3 py-2 text-sm font-medium text-ink/75 hover:text-primary hover:bg-primary/5"
                    }
                  >
                    {link.label}
                  </a>
                );
              })}
              <a
                href="/cart"
                className="ml-2 inline-flex items-center gap-2 rounded-theme border border-primary/30 px-4 py-2 text-sm font-semibold text-primary hover:bg-primary hover:text-white"
              >
                Cart<span data-cart-slot="" hidden></span>
              </a>
            </nav>
          </div>
        </header>
        <main className="@container flex-1">
          <div className="mx-auto flex max-w-7xl flex-col gap-16 px-4 py-10 sm:px-6 lg:px-8">{children}</div>
        </main>
        <footer className="mt-16 bg-primary text-white/85">
          <div className="mx-auto flex max-w-7xl flex-col gap-2 px-4 py-10 sm:flex-row sm:items-center sm:justify-between sm:px-6 lg:px-8">
            <div>
              <p className="font-heading text-xl font-semibold text-white">{shop.name}</p>
              <p className="text-sm">{shop.tagline}</p>
            </div>
            <nav aria-label="Footer" className="flex flex-wrap gap-x-5 gap-y-1 text-sm">
              {footer.map((l) => (
                <a key={l.href} className="hover:text-white hover:underline" href={l.href}>
                  {l.label}
                </a>
              ))}
            </nav>
            <p className="text-xs text-white/60">Powered by Vitrine</p>
          </div>
        </footer>
      </body>
    </html>
  );
}
