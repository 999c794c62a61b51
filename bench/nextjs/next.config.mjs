// Production build for bench/storefront: `next build`, then `next start` on 127.0.0.1.
/** @type {import('next').NextConfig} */
const nextConfig = {
  // This folder is its own project inside the repository (which has a lock file of its own).
  turbopack: { root: import.meta.dirname },
  outputFileTracingRoot: import.meta.dirname,
};

export default nextConfig;
