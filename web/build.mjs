// Builds the tab into dist/: one script, one stylesheet and the page, with
// nothing fetched at run time.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: { "postman-tab": join(here, "src/tab.ts"), "postman-tab-style": join(here, "src/tab.css") },
  outdir: dist,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15", "edge100"],
  legalComments: "linked",
  entryNames: "[name]",
  logLevel: "warning",
});
// esbuild names a CSS entry's output after the entry; the page links postman-tab.css.
const { renameSync } = await import("node:fs");
renameSync(join(dist, "postman-tab-style.css"), join(dist, "postman-tab.css"));
copyFileSync(join(here, "src/postman-tab.html"), join(dist, "postman-tab.html"));
