// The Postman tab in headless Chromium (Debian's), loaded as Azure DevOps
// loads it: in a cross-origin iframe under a host page that answers the
// SDK's handshake and the build REST API (test/host.mjs). The tests look at
// what a person sees. Screenshots go to target/web-screenshots/.
//
// Needs `npm ci` and `npm run build` in web/ first (the Rust test
// tests/integration/web_tab.rs does both) and /usr/bin/chromium
// (scripts/test.sh installs it). Installs nothing itself.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, launch } from "./chromium.mjs";
import { startHost } from "./host.mjs";
import { bigResults } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name) => JSON.parse(readFileSync(join(here, "fixtures", name), "utf8"));
const shots = process.env.WEB_SCREENSHOTS ?? join(here, "../../target/web-screenshots");
const WAIT = 60_000;
// A stand-in for the CLI's HTML report, with a script that would show it ran.
const HTML_REPORT = "<!doctype html><title>Postman CLI report</title><script>parent.__htmlReportRan = 1; window.__htmlReportRan = 1;</script><h1>Shop API</h1>";

// A secret the run had: the task masks it before attaching, so it must not
// be anywhere in the page; the mask must show where it was.
const SECRET = "PMAK-65f0c2e1d3b4a5968778695a-1f2e3d4c5b6a7988";

const BUILDS = {
  failing: 1,
  empty: 2,
  shards: 3,
  big: 4,
  testPlan: 5,
};

// A step that updated Azure Test Plans: the smoke run, with what it did.
const WITH_TEST_PLAN = {
  ...fixture("smoke.json"),
  testPlan: {
    plan: "Release 1",
    planId: 7,
    runId: 12,
    runUrl: "https://dev.azure.com/contoso/Shop/_TestManagement/Runs?runId=12",
    cases: [
      { id: 101, name: "Get user", outcome: "Passed", points: 2, tests: 3, flaky: true },
      { id: 102, name: "Create order", outcome: "Failed", points: 1, tests: 1, flaky: false },
      { id: 105, name: "Paging", outcome: "NotExecuted", points: 1, tests: 1, flaky: false },
    ],
    warnings: ["Azure Test Plans: test cases 999 are named by Postman tests but have no test point in plan `Release 1`."],
  },
};

let browser;
let host;

before(async () => {
  assert.ok(existsSync(join(here, "../dist/postman-tab.html")), "run `npm run build` in web/ first");
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (scripts/test.sh does)`);
  mkdirSync(shots, { recursive: true });
  host = await startHost({
    builds: [
      {
        id: BUILDS.failing,
        steps: [
          {
            job: "Linux",
            step: "Postman CLI: Shop API",
            attachments: [
              { name: "postman-results-1.json", json: fixture("shop-staging.json") },
              { name: "postman-report-1-01.html", type: "postman-cli-task.html", text: HTML_REPORT },
            ],
          },
        ],
      },
      { id: BUILDS.empty, steps: [] },
      {
        id: BUILDS.shards,
        steps: [
          { job: "Shard 1", step: "Postman CLI: smoke", attachments: [{ name: "postman-results.json", json: fixture("smoke.json") }] },
          { job: "Shard 1", step: "Postman CLI: checkout", attachments: [{ name: "postman-results-2.json", json: fixture("checkout-shard-1.json") }] },
          // The same attachment name in another job: both must show.
          { job: "Shard 2", step: "Postman CLI: checkout", attachments: [{ name: "postman-results-2.json", json: fixture("checkout-shard-2.json") }] },
        ],
      },
      { id: BUILDS.testPlan, steps: [{ job: "Linux", step: "Postman CLI: smoke", attachments: [{ name: "postman-results.json", json: WITH_TEST_PLAN }] }] },
      { id: BUILDS.big, steps: [{ job: "Load", step: "Postman CLI: load", attachments: [{ name: "postman-results.json", json: bigResults(5000) }] }] },
    ],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await host?.close();
});

/** A screenshot of the tab as a person first sees it: scrolled to the top, no hover. */
async function screenshot(page, tab, name) {
  await page.mouse.move(0, 0);
  await tab.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
  });
  await page.screenshot({ path: join(shots, name) });
}

/** Opens the host page for a build and waits until the tab has drawn. */
async function open(buildId, { theme = "light", params = {}, height = 0, viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(host.url(buildId, { theme, ...(height ? { height: String(height) } : {}), ...params }));
  const frame = page.frameLocator("iframe");
  await frame.locator('html[data-ready="true"]').waitFor({ state: "attached", timeout: WAIT });
  const tab = page.frames().find((f) => f.url().startsWith(host.extOrigin));
  assert.ok(tab, "the tab's frame is from the extension's origin");
  return { page, frame, tab, errors, close: () => context.close() };
}

const runButton = (frame, name) => frame.getByRole("button", { name: new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).first();
const requestRow = (frame, path) => frame.locator(".request-row", { hasText: path }).first();

async function visibleText(tab) {
  return tab.evaluate(() => document.body.innerText);
}

test("a failing build: every run, counts, the failures, and a failed request's request and response", async () => {
  const { page, frame, tab, errors, close } = await open(BUILDS.failing);
  try {
    // The host saw the page load, and every REST call carried the token, cross-origin.
    assert.equal(await page.evaluate(() => window.__host.loaded), true);
    assert.ok(host.log.length >= 3, JSON.stringify(host.log));
    assert.ok(host.log.every((r) => r.authorized && r.origin === host.extOrigin), JSON.stringify(host.log));
    assert.ok(host.log.some((r) => r.path.endsWith("/attachments/postman-cli-task.results")));
    assert.ok(host.log.some((r) => /\/attachments\/postman-cli-task\.results\/postman-results-1\.json$/.test(r.path)));

    // The runs, collapsed, with their counts and the Postman link.
    await frame.getByText("Shop API · staging").waitFor();
    let text = await visibleText(tab);
    for (const want of ["2 collection runs", "1 failed", "Users API · staging", "5 passed", "4 failed", "2 skipped", "API governance · api/openapi.yaml", "Postman CLI 1.62.0"]) {
      assert.ok(text.includes(want), `${want} in\n${text}`);
    }
    assert.deepEqual(await frame.locator(".step-title").allTextContents(), ["Linux › Postman CLI: Shop API"]);
    const link = frame.getByRole("link", { name: /View in Postman/ });
    assert.equal(await link.getAttribute("href"), "https://go.postman.co/workspace/3f1b2c4d-0000-4000-8000-5a6b7c8d9e0f/run/38214470-9c1e7f52-4b1d-4a7e-9f0c-2d6e8a1b3c5d");
    assert.equal(await link.getAttribute("target"), "_blank");
    assert.equal(await frame.locator(".request").count(), 0, "runs start collapsed");

    // The CLI's HTML report is a download, never opened in the frame: its
    // script does not run here.
    const [download] = await Promise.all([page.waitForEvent("download"), frame.getByRole("button", { name: /HTML report/ }).click()]);
    assert.equal(download.suggestedFilename(), "postman-report-1-01.html");
    assert.equal(readFileSync(await download.path(), "utf8"), HTML_REPORT);
    assert.equal(await tab.evaluate(() => window.__htmlReportRan ?? null), null);
    assert.equal(page.context().pages().length, 1, "no page was opened");
    assert.equal(await page.evaluate(() => window.__htmlReportRan ?? null), null);
    assert.equal(await frame.getByRole("button", { name: /HTML report/ }).count(), 1, "only the run with a report offers one");

    // Expanded: the requests in order, failures shown without another click.
    await runButton(frame, "Shop API · staging").click();
    const paths = await frame.locator(".request .path").allInnerTexts();
    assert.deepEqual(paths, ["Orders / List orders", "Orders / Create order", "Orders / Get order by id", "Orders / Cancel order", "Catalog / Legacy product page", "Catalog / Search"]);
    text = await visibleText(tab);
    for (const want of [
      "expected response to have status code 201 but got 500",
      "AssertionError: expected undefined to be a string",
      "Request error",
      "connect ECONNREFUSED 10.20.0.14:443",
      "Script error",
      "TypeError: Cannot read properties of undefined (reading 'id') at test-script:4:37",
      "500 Internal Server Error",
      "no response",
      "212 ms",
    ]) {
      assert.ok(text.includes(want), `${want} in\n${text}`);
    }

    // A failed request's detail: headers, pretty JSON bodies, console.
    await requestRow(frame, "Orders / Create order").click();
    const detail = frame.locator(".request", { hasText: "Orders / Create order" }).locator(".details");
    await detail.waitFor();
    const bodies = await detail.locator("pre.body").allInnerTexts();
    assert.equal(bodies.length, 2);
    assert.match(bodies[0], /\n {2}"customerId": "cus_8812",\n/);
    assert.match(bodies[1], /\n {4}"code": "ORDER_CREATE_FAILED",\n {4}"message": "Coupon service unavailable: SPRING25 could not be validated",/);
    const headerRows = await detail.locator("table.headers tr").allInnerTexts();
    assert.ok(headerRows.some((r) => /^Authorization\s+\*\*\*$/.test(r)), headerRows.join("\n"));
    assert.ok(headerRows.some((r) => /^Set-Cookie\s+\*\*\*$/.test(r)), headerRows.join("\n"));
    const detailText = await detail.textContent();
    for (const want of ["Tests (3)", "responds within 500 ms", "Response · 500 Internal Server Error", "unexpected status 500: ORDER_CREATE_FAILED", "[warn] coupon SPRING25 expires in 2 days", "POST https://shop.staging.example.com/v2/orders"]) {
      assert.ok(detailText.includes(want), `${want} in\n${detailText}`);
    }

    // Skipped tests say so.
    await requestRow(frame, "Catalog / Search").click();
    const search = await frame.locator(".request", { hasText: "Catalog / Search" }).locator(".details").innerText();
    assert.equal(search.match(/\(skipped\)/g)?.length, 2, search);

    // A body from the API is text, never markup, and a cut body says so.
    await requestRow(frame, "Catalog / Legacy product page").click();
    const legacy = frame.locator(".request", { hasText: "Catalog / Legacy product page" }).locator(".details");
    assert.match(await legacy.locator("pre.body").innerText(), /<script>window.__injected = 1<\/script><img src="x"/);
    assert.equal(await legacy.locator("pre.body img, pre.body script").count(), 0);
    assert.equal(await tab.evaluate(() => window.__injected ?? null), null);
    assert.match(await legacy.innerText(), /Truncated: the task kept only the start of this body/);
    assert.match(await visibleText(tab), /Some detail was left out to keep the results small: 2 bodies/);

    // The lint findings under the governance entry.
    await runButton(frame, "API governance").click();
    const findings = await frame.locator("table.findings tbody tr").allInnerTexts();
    assert.equal(findings.length, 4);
    assert.match(findings[0], /error\s*fails the step\s+Governance: Operation must define a 4xx response\s+paths\.\/orders\.post\.responses · line 42:9/);
    assert.match(await visibleText(tab), /2 errors · 1 warning · 1 info · fails at error/);
    // Each lint of the step is its own entry, named for what it checked.
    await runButton(frame, "Collection lint").click();
    assert.match(await visibleText(tab), /Collection lint · tests\/api\/shop\.postman_collection\.json/);
    assert.match(await visibleText(tab), /Collection: Request has no tests/);

    // Secrets: masked where they were, and nowhere in the page.
    const html = await tab.evaluate(() => document.documentElement.outerHTML);
    assert.ok(!html.includes(SECRET), "the secret is not in the page");
    assert.ok(!html.includes(host.token), "the access token is not in the page");
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test("filters: failed only, and a text search", async () => {
  const { frame, tab, close } = await open(BUILDS.failing);
  try {
    await frame.getByLabel("Failed only").check();
    await frame.getByText("Users API · staging").waitFor({ state: "detached" });
    await runButton(frame, "Shop API · staging").click();
    assert.deepEqual(await frame.locator(".request .path").allInnerTexts(), [
      "Orders / Create order",
      "Orders / Get order by id",
      "Orders / Cancel order",
      "Catalog / Legacy product page",
    ]);
    await runButton(frame, "API governance").click();
    assert.equal(await frame.locator("table.findings tbody tr").count(), 2, "only findings that fail the step");

    await frame.getByLabel("Failed only").uncheck();
    await frame.getByLabel("Search").fill("legacy");
    await frame.getByText("Users API · staging").waitFor({ state: "detached" });
    await frame.locator(".request .path").first().waitFor();
    assert.deepEqual(await frame.locator(".request .path").allInnerTexts(), ["Catalog / Legacy product page"]);
    assert.equal(await frame.locator(".lint").count(), 0);

    await frame.getByLabel("Search").fill("ECONNREFUSED");
    await frame.locator(".request .path", { hasText: "Orders / Get order by id" }).waitFor();
    assert.deepEqual(await frame.locator(".request .path").allInnerTexts(), ["Orders / Get order by id"]);

    await frame.getByLabel("Search").fill("users api");
    await frame.getByText("Users API · staging").waitFor();
    assert.equal(await frame.locator(".run:not(.lint)").count(), 1);

    await frame.getByLabel("Search").fill("matches nothing at all");
    await frame.getByText("Nothing matches the filters.").waitFor();
    assert.ok(!(await visibleText(tab)).includes("Shop API · staging"));
  } finally {
    await close();
  }
});

test("a deep link opens a failed test, through the host page's address", async () => {
  let linked;
  {
    const { page, frame, close } = await open(BUILDS.failing);
    try {
      await runButton(frame, "Shop API · staging").click();
      await requestRow(frame, "Orders / Create order").click();
      await frame.getByRole("button", { name: "Link to this request" }).click();
      await page.waitForURL(/postmanTest=/, { timeout: WAIT });
      linked = page.url();
      assert.match(linked, /[?&]buildId=1&/);
    } finally {
      await close();
    }
  }
  const { frame, tab, close } = await open(BUILDS.failing, { params: Object.fromEntries(new URL(linked).searchParams) });
  try {
    const item = frame.locator(".request.linked");
    await item.waitFor();
    assert.match(await item.locator(".path").innerText(), /Orders \/ Create order/);
    assert.match(await item.locator("pre.body").nth(1).innerText(), /ORDER_CREATE_FAILED/);
    const inView = await tab.evaluate(() => {
      const r = document.querySelector(".request.linked").getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight;
    });
    assert.ok(inView, "the linked request is scrolled into view");
  } finally {
    await close();
  }
});

test("an empty build shows an empty state", async () => {
  const { page, frame, tab, close } = await open(BUILDS.empty);
  try {
    await frame.getByText("No Postman results in this build").waitFor();
    assert.match(await visibleText(tab), /0 collection runs · 0 requests/);
    await screenshot(page, tab, "tab-empty-light.png");
  } finally {
    await close();
  }
});

test("two steps in one job and two shards in two jobs: all shown, in order, none overwritten", async () => {
  const { page, frame, tab, close } = await open(BUILDS.shards, { theme: "dark" });
  try {
    await frame.getByText("Checkout API · us-east").waitFor();
    const titles = await frame.locator(".step-title").evaluateAll((els) => els.map((e) => [...e.childNodes].map((c) => c.textContent).join(" | ")));
    assert.deepEqual(titles, ["Shard 1 › Postman CLI: smoke", "Shard 1 › Postman CLI: checkout", "Shard 2 › Postman CLI: checkout"]);
    const runs = await frame.locator(".run-name").allInnerTexts();
    assert.deepEqual(runs, ["Smoke · production", "Checkout API · eu-west", "Checkout API · us-east"]);
    assert.deepEqual(await frame.locator(".run .badge").allTextContents(), ["shard 1/2", "shard 2/2", "aborted"]);
    const text = await visibleText(tab);
    assert.match(text, /3 collection runs · 1 failed · 4 requests · 1 failed test/);
    assert.match(text, /The Postman CLI was stopped after the step's 30 s timeout; 1 request ran\./);
    assert.equal(await frame.locator(".badge", { hasText: "aborted" }).count(), 1);
    await runButton(frame, "Checkout API · us-east").click();
    await requestRow(frame, "Cart / Add item").click();
    await frame.locator("pre.body.json").first().waitFor();
    await screenshot(page, tab, "tab-shards-dark.png");
  } finally {
    await close();
  }
});

test("a step that updated Azure Test Plans lists its test cases, their outcomes and the plan's run", async () => {
  const { page, frame, tab, errors, close } = await open(BUILDS.testPlan);
  try {
    await frame.getByText("Azure Test Plans · Release 1").waitFor();
    const text = await visibleText(tab);
    assert.match(text, /4 test points of 3 test cases/);
    assert.match(text, /101 Get user\s+✓ Passed\s*flaky\s+2\s+3/);
    assert.match(text, /102 Create order\s+✕ Failed/);
    assert.match(text, /105 Paging\s+– Not executed/);
    assert.match(text, /test cases 999 are named by Postman tests but have no test point/);
    const link = frame.locator(".test-plan a.postman-link");
    assert.equal(await link.getAttribute("href"), WITH_TEST_PLAN.testPlan.runUrl);
    assert.equal(await link.innerText(), "Run 12 ↗");
    await frame.getByLabel("Failed only").check();
    await frame.getByText("Azure Test Plans · Release 1").waitFor();
    await screenshot(page, tab, "tab-test-plan-light.png");
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test("a 5,000-request run renders page by page, and filters", async () => {
  const { page, frame, tab, errors, close } = await open(BUILDS.big, { viewport: { width: 1280, height: 900 } });
  try {
    await frame.getByText("Load · 5,000 requests").waitFor();
    assert.match(await visibleText(tab), /1 collection run · 1 failed · 5,000 requests · 100 failed tests/);
    await runButton(frame, "Load · 5,000 requests").click();
    await frame.getByText("100 of 5,000 requests shown").waitFor();
    assert.equal(await frame.locator(".request").count(), 100);
    await frame.getByRole("button", { name: "Show 100 more" }).click();
    await frame.getByText("200 of 5,000 requests shown").waitFor();
    assert.equal(await frame.locator(".request").count(), 200);

    await frame.getByLabel("Failed only").check();
    await frame.locator(".request").nth(99).waitFor();
    assert.equal(await frame.locator(".request").count(), 100);
    assert.equal(await frame.locator(".request.failed").count(), 100);
    assert.equal(await frame.getByRole("button", { name: /more/ }).count(), 0);

    await frame.getByLabel("Failed only").uncheck();
    await frame.getByLabel("Search").fill("item 04950");
    await frame.getByText("1 collection run", { exact: false }).waitFor();
    await frame.locator(".request").nth(1).waitFor({ state: "detached" });
    assert.deepEqual(await frame.locator(".request .path").allInnerTexts(), ["Load / Item 04950"]);
    await frame.getByLabel("Search").fill("");
    await frame.getByText("100 of 5,000 requests shown").waitFor();
    await screenshot(page, tab, "tab-5000-light.png");
    assert.deepEqual(errors, []);
  } finally {
    await close();
  }
});

test("light and dark themes follow the host", async () => {
  for (const theme of ["light", "dark"]) {
    const { page, frame, tab, close } = await open(BUILDS.failing, { theme, height: 1500, viewport: { width: 1280, height: 1500 } });
    try {
      const look = await tab.evaluate(() => ({ theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor }));
      assert.deepEqual(look, theme === "dark" ? { theme: "dark", bg: "rgb(27, 26, 25)" } : { theme: "light", bg: "rgb(255, 255, 255)" });
      await runButton(frame, "Shop API · staging").click();
      await requestRow(frame, "Orders / Create order").click();
      await runButton(frame, "API governance").click();
      await frame.locator("table.findings").waitFor();
      await screenshot(page, tab, `tab-${theme}.png`);
    } finally {
      await close();
    }
  }
});
