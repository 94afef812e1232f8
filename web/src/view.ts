// Draws the tab. Every value from an attachment goes into the page as text
// (textContent, attributes), never as markup: bodies and messages come from
// the APIs under test and may hold anything.

import {
  Filter,
  Finding,
  Header,
  Lint,
  Message,
  PmRequest,
  Run,
  Step,
  formatBytes,
  formatDuration,
  lintFailed,
  lintsOf,
  parseRequestId,
  prettyBody,
  requestFailed,
  requestId,
  runFailed,
  runVisible,
  visibleFindings,
  visibleRequests,
} from "./model";
import { drawTestPlan, testPlanFailed } from "./testplan";

/** Requests drawn per page of an expanded run; more on request. */
export const PAGE = 100;
/** The longest body drawn at once; a person can ask for the rest. */
const BODY_CAP = 64 * 1024;

type Child = Node | string | number | null | undefined | false;
type Attrs = { [key: string]: string | number | boolean | null | undefined | ((e: Event) => void) };

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value == null || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else if (key === "class") el.className = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child == null || child === false || child === "") continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

const number = new Intl.NumberFormat("en-US");
const n = (x: number) => number.format(x);
const plural = (count: number, one: string, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;

function icon(status: "passed" | "failed" | "skipped" | "warning" | "info", label?: string): HTMLElement {
  const glyph = { passed: "✓", failed: "✕", skipped: "–", warning: "!", info: "i" }[status];
  return h("span", { class: `icon icon-${status}`, role: "img", "aria-label": label ?? status, title: label ?? status }, glyph);
}

function runIcon(run: Run): HTMLElement {
  if (run.status === "passed" && run.counts.failed === 0) return icon("passed", "passed");
  if (run.status === "incomplete" || run.status === "aborted") return icon("warning", run.status);
  return icon("failed", "failed");
}

interface State {
  steps: Step[];
  filter: Filter;
  expanded: Set<string>;
  shown: Map<string, number>;
  open: Set<string>;
  linked: string | null;
}

export interface View {
  show(steps: Step[]): void;
  openLinked(id: string): boolean;
}

export function createView(
  root: HTMLElement,
  onLink: (id: string | null) => void,
  onDownload: (step: Step, name: string) => Promise<void> = async () => undefined,
): View {
  const state: State = {
    steps: [],
    filter: { failedOnly: false, query: "" },
    expanded: new Set(),
    shown: new Map(),
    open: new Set(),
    linked: null,
  };

  const failedOnly = h("input", { type: "checkbox", id: "failed-only", onchange: () => update() });
  const search = h("input", {
    type: "search",
    id: "search",
    placeholder: "Search requests, tests and messages",
    "aria-label": "Search",
    autocomplete: "off",
    spellcheck: "false",
  });
  let searchTimer: number | undefined;
  search.addEventListener("input", () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(update, 150);
  });
  const summary = h("div", { class: "summary", role: "status" });
  const toolbar = h(
    "header",
    { class: "toolbar" },
    summary,
    h("div", { class: "filters" }, h("label", { class: "check" }, failedOnly, " Failed only"), search),
  );
  const notes = h("div", { class: "notes" });
  const body = h("main", { class: "steps" });
  root.replaceChildren(toolbar, notes, body);

  function update(): void {
    state.filter = { failedOnly: failedOnly.checked, query: search.value.trim().toLowerCase() };
    state.shown.clear();
    draw();
  }

  function draw(): void {
    drawSummary();
    drawNotes();
    const parts: Node[] = [];
    const steps = state.steps;
    if (steps.length === 0) {
      parts.push(
        h(
          "div",
          { class: "empty" },
          h("h2", null, "No Postman results in this build"),
          h(
            "p",
            null,
            "The Postman CLI task attaches its results to the build when a step finishes. This build has none yet: the step has not run, was skipped, or ran a task version that writes no results for this tab.",
          ),
        ),
      );
    }
    const several = steps.length > 1;
    let any = false;
    for (const step of steps) {
      const section = drawStep(step, several);
      if (section) {
        parts.push(section);
        any = true;
      }
    }
    if (steps.length > 0 && !any) {
      parts.push(h("div", { class: "empty" }, h("p", null, "Nothing matches the filters.")));
    }
    body.replaceChildren(...parts);
  }

  function drawSummary(): void {
    let runs = 0;
    let failedRuns = 0;
    let requests = 0;
    let failedTests = 0;
    const versions = new Set<string>();
    for (const step of state.steps) {
      if (step.results?.cliVersion) versions.add(step.results.cliVersion);
      for (const run of step.results?.runs ?? []) {
        runs++;
        if (runFailed(run)) failedRuns++;
        requests += run.requests?.length ?? 0;
        failedTests += run.counts.failed;
      }
    }
    const parts: Child[] = [
      h("strong", null, plural(runs, "collection run")),
      failedRuns ? h("span", { class: "failed-text" }, ` · ${n(failedRuns)} failed`) : "",
      ` · ${plural(requests, "request")}`,
      failedTests ? h("span", { class: "failed-text" }, ` · ${plural(failedTests, "failed test")}`) : "",
      versions.size ? h("span", { class: "muted" }, ` · Postman CLI ${[...versions].join(", ")}`) : "",
    ];
    summary.replaceChildren();
    append(summary, parts);
  }

  function drawNotes(): void {
    const items: Node[] = [];
    for (const step of state.steps) {
      const t = step.results?.truncated;
      const left: string[] = [];
      if (t?.requests) left.push(plural(t.requests, "request"));
      if (t?.bodies) left.push(plural(t.bodies, "body", "bodies"));
      if (left.length) {
        items.push(
          h(
            "div",
            { class: "note", role: "note" },
            icon("info", "note"),
            h(
              "span",
              null,
              `Some detail was left out to keep the results small: ${left.join(" and ")}`,
              state.steps.length > 1 ? ` (${stepLabel(step)})` : "",
              ". The counts still include them; the JUnit results in the Tests tab have every test.",
            ),
          ),
        );
      }
      if (step.results && step.results.schema > 1) {
        items.push(
          h("div", { class: "note", role: "note" }, icon("info", "note"), `${stepLabel(step)} was written by a newer version of the task; this page shows what it understands.`),
        );
      }
    }
    notes.replaceChildren(...items);
  }

  function stepLabel(step: Step): string {
    const o = step.origin;
    if (o.job || o.step) return [o.job, o.step].filter(Boolean).join(" › ");
    return o.name;
  }

  function drawStep(step: Step, several: boolean): HTMLElement | null {
    const f = state.filter;
    const results = step.results;
    const items: Node[] = [];
    if (step.error) {
      if (f.failedOnly || !f.query) items.push(h("div", { class: "error-card", role: "alert" }, icon("failed", "error"), step.error));
    }
    for (const run of results?.runs ?? []) {
      if (runVisible(run, f, step.origin)) items.push(drawRun(step, run));
    }
    lintsOf(results).forEach((lint, i) => {
      if ((!f.failedOnly || lintFailed(lint)) && (visibleFindings(lint, f).length > 0 || (!f.query && (!!lint.error || !(lint.findings ?? []).length)))) {
        items.push(drawLint(step, lint, i));
      }
    });
    const plan = results?.testPlan;
    if (plan && !f.query && (!f.failedOnly || testPlanFailed(plan))) items.push(drawTestPlan(plan));
    if (!items.length) return null;
    const heading = several || step.origin.job || step.origin.step
      ? h(
          "h2",
          { class: "step-title" },
          stepLabel(step),
          step.origin.attempt && step.origin.attempt > 1 ? h("span", { class: "badge" }, `attempt ${step.origin.attempt}`) : "",
        )
      : null;
    return h("section", { class: "step", "data-step": step.key }, heading, ...items);
  }

  function runKey(step: Step, run: Run): string {
    return `${step.key}.${run.index}`;
  }

  /**
   * The CLI's HTML report, as a download: it is markup and scripts built
   * from what the API returned, so it is never opened in this frame, which
   * holds the build's access token.
   */
  function drawDownload(step: Step, name: string): HTMLElement {
    const button = h(
      "button",
      {
        class: "postman-link download",
        title: `Download ${name}, the Postman CLI's own report of this run (secrets masked)`,
        onclick: () => {
          button.disabled = true;
          onDownload(step, name)
            .catch((e) => {
              button.title = `Could not download ${name}: ${e instanceof Error ? e.message : String(e)}`;
              button.classList.add("failed-text");
            })
            .finally(() => {
              button.disabled = false;
            });
        },
      },
      "HTML report ↓",
    ) as HTMLButtonElement;
    return button;
  }

  /** The button that opens or closes the card under `key`; `redraw` draws it again. */
  function disclosure(key: string, redraw: () => void, ...children: Child[]): HTMLButtonElement {
    return h(
      "button",
      {
        class: "disclosure",
        "aria-expanded": String(state.expanded.has(key)),
        onclick: () => {
          if (state.expanded.has(key)) state.expanded.delete(key);
          else state.expanded.add(key);
          redraw();
        },
      },
      ...children,
    );
  }

  function drawRun(step: Step, run: Run): HTMLElement {
    const key = runKey(step, run);
    const expanded = state.expanded.has(key);
    const c = run.counts;
    const counts: Child[] = [
      h("span", { class: "passed-text" }, `${n(c.passed)} passed`),
      c.failed ? h("span", { class: "failed-text" }, ` · ${n(c.failed)} failed`) : "",
      c.skipped ? h("span", { class: "muted" }, ` · ${n(c.skipped)} skipped`) : "",
      run.durationMs != null ? h("span", { class: "muted" }, ` · ${formatDuration(run.durationMs)}`) : "",
    ];
    const meta: string[] = [];
    if (run.collection) meta.push(run.collection);
    if (run.environment) meta.push(`environment ${run.environment}`);
    const header = h(
      "div",
      { class: "run-header" },
      disclosure(
        key,
        () => card.replaceWith(drawRun(step, run)),
        h("span", { class: "chevron", "aria-hidden": "true" }),
        runIcon(run),
        h("span", { class: "run-name" }, run.name),
        step.results?.shard ? h("span", { class: "badge" }, `shard ${step.results.shard}`) : "",
        run.status === "incomplete" || run.status === "aborted" ? h("span", { class: "badge warn" }, run.status) : "",
      ),
      h("span", { class: "counts" }, ...counts),
      run.htmlReport ? drawDownload(step, run.htmlReport) : "",
      run.postmanUrl ? h("a", { class: "postman-link", href: safeUrl(run.postmanUrl), target: "_blank", rel: "noopener noreferrer" }, "View in Postman ↗") : "",
    );
    const card = h(
      "div",
      { class: `run${runFailed(run) ? " failed" : ""}`, "data-run": key },
      header,
      meta.length ? h("div", { class: "run-meta muted" }, meta.join(" · ")) : "",
      run.reason ? h("div", { class: "run-reason" }, run.reason) : "",
    );
    if (expanded) card.appendChild(drawRequests(step, run));
    return card;
  }

  function drawRequests(step: Step, run: Run): HTMLElement {
    const key = runKey(step, run);
    const requests = run.requests ?? [];
    const indexes = visibleRequests(run, state.filter, step.origin);
    const list = h("ol", { class: "requests", "aria-label": `Requests of ${run.name}` });
    const wrap = h("div", { class: "requests-wrap" }, list);
    if (!requests.length) {
      wrap.replaceChildren(h("p", { class: "muted pad" }, "This run sent no requests."));
      return wrap;
    }
    if (!indexes.length) {
      wrap.replaceChildren(h("p", { class: "muted pad" }, "No request of this run matches the filters."));
      return wrap;
    }
    const iterations = requests.some((r) => (r.iteration ?? 1) > 1);
    let drawn = 0;
    const more = h("div", { class: "more" });
    const drawPage = () => {
      const limit = Math.min(indexes.length, state.shown.get(key) ?? PAGE);
      const frag = document.createDocumentFragment();
      for (; drawn < limit; drawn++) {
        const i = indexes[drawn];
        frag.appendChild(drawRequest(step, run, requests[i], i, iterations));
      }
      list.appendChild(frag);
      more.replaceChildren();
      if (drawn < indexes.length) {
        const next = Math.min(PAGE, indexes.length - drawn);
        more.append(
          h("span", { class: "muted" }, `${n(drawn)} of ${n(indexes.length)} requests shown `),
          h(
            "button",
            {
              class: "button",
              onclick: () => {
                state.shown.set(key, drawn + PAGE);
                drawPage();
              },
            },
            `Show ${n(next)} more`,
          ),
        );
      }
    };
    drawPage();
    wrap.appendChild(more);
    return wrap;
  }

  function drawRequest(step: Step, run: Run, r: PmRequest, index: number, iterations: boolean): HTMLElement {
    const id = requestId(step.key, run.index, index);
    const failed = requestFailed(r);
    const assertions = r.assertions ?? [];
    const open = state.open.has(id);
    const status = r.status != null ? h("span", { class: `http http-${Math.floor(r.status / 100)}xx` }, `${r.status}${r.statusText ? ` ${r.statusText}` : ""}`) : h("span", { class: "http muted" }, "no response");
    const item = h("li", { class: `request${failed ? " failed" : ""}${state.linked === id ? " linked" : ""}`, id: `req-${id}`, "data-request": id });
    const row = h(
      "button",
      { class: "request-row", "aria-expanded": String(open) },
      h("span", { class: "chevron", "aria-hidden": "true" }),
      failed ? icon("failed", "failed") : assertions.some((a) => a.status === "passed") ? icon("passed", "passed") : icon("skipped", "no tests"),
      iterations ? h("span", { class: "iteration muted", title: "iteration" }, `#${r.iteration ?? 1}`) : "",
      h("span", { class: "method" }, r.method ?? ""),
      h("span", { class: "request-name" }, h("span", { class: "path" }, r.path), r.url ? h("span", { class: "url muted" }, r.url) : ""),
      status,
      h("span", { class: "time muted" }, r.timeMs != null ? formatDuration(r.timeMs) : ""),
    );
    item.appendChild(row);
    // Failures stay visible without a click: they are what people came for.
    const failures = h("div", { class: "failures" });
    for (const a of assertions) if (a.status === "failed") failures.appendChild(drawAssertion(a));
    for (const e of r.errors ?? []) failures.appendChild(drawError(e));
    if (failures.childNodes.length) item.appendChild(failures);
    // The details list every test, so the summary of failures steps aside.
    failures.hidden = open;
    let details: HTMLElement | null = open ? drawDetails(r, id) : null;
    if (details) item.appendChild(details);
    row.addEventListener("click", () => {
      if (state.open.has(id)) {
        state.open.delete(id);
        details?.remove();
        details = null;
      } else {
        state.open.add(id);
        details = drawDetails(r, id);
        item.appendChild(details);
      }
      failures.hidden = state.open.has(id);
      row.setAttribute("aria-expanded", String(state.open.has(id)));
    });
    return item;
  }

  function drawAssertion(a: { name: string; status: string; message?: string | null }): HTMLElement {
    const kind = a.status === "failed" ? "failed" : a.status === "passed" ? "passed" : "skipped";
    return h(
      "div",
      { class: `assertion ${kind}` },
      icon(kind, kind),
      h("span", { class: "assertion-name" }, a.name),
      a.status === "skipped" ? h("span", { class: "muted" }, " (skipped)") : "",
      a.message ? h("span", { class: "message" }, a.message) : "",
    );
  }

  function drawError(e: { kind: string; message: string }): HTMLElement {
    const label = e.kind === "ScriptError" ? "Script error" : e.kind === "RequestError" ? "Request error" : e.kind;
    return h("div", { class: "assertion failed error" }, icon("failed", label), h("span", { class: "assertion-name" }, label), h("span", { class: "message" }, e.message));
  }

  function drawDetails(r: PmRequest, id: string): HTMLElement {
    const assertions = r.assertions ?? [];
    const box = h("div", { class: "details" });
    const linkButton = h(
      "button",
      {
        class: "button subtle",
        title: "Put a link to this request in the address bar",
        onclick: () => {
          state.linked = id;
          onLink(id);
          document.querySelectorAll(".request.linked").forEach((el) => el.classList.remove("linked"));
          document.getElementById(`req-${id}`)?.classList.add("linked");
          linkButton.textContent = "Link in the address bar ✓";
        },
      },
      "Link to this request",
    );
    box.appendChild(h("div", { class: "details-bar" }, r.url ? h("code", { class: "full-url" }, `${r.method ?? ""} ${r.url}`) : "", linkButton));
    if (assertions.length) {
      box.appendChild(h("h3", null, `Tests (${n(assertions.length)})`));
      for (const a of assertions) box.appendChild(drawAssertion(a));
    }
    if ((r.errors ?? []).length) {
      box.appendChild(h("h3", null, "Errors"));
      for (const e of r.errors ?? []) box.appendChild(drawError(e));
    }
    const panes = h("div", { class: "panes" });
    panes.appendChild(drawMessage("Request", r.request, null));
    panes.appendChild(drawMessage("Response", r.response, r.status != null ? `${r.status}${r.statusText ? ` ${r.statusText}` : ""}` : null));
    box.appendChild(panes);
    const lines = r.console ?? [];
    if (lines.length) {
      const pre = h("pre", { class: "console" });
      for (const line of lines) {
        const l = typeof line === "string" ? { level: "log", text: line } : line;
        pre.appendChild(h("span", { class: `console-${l.level ?? "log"}` }, l.level && l.level !== "log" ? `[${l.level}] ` : "", `${l.text ?? ""}\n`));
      }
      box.appendChild(h("h3", null, "Console"));
      box.appendChild(pre);
    }
    return box;
  }

  function drawMessage(title: string, m: Message | null | undefined, status: string | null): HTMLElement {
    const pane = h("div", { class: "pane" }, h("h3", null, title, status ? h("span", { class: "muted" }, ` · ${status}`) : "", m?.size != null ? h("span", { class: "muted" }, ` · ${formatBytes(m.size)}`) : ""));
    if (!m) {
      pane.appendChild(h("p", { class: "muted" }, `No ${title.toLowerCase()} detail was kept (the task keeps it for failed requests).`));
      return pane;
    }
    pane.appendChild(drawHeaders(m.headers ?? []));
    if (m.body != null && m.body !== "") {
      const { text, json } = prettyBody(m.body, m.headers);
      const pre = h("pre", { class: `body${json ? " json" : ""}` });
      const capped = text.length > BODY_CAP;
      pre.textContent = capped ? text.slice(0, BODY_CAP) : text;
      pane.appendChild(pre);
      if (capped) {
        const rest = h(
          "button",
          {
            class: "button subtle",
            onclick: () => {
              pre.textContent = text;
              rest.remove();
            },
          },
          `Show all ${formatBytes(text.length)}`,
        );
        pane.appendChild(h("p", { class: "note-inline" }, `Showing the first ${formatBytes(BODY_CAP)}. `, rest));
      }
      if (m.bodyTruncated) pane.appendChild(h("p", { class: "note-inline" }, "Truncated: the task kept only the start of this body to bound the results' size."));
    } else {
      pane.appendChild(h("p", { class: "muted" }, m.bodyTruncated ? "The body was left out to bound the results' size." : "No body."));
    }
    return pane;
  }

  function drawHeaders(headers: Header[]): HTMLElement {
    if (!headers.length) return h("p", { class: "muted" }, "No headers.");
    const table = h("table", { class: "headers" });
    for (const [k, v] of headers) table.appendChild(h("tr", null, h("th", { scope: "row" }, k), h("td", null, v)));
    return table;
  }

  function drawLint(step: Step, lint: Lint, index: number): HTMLElement {
    const key = `${step.key}.lint.${index}`;
    const expanded = state.expanded.has(key);
    const all = lint.findings ?? [];
    const bySeverity = new Map<string, number>();
    for (const f of all) bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
    const failed = lintFailed(lint);
    const counts = ["error", "warning", "info", "hint"]
      .filter((s) => bySeverity.get(s))
      .map((s) => plural(bySeverity.get(s) ?? 0, s));
    const header = h(
      "div",
      { class: "run-header" },
      disclosure(
        key,
        () => card.replaceWith(drawLint(step, lint, index)),
        h("span", { class: "chevron", "aria-hidden": "true" }),
        failed ? icon("failed", "failed") : all.length ? icon("warning", "findings") : icon("passed", "passed"),
        h("span", { class: "run-name" }, lint.what || "API governance", lint.target ? ` · ${lint.target}` : lint.name ? ` · ${lint.name}` : ""),
      ),
      h("span", { class: "counts" }, counts.length ? counts.join(" · ") : "no findings", lint.failSeverity ? h("span", { class: "muted" }, ` · fails at ${lint.failSeverity}`) : ""),
      lint.reportUrl ? h("a", { class: "postman-link", href: safeUrl(lint.reportUrl), target: "_blank", rel: "noopener noreferrer" }, "Report ↗") : "",
    );
    const card = h("div", { class: `run lint${failed ? " failed" : ""}`, "data-run": key }, header);
    if (lint.error) card.appendChild(h("div", { class: "run-reason" }, lint.error));
    if (expanded) card.appendChild(drawFindings(visibleFindings(lint, state.filter)));
    return card;
  }

  function drawFindings(findings: Finding[]): HTMLElement {
    if (!findings.length) return h("p", { class: "muted pad" }, "No finding matches the filters.");
    const table = h("table", { class: "findings" }, h("thead", null, h("tr", null, h("th", null, "Severity"), h("th", null, "Finding"), h("th", null, "Where"))));
    const tbody = h("tbody");
    for (const f of findings) {
      const where = [f.path ?? "", f.line != null ? `line ${f.line}${f.column != null ? `:${f.column}` : ""}` : ""].filter(Boolean).join(" · ");
      const sev = f.severity === "error" ? "failed" : f.severity === "warning" ? "warning" : "info";
      tbody.appendChild(
        h(
          "tr",
          { class: f.fails ? "fails" : "" },
          h("td", { class: "severity" }, icon(sev, f.severity), ` ${f.severity}`, f.fails ? h("span", { class: "badge fail" }, "fails the step") : ""),
          h("td", null, f.kind ? h("span", { class: "muted" }, `${f.kind}: `) : "", f.message),
          h("td", null, h("code", null, where)),
        ),
      );
    }
    table.appendChild(tbody);
    return h("div", { class: "requests-wrap" }, table);
  }

  return {
    show(steps: Step[]) {
      state.steps = steps;
      draw();
    },
    openLinked(id: string): boolean {
      const parsed = parseRequestId(id);
      if (!parsed) return false;
      const step = state.steps.find((s) => s.key === parsed.step);
      const run = step?.results?.runs?.find((r) => r.index === parsed.run);
      if (!step || !run || !run.requests?.[parsed.request]) return false;
      // A link shows its request whatever the filters say.
      failedOnly.checked = false;
      search.value = "";
      state.filter = { failedOnly: false, query: "" };
      const position = visibleRequests(run, state.filter, step.origin).indexOf(parsed.request);
      state.expanded.add(runKey(step, run));
      state.shown.clear();
      state.shown.set(runKey(step, run), Math.ceil((position + 1) / PAGE) * PAGE);
      state.open.add(id);
      state.linked = id;
      draw();
      const el = document.getElementById(`req-${id}`);
      el?.scrollIntoView({ block: "start" });
      return !!el;
    },
  };
}

/** Only web links open from the page; anything else is shown as text. */
function safeUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}
