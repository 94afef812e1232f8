// Everything that talks to the Azure DevOps host: the SDK handshake, the
// build the tab is shown for, the build's attachments and timeline through
// the REST API, and the host's URL for deep links.

import * as SDK from "azure-devops-extension-sdk";
import { getClient } from "azure-devops-extension-api/Common";
import { BuildRestClient } from "azure-devops-extension-api/Build";
import {
  ATTACHMENT_TYPE,
  HTML_ATTACHMENT_TYPE,
  Step,
  TimelineRecord,
  asResults,
  parseAttachmentHref,
  placeRecord,
  sortSteps,
  stepKey,
} from "./model";

const NAVIGATION_SERVICE = "ms.vss-features.host-navigation-service";
const PROJECT_SERVICE = "ms.vss-tfs-web.tfs-page-data-service";

/** The query parameter of the host page's URL that names a request to open. */
export const LINK_PARAM = "postmanTest";

export interface BuildRef {
  id: number;
  project: string;
}

interface NavigationService {
  getQueryParams(): Promise<{ [key: string]: string }>;
  setQueryParams(params: { [key: string]: string }): void;
}

let navigation: Promise<NavigationService | null> | undefined;

function navigationService(): Promise<NavigationService | null> {
  navigation ??= SDK.getService<NavigationService>(NAVIGATION_SERVICE).catch(() => null);
  return navigation;
}

/** The request a deep link names: the host page's query, else this frame's hash. */
export async function linkedRequest(): Promise<string | null> {
  const nav = await navigationService();
  if (nav) {
    try {
      const params = await nav.getQueryParams();
      if (params && params[LINK_PARAM]) return params[LINK_PARAM];
    } catch {
      // Fall through to the frame's own hash.
    }
  }
  const hash = new URLSearchParams(location.hash.replace(/^#/, ""));
  return hash.get(LINK_PARAM);
}

/**
 * Points the address bar at a request. The host page's query survives a
 * reload and a copied link; this frame's own URL does not, since the host
 * rebuilds the frame's address.
 */
export async function setLinkedRequest(id: string | null): Promise<void> {
  const nav = await navigationService();
  if (nav) {
    nav.setQueryParams({ [LINK_PARAM]: id ?? "" });
  } else {
    history.replaceState(null, "", id ? `#${LINK_PARAM}=${encodeURIComponent(id)}` : "#");
  }
}

/** Starts the handshake; calls `onBuild` with each build the host shows (it does again when the build changes). */
export async function connect(onBuild: (build: BuildRef) => void): Promise<void> {
  await SDK.init({ loaded: false, applyTheme: true });
  await SDK.ready();
  const config = SDK.getConfiguration() as {
    onBuildChanged?: (cb: (build: { id: number; project: { id: string } }) => void) => void;
  };
  if (typeof config.onBuildChanged === "function") {
    config.onBuildChanged((build) => onBuild({ id: build.id, project: build.project.id }));
    return;
  }
  // Hosts that pass no build: the build id is in the host page's query.
  const nav = await navigationService();
  const params = nav ? await nav.getQueryParams() : {};
  const id = Number(params.buildId);
  if (!Number.isInteger(id) || id <= 0) throw new Error("The page did not say which build to show.");
  const projects = await SDK.getService<{ getProject(): Promise<{ id: string } | undefined> }>(PROJECT_SERVICE);
  const project = await projects.getProject();
  if (!project) throw new Error("The page did not say which project the build is in.");
  onBuild({ id, project: project.id });
}

export function loaded(): void {
  SDK.notifyLoadSucceeded().catch(() => undefined);
}

export function failed(e: unknown): void {
  SDK.notifyLoadFailed(e instanceof Error ? e.message : String(e)).catch(() => undefined);
}

function list<T>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  const wrapped = value as { value?: unknown } | null;
  return wrapped && Array.isArray(wrapped.value) ? (wrapped.value as T[]) : [];
}

/** Reads every results attachment of the build, each placed at its step. */
export async function loadSteps(build: BuildRef): Promise<Step[]> {
  const client = getClient(BuildRestClient);
  const [attachments, timeline] = await Promise.all([
    client.getAttachments(build.project, build.id, ATTACHMENT_TYPE).then((a) => list<{ name: string; _links?: any }>(a)),
    client
      .getBuildTimeline(build.project, build.id)
      .then((t) => list<TimelineRecord>((t as { records?: unknown } | null)?.records))
      .catch(() => [] as TimelineRecord[]),
  ]);
  const records = new Map(timeline.map((r) => [r.id, r]));
  const steps = await Promise.all(
    attachments.map(async (attachment, position): Promise<Step> => {
      const href: string = attachment._links?.self?.href ?? "";
      const parsed = parseAttachmentHref(href);
      const name = parsed?.name ?? attachment.name;
      const origin = {
        timelineId: parsed?.timelineId ?? "",
        recordId: parsed?.recordId ?? `#${position}`,
        name,
        order: [Number.MAX_SAFE_INTEGER, position],
        ...(parsed && records.has(parsed.recordId) ? placeRecord(parsed.recordId, records) : {}),
      };
      const step: Step = { key: stepKey(origin), origin };
      if (!parsed) {
        step.error = `The attachment ${name} has no address to read it from.`;
        return step;
      }
      try {
        const content = await client.getAttachment(build.project, build.id, parsed.timelineId, parsed.recordId, ATTACHMENT_TYPE, parsed.name);
        step.results = asResults(JSON.parse(new TextDecoder().decode(content)));
      } catch (e) {
        step.error = `Could not read ${name}: ${e instanceof Error ? e.message : String(e)}`;
      }
      return step;
    }),
  );
  return sortSteps(steps);
}

/**
 * Downloads a run's HTML report attachment as a file. It is handed to the
 * browser as an opaque download, never opened here: this frame holds the
 * build's access token, and the report's markup comes from the API.
 */
export async function downloadHtml(build: BuildRef, step: Step, name: string): Promise<void> {
  const { timelineId, recordId } = step.origin;
  if (!timelineId || !recordId) throw new Error("the report has no address to read it from");
  const client = getClient(BuildRestClient);
  const content = await client.getAttachment(build.project, build.id, timelineId, recordId, HTML_ATTACHMENT_TYPE, name);
  const url = URL.createObjectURL(new Blob([content], { type: "application/octet-stream" }));
  try {
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.rel = "noopener";
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}
