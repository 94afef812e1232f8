// The Azure Test Plans card of a step: the plan's run, each linked test
// case with the outcome its points got, and what the step could not do.
// Every value goes into the page as text, never as markup.

import { TestPlan, TestPlanCase } from "./model";

type Child = Node | string | null | undefined | false;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: { [key: string]: string | null } | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child == null || child === false || child === "") continue;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

/** Only http(s) links leave the frame. */
function httpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

const OUTCOME: { [outcome: string]: [string, string] } = {
  Passed: ["passed", "✓"],
  Failed: ["failed", "✕"],
  NotExecuted: ["skipped", "–"],
};

function outcomeCell(c: TestPlanCase): HTMLElement {
  const [status, glyph] = OUTCOME[c.outcome] ?? ["info", "i"];
  const words = c.outcome === "NotExecuted" ? "Not executed" : c.outcome;
  return el(
    "td",
    null,
    el("span", { class: `icon icon-${status}`, role: "img", "aria-label": words, title: words }, glyph),
    ` ${words}`,
    c.flaky ? el("span", { class: "badge", title: "A linked test passed only on a retry; marked flaky in Azure." }, "flaky") : "",
  );
}

/** True when a linked test case failed or a warning was given. */
export function testPlanFailed(plan: TestPlan): boolean {
  return (plan.cases ?? []).some((c) => c.outcome === "Failed") || (plan.warnings ?? []).length > 0;
}

export function drawTestPlan(plan: TestPlan): HTMLElement {
  const cases = plan.cases ?? [];
  const points = cases.reduce((sum, c) => sum + c.points, 0);
  const runUrl = httpUrl(plan.runUrl);
  const header = el(
    "div",
    { class: "run-header" },
    el("span", { class: "run-name" }, "Azure Test Plans", plan.plan ? ` · ${plan.plan}` : ""),
    el("span", { class: "counts" }, plan.runId != null ? `${points} test point${points === 1 ? "" : "s"} of ${cases.length} test case${cases.length === 1 ? "" : "s"}` : "not updated"),
    runUrl ? el("a", { class: "postman-link", href: runUrl, target: "_blank", rel: "noopener noreferrer" }, `Run ${plan.runId ?? ""} ↗`) : "",
  );
  const card = el("div", { class: `run test-plan${testPlanFailed(plan) ? " failed" : ""}`, "data-test-plan": plan.planId != null ? String(plan.planId) : "" }, header);
  for (const warning of plan.warnings ?? []) card.appendChild(el("div", { class: "run-reason" }, warning));
  if (cases.length) {
    const body = el("tbody", null);
    for (const c of cases) {
      body.appendChild(el("tr", null, el("td", null, `${c.id} ${c.name}`), outcomeCell(c), el("td", null, String(c.points)), el("td", null, String(c.tests))));
    }
    card.appendChild(
      el(
        "table",
        { class: "findings test-cases" },
        el("thead", null, el("tr", null, el("th", null, "Test case"), el("th", null, "Outcome"), el("th", null, "Test points"), el("th", null, "Postman tests"))),
        body,
      ),
    );
  }
  return card;
}
