// The Postman tab with the attachments a real task run wrote: the Rust
// test tests/integration/web_tab.rs runs the task (the failing fixture
// collection and a collection that sends every kind of secret, with the
// real Postman CLI) and hands this script the files it attached, and the
// secrets the run held. Checked: what a person sees of a failed request,
// and that no secret value is anywhere in the page.
//
//   REAL_ATTACHMENTS  JSON array of attachment file paths
//   REAL_SECRETS      JSON array of secret values
//   REAL_HTML         JSON array of { name, path }: the CLI's HTML reports the
//                     (one) step attached

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, launch } from "./chromium.mjs";
import { startHost } from "./host.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const shots = process.env.WEB_SCREENSHOTS ?? join(here, "../../target/web-screenshots");
const files = JSON.parse(process.env.REAL_ATTACHMENTS ?? "[]");
const secrets = JSON.parse(process.env.REAL_SECRETS ?? "[]");
const htmlReports = JSON.parse(process.env.REAL_HTML ?? "[]");
const WAIT = 60_000;

let browser;
let host;

before(async () => {
  assert.ok(files.length > 0, "REAL_ATTACHMENTS names the attachments of a real task run");
  assert.ok(secrets.length > 0, "REAL_SECRETS names the run's secrets");
  assert.ok(existsSync(join(here, "../dist/postman-tab.html")), "run `npm run build` in web/ first");
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing`);
  mkdirSync(shots, { recursive: true });
  host = await startHost({
    builds: [
      {
        id: 1,
        steps: files.map((f, i) => ({
          job: "Linux",
          step: `Postman CLI ${i + 1}`,
          attachments: [
            { name: basename(f), text: readFileSync(f, "utf8") },
            ...(i === 0 ? htmlReports.map((r) => ({ name: r.name, type: "postman-cli-task.html", text: readFileSync(r.path, "utf8") })) : []),
          ],
        })),
      },
    ],
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await host?.close();
});

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const runButton = (frame, name) => frame.getByRole("button", { name: new RegExp(escape(name)) }).first();
const requestRow = (frame, path) => frame.locator(".request-row", { hasText: path }).first();

test("a real run's attachment: the failed request's response body and failure message, and no secret anywhere", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(host.url(1, { theme: "light" }));
    const frame = page.frameLocator("iframe");
    await frame.locator('html[data-ready="true"]').waitFor({ state: "attached", timeout: WAIT });
    const tab = page.frames().find((f) => f.url().startsWith(host.extOrigin));

    await frame.getByText("Failing API").first().waitFor();
    await runButton(frame, "Failing API").click();
    const paths = await frame.locator(".request .path").allInnerTexts();
    assert.deepEqual(paths.slice(0, 4), ["Health", "Orders / List orders", "Orders / Broken script", "Unreachable"]);
    const text = await tab.evaluate(() => document.body.innerText);
    for (const want of ["expected response to have status code 200 but got 500", "boom in test script", "ECONNREFUSED"]) {
      assert.ok(text.includes(want), `${want} in\n${text}`);
    }

    // The failed request: its response body, pretty-printed, as the API sent it.
    await requestRow(frame, "Orders / List orders").click();
    const list = frame.locator(".request", { hasText: "Orders / List orders" }).locator(".details");
    await list.waitFor();
    const bodies = await list.locator("pre.body").allInnerTexts();
    assert.ok(bodies.some((b) => /"status": 500/.test(b)), bodies.join("\n---\n"));

    // Every request of the run that sent secrets, opened.
    await runButton(frame, "Leaky API").click();
    for (const path of ["Echo credentials", "Session"]) {
      await requestRow(frame, path).click();
      await frame.locator(".request", { hasText: path }).locator(".details").waitFor();
    }
    const echo = frame.locator(".request", { hasText: "Echo credentials" }).locator(".details");
    const headerRows = await echo.locator("table.headers tr").allInnerTexts();
    assert.ok(headerRows.some((r) => /^Authorization\s+\*\*\*$/i.test(r)), headerRows.join("\n"));
    assert.ok((await echo.locator("pre.body").allInnerTexts()).some((b) => b.includes('"x-api-key": "***"')));

    // The CLI's own HTML report of the run that sent secrets: downloaded,
    // masked.
    const leaky = frame.locator(".run", { hasText: "Leaky API" }).first();
    const [download] = await Promise.all([page.waitForEvent("download"), leaky.getByRole("button", { name: /HTML report/ }).click()]);
    const report = readFileSync(await download.path(), "utf8");
    assert.match(report, /Echo credentials/);
    for (const secret of secrets) {
      assert.ok(!report.includes(secret), `a secret (${secret.slice(0, 4)}…) is in the downloaded HTML report`);
    }

    const html = await tab.evaluate(() => document.documentElement.outerHTML);
    for (const secret of secrets) {
      assert.ok(!html.includes(secret), `a secret (${secret.slice(0, 4)}…) is in the page`);
    }
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, "tab-real-run-light.png") });
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
