// The attachment the task writes (web/ATTACHMENT.md), and the pure logic
// the page applies to it: merging steps, filtering, deep-link ids. No DOM
// here, so the rules stay readable apart from the rendering.
//
// The interfaces from `Results` down are the task's types in
// src/publish/attachment/schema.rs, checked both ways by the unit test in
// src/publish/attachment/model_ts.rs: keep each exported interface and type
// on lines of their own, one field per line.

export const ATTACHMENT_TYPE = "postman-cli-task.results";
/** The Postman CLI's own HTML reports: offered as downloads, never shown in this frame. */
export const HTML_ATTACHMENT_TYPE = "postman-cli-task.html";
/** The newest schema this page knows; newer ones are shown as far as they match. */
export const SCHEMA = 1;

export type RunStatus = "passed" | "failed" | "incomplete" | "aborted";
export type AssertionStatus = "passed" | "failed" | "skipped";

export interface Assertion {
  name: string;
  status: AssertionStatus;
  message?: string | null;
}

export interface RequestError {
  kind: string;
  message: string;
}

export type Header = [string, string];

export interface Message {
  headers?: Header[] | null;
  body?: string | null;
  bodyTruncated?: boolean;
  size?: number | null;
}

export interface ConsoleLine {
  level?: string;
  text?: string;
}

export interface PmRequest {
  iteration?: number | null;
  path: string;
  method?: string | null;
  url?: string | null;
  status?: number | null;
  statusText?: string | null;
  timeMs?: number | null;
  assertions?: Assertion[] | null;
  errors?: RequestError[] | null;
  request?: Message | null;
  response?: Message | null;
  console?: (ConsoleLine | string)[] | null;
}

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
}

export interface Run {
  index: number;
  name: string;
  collection?: string | null;
  environment?: string | null;
  status: RunStatus;
  reason?: string | null;
  counts: Counts;
  durationMs?: number | null;
  startedMs?: number | null;
  postmanUrl?: string | null;
  /** The name of this run's HTML report attachment (HTML_ATTACHMENT_TYPE), if one was kept. */
  htmlReport?: string | null;
  requests?: PmRequest[] | null;
}

export interface Finding {
  severity: "error" | "warning" | "info" | "hint" | string;
  kind?: string | null;
  message: string;
  path?: string | null;
  line?: number | null;
  column?: number | null;
  fails?: boolean;
}

export interface Lint {
  /** What kind of lint: "API governance", "Collection lint", … */
  what?: string | null;
  name?: string | null;
  target?: string | null;
  failSeverity?: string | null;
  error?: string | null;
  reportUrl?: string | null;
  findings?: Finding[] | null;
}

/** What the task left out to bound the file's size. */
export interface Truncated {
  requests?: number;
  bodies?: number;
}

export interface Results {
  schema: number;
  title?: string | null;
  shard?: string | null;
  cliVersion?: string | null;
  truncated?: Truncated | null;
  runs?: Run[] | null;
  lints?: Lint[] | null;
  /** The first writers' single lint; read when `lints` is absent. */
  lint?: Lint | null;
  /** Azure Test Plans, when the step updated a test plan (`testPlan`). */
  testPlan?: TestPlan | null;
}

/** What the step did in Azure Test Plans. */
export interface TestPlan {
  plan?: string | null;
  planId?: number | null;
  runId?: number | null;
  runUrl?: string | null;
  cases?: TestPlanCase[] | null;
  warnings?: string[] | null;
}

/** A test case the step's tests stand for, and the outcome its points got. */
export interface TestPlanCase {
  id: number;
  name: string;
  outcome: TestPlanOutcome;
  points: number;
  tests: number;
  flaky?: boolean | null;
}

export type TestPlanOutcome = "Passed" | "Failed" | "NotExecuted";

/** Where an attachment came from: its step in the build's timeline. */
export interface Origin {
  timelineId: string;
  recordId: string;
  name: string;
  /** Orders of the stage, phase, job and step, outermost first. */
  order: number[];
  job?: string;
  step?: string;
  attempt?: number;
}

/** One attachment as the page shows it: its origin and its content or why it could not be read. */
export interface Step {
  key: string;
  origin: Origin;
  results?: Results;
  error?: string;
}

/** A short stable key for a step: the same attachment always gets the same key. */
export function stepKey(origin: Pick<Origin, "recordId" | "name">): string {
  let h = 0x811c9dc5;
  const text = `${origin.recordId}/${origin.name}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** Orders steps by job, then step, then name, so no step hides or replaces another. */
export function sortSteps(steps: Step[]): Step[] {
  return steps.slice().sort((a, b) => {
    const x = a.origin.order;
    const y = b.origin.order;
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d) return d;
    }
    return a.origin.name < b.origin.name ? -1 : a.origin.name > b.origin.name ? 1 : 0;
  });
}

/** The parts of an attachment's `_links.self.href` the content call needs. */
export function parseAttachmentHref(href: string): { timelineId: string; recordId: string; name: string } | null {
  let path: string;
  try {
    path = new URL(href, "https://host.invalid/").pathname;
  } catch {
    return null;
  }
  const m = /\/builds\/\d+\/([^/]+)\/([^/]+)\/attachments\/[^/]+\/([^/]+)\/?$/i.exec(path);
  if (!m) return null;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { timelineId: decode(m[1]), recordId: decode(m[2]), name: decode(m[3]) };
}

export interface TimelineRecord {
  id: string;
  parentId?: string | null;
  type?: string;
  name?: string;
  order?: number | null;
  attempt?: number;
}

/** Job and step names and the order of a timeline record and its ancestors. */
export function placeRecord(recordId: string, records: Map<string, TimelineRecord>): Pick<Origin, "order" | "job" | "step" | "attempt"> {
  const chain: TimelineRecord[] = [];
  const seen = new Set<string>();
  let at = records.get(recordId);
  while (at && !seen.has(at.id) && chain.length < 8) {
    seen.add(at.id);
    chain.unshift(at);
    at = at.parentId ? records.get(at.parentId) : undefined;
  }
  const step = chain[chain.length - 1];
  const job = chain.slice().reverse().find((r) => /^job$/i.test(r.type ?? ""));
  return {
    order: chain.map((r) => r.order ?? 0),
    job: job?.name,
    step: step?.id === recordId ? step.name : undefined,
    attempt: step?.attempt,
  };
}

export function requestFailed(r: PmRequest): boolean {
  return (r.errors?.length ?? 0) > 0 || (r.assertions ?? []).some((a) => a.status === "failed");
}

export function runFailed(run: Run): boolean {
  return run.status !== "passed" || run.counts.failed > 0;
}

/** A step's lints, whichever shape its writer used. */
export function lintsOf(results: Results | null | undefined): Lint[] {
  if (!results) return [];
  if (Array.isArray(results.lints)) return results.lints;
  return results.lint ? [results.lint] : [];
}

export function lintFailed(lint: Lint): boolean {
  return !!lint.error || (lint.findings ?? []).some((f) => f.fails);
}

export interface Filter {
  failedOnly: boolean;
  /** Lower-case search text; empty matches everything. */
  query: string;
}

const searchText = new WeakMap<object, string>();

function textOf(r: PmRequest): string {
  let t = searchText.get(r);
  if (t === undefined) {
    const parts = [r.method ?? "", r.path, r.url ?? "", String(r.status ?? ""), r.statusText ?? ""];
    for (const a of r.assertions ?? []) parts.push(a.name, a.message ?? "");
    for (const e of r.errors ?? []) parts.push(e.kind, e.message);
    t = parts.join("\n").toLowerCase();
    searchText.set(r, t);
  }
  return t;
}

function runText(run: Run, origin: Origin | undefined): string {
  return [run.name, run.collection ?? "", run.environment ?? "", origin?.job ?? "", origin?.step ?? ""].join("\n").toLowerCase();
}

/** Indexes of the run's requests that pass the filter. */
export function visibleRequests(run: Run, filter: Filter, origin?: Origin): number[] {
  const requests = run.requests ?? [];
  const runMatches = !filter.query || runText(run, origin).includes(filter.query);
  const out: number[] = [];
  for (let i = 0; i < requests.length; i++) {
    const r = requests[i];
    if (filter.failedOnly && !requestFailed(r)) continue;
    if (!runMatches && !textOf(r).includes(filter.query)) continue;
    out.push(i);
  }
  return out;
}

export function runVisible(run: Run, filter: Filter, origin?: Origin): boolean {
  if (filter.failedOnly && !runFailed(run)) return false;
  if (!filter.query) return true;
  if (runText(run, origin).includes(filter.query)) return true;
  return visibleRequests(run, filter, origin).length > 0;
}

export function visibleFindings(lint: Lint, filter: Filter): Finding[] {
  const all = lint.findings ?? [];
  const lintMatches = !filter.query || [lint.name ?? "", lint.target ?? ""].join("\n").toLowerCase().includes(filter.query);
  return all.filter((f) => {
    if (filter.failedOnly && !f.fails) return false;
    if (lintMatches) return true;
    return [f.severity, f.kind ?? "", f.message, f.path ?? ""].join("\n").toLowerCase().includes(filter.query);
  });
}

/** The id of a request in deep links: step key, run index and request position. */
export function requestId(step: string, run: number, request: number): string {
  return `${step}.${run}.${request}`;
}

export function parseRequestId(id: string): { step: string; run: number; request: number } | null {
  const m = /^([0-9a-z]+)\.(\d+)\.(\d+)$/.exec(id);
  return m ? { step: m[1], run: Number(m[2]), request: Number(m[3]) } : null;
}

/** Checks the shape loosely: what the page needs to draw, nothing more. */
export function asResults(value: unknown): Results {
  if (!value || typeof value !== "object") throw new Error("the attachment is not a JSON object");
  const v = value as Results;
  if (typeof v.schema !== "number") throw new Error("the attachment has no schema version");
  if (v.runs != null && !Array.isArray(v.runs)) throw new Error("runs is not a list");
  for (const run of v.runs ?? []) {
    if (!run || typeof run !== "object" || typeof run.name !== "string") throw new Error("a run has no name");
    run.counts = run.counts ?? { total: 0, passed: 0, failed: 0, skipped: 0 };
    if (run.requests != null && !Array.isArray(run.requests)) throw new Error(`run ${run.name}: requests is not a list`);
  }
  return v;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms == null || !isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A body as a person reads it: JSON pretty-printed, anything else as it came. */
export function prettyBody(body: string, headers?: Header[] | null): { text: string; json: boolean } {
  const type = (headers ?? []).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  const trimmed = body.trimStart();
  if (/json/i.test(type) || trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { text: JSON.stringify(JSON.parse(body), null, 2), json: true };
    } catch {
      // Not JSON after all (or cut short): show it as it came.
    }
  }
  return { text: body, json: false };
}
