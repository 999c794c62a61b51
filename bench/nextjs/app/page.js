// The page's blocks, rendered for every request (no static generation, no ISR, no fetch cache).
import { pageData } from "../lib/data";
import { BlockList } from "../lib/blocks";

export const dynamic = "force-dynamic";

export default function Page() {
  const { blocks, products } = pageData();
  return <BlockList blocks={blocks} products={products} />;
}
