// The page's data: the JSON file bench/nextjs/export.mjs wrote from the seeded Vitrine
// (VITRINE_NEXT_DATA). The file's text is read once; it is parsed again for every request
// (React's `cache` shares one parse between the layout and the page of that request).
import { readFileSync } from "node:fs";
import { cache } from "react";

let text = null;

export const pageData = cache(() => {
  text ??= readFileSync(process.env.VITRINE_NEXT_DATA, "utf8");
  return JSON.parse(text);
});
