// Times the tab in headless Chromium for scripts/bench.sh, under the same
// emulated host as the browser tests. Prints medians in ms, one line:
//   <ready, 5,000 requests> <ready, empty build> <expand the run> <failed only>
// "ready" is the frame's start to its first full draw (handshake, REST
// calls, parsing and drawing); the empty build is the baseline.
// Usage: node test/bench.mjs [REPS] (after npm ci and npm run build).

import { startHost } from "./host.mjs";
import { bigResults } from "./generate.mjs";
import { launch } from "./chromium.mjs";

const reps = Number(process.argv[2]) || 5;
const host = await startHost({
  builds: [
    { id: 1, steps: [] },
    { id: 2, steps: [{ job: "Load", step: "Postman CLI: load", attachments: [{ name: "postman-results.json", json: bigResults(5000) }] }] },
  ],
});
const browser = await launch();
const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function ready(buildId) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(host.url(buildId));
  await page.frameLocator("iframe").locator('html[data-ready="true"]').waitFor({ state: "attached", timeout: 120_000 });
  const tab = page.frames().find((f) => f.url().startsWith(host.extOrigin));
  const ms = await tab.evaluate(() => performance.getEntriesByName("postman-tab-ready")[0].startTime);
  return { context, tab, ms };
}

// A change drawn and painted: the click's work, then the next frame.
const timed = (tab, action) =>
  tab.evaluate(async (action) => {
    const t0 = performance.now();
    if (action === "expand") document.querySelector(".run .disclosure").click();
    else document.getElementById("failed-only").click();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    return performance.now() - t0;
  }, action);

const big = [];
const empty = [];
const expand = [];
const failed = [];
try {
  for (let i = 0; i < reps; i++) {
    const e = await ready(1);
    empty.push(e.ms);
    await e.context.close();
    const b = await ready(2);
    big.push(b.ms);
    expand.push(await timed(b.tab, "expand"));
    failed.push(await timed(b.tab, "failed"));
    const rows = await b.tab.evaluate(() => document.querySelectorAll(".request").length);
    if (rows !== 100) throw new Error(`expected 100 failed requests drawn, found ${rows}`);
    await b.context.close();
  }
} finally {
  await browser.close();
  await host.close();
}
console.log([big, empty, expand, failed].map((xs) => Math.round(median(xs))).join(" "));
