// An Azure DevOps host for the tab, on this machine only: the tab is loaded
// the way Azure DevOps loads a build results tab, in an iframe from another
// origin, and talks to the host page over the SDK's XDM channel
// (postMessage). The host page runs the SDK's own XDM code (esm/XDM.js) on
// its side and answers what the page asks of a real host:
//
//   DevOps.HostControl.initialHandshake  -> contribution id, contexts, theme,
//                                           initialConfig.onBuildChanged (a
//                                           function the page calls with its
//                                           callback, proxied by XDM)
//   DevOps.HostControl.getAccessToken    -> a bearer token
//   DevOps.HostControl.notifyLoad*       -> recorded on window
//   DevOps.ServiceManager.getService     -> the location service (REST root),
//                                           the host navigation service (the
//                                           host page's query), the project
//
// and serves the build REST API the page calls (attachments, timeline,
// attachment content) with CORS, refusing calls without the token.
//
// Two servers, both on 127.0.0.1 port 0: the host (page + REST) and the
// extension's files (web/dist), so the frame is cross-origin as in Azure
// DevOps.

import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";

const here = dirname(fileURLToPath(import.meta.url));
const web = join(here, "..");
const dist = join(web, "dist");
const xdm = join(web, "node_modules/azure-devops-extension-sdk/esm/XDM.js");

export const TYPE = "postman-cli-task.results";
export const CONTRIBUTION = "postman-cli-task.postman-cli.postman-build-results-tab";

// Theme variables as the host sends them (names from azure-devops-ui).
export const THEMES = {
  light: {
    "background-color": "rgba(255, 255, 255, 1)",
    "text-primary-color": "rgba(0, 0, 0, .9)",
    "text-secondary-color": "rgba(0, 0, 0, .55)",
    "palette-primary": "0, 120, 212",
    "palette-neutral-2": "248, 248, 248",
    "palette-neutral-4": "244, 244, 244",
    "palette-neutral-8": "234, 234, 234",
    "palette-neutral-20": "200, 200, 200",
    "callout-background-color": "rgba(255, 255, 255, 1)",
  },
  dark: {
    "background-color": "rgba(27, 26, 25, 1)",
    "text-primary-color": "rgba(255, 255, 255, .87)",
    "text-secondary-color": "rgba(255, 255, 255, .6)",
    "palette-primary": "40, 153, 245",
    "palette-neutral-2": "37, 36, 35",
    "palette-neutral-4": "44, 43, 42",
    "palette-neutral-8": "59, 58, 57",
    "palette-neutral-20": "92, 91, 90",
    "callout-background-color": "rgba(37, 36, 35, 1)",
  },
};

const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".txt": "text/plain" };

function listen(handler) {
  return new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

/**
 * A build: its steps, each in a job, each with attachments.
 *   { id, steps: [{ job, step, attachments: [{ name, json | text, type? }] }] }
 * (`type` defaults to the results attachment's.)
 * Jobs and steps are ordered as listed.
 */
function layout(build) {
  const timelineId = randomUUID();
  const records = [];
  const files = [];
  const stage = { id: randomUUID(), parentId: null, type: "Stage", name: "__default", order: 1 };
  const phase = { id: randomUUID(), parentId: stage.id, type: "Phase", name: "Job", order: 1 };
  records.push(stage, phase);
  const jobs = new Map();
  const stepCount = new Map();
  for (const s of build.steps) {
    if (!jobs.has(s.job)) {
      const job = { id: randomUUID(), parentId: phase.id, type: "Job", name: s.job, order: jobs.size + 1, attempt: 1 };
      jobs.set(s.job, job);
      records.push(job);
    }
    const job = jobs.get(s.job);
    const order = (stepCount.get(s.job) ?? 0) + 1;
    stepCount.set(s.job, order);
    const task = { id: randomUUID(), parentId: job.id, type: "Task", name: s.step, order: order + 1, attempt: 1 };
    records.push(task);
    for (const a of s.attachments) {
      files.push({ recordId: task.id, name: a.name, type: a.type ?? TYPE, body: Buffer.from(a.text ?? JSON.stringify(a.json)) });
    }
  }
  // The REST API lists attachments in no order the page may rely on.
  files.reverse();
  return { timelineId, records, files };
}

export async function startHost({ builds, token = `token-${randomUUID()}` }) {
  const log = [];
  const laid = new Map();
  for (const b of builds) laid.set(String(b.id), { build: b, ...layout(b) });

  const ext = await listen((req, res) => {
    const url = new URL(req.url, "http://x");
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, "");
    const file = join(dist, rel.replace(/^web\/dist\/?/, ""));
    if (!rel.startsWith("web/dist/") || !file.startsWith(dist) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const ext = file.slice(file.lastIndexOf("."));
    res.writeHead(200, { "content-type": MIME[ext] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(file));
  });
  const extOrigin = `http://127.0.0.1:${ext.address().port}`;

  let hostOrigin;
  const host = await listen((req, res) => {
    const url = new URL(req.url, hostOrigin);
    const cors = {
      "access-control-allow-origin": extOrigin,
      "access-control-allow-headers": "authorization, accept, content-type, x-vss-reauthenticationaction, x-tfs-fedauthredirect, x-tfs-session",
      "access-control-allow-methods": "GET",
      vary: "origin",
    };
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end();
      return;
    }
    if (url.pathname === "/" || url.pathname === "/build") {
      res.writeHead(200, { "content-type": MIME[".html"], "cache-control": "no-store" });
      res.end(hostPage(url, extOrigin, token, laid));
      return;
    }
    if (url.pathname === "/xdm.js") {
      res.writeHead(200, { "content-type": MIME[".js"] });
      res.end(readFileSync(xdm));
      return;
    }
    const m = /^\/org\/([^/]+)\/_apis\/build\/builds\/(\d+)\/(.*)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const auth = req.headers.authorization ?? "";
    log.push({ path: url.pathname, accept: req.headers.accept ?? "", authorized: auth === `Bearer ${token}`, origin: req.headers.origin ?? "" });
    if (auth !== `Bearer ${token}`) {
      res.writeHead(401, { ...cors, "content-type": "application/json" }).end('{"message":"TF400813: The user is not authorized"}');
      return;
    }
    const [, project, buildId, rest] = m;
    const b = laid.get(buildId);
    if (!b || project !== "proj-1") {
      res.writeHead(404, cors).end();
      return;
    }
    const json = (value) => {
      res.writeHead(200, { ...cors, "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(value));
    };
    if (/^timeline\/?$/i.test(rest)) {
      json({ id: b.timelineId, records: b.records });
      return;
    }
    const list = new RegExp(`^attachments/${TYPE.replace(/\./g, "\\.")}$`).exec(rest);
    if (list) {
      // noArrayWrap=true in the page's Accept header: a bare array.
      json(
        b.files.filter((f) => f.type === TYPE).map((f) => ({
          name: f.name,
          _links: {
            self: {
              href: `${hostOrigin}/org/${project}/_apis/build/builds/${buildId}/${b.timelineId}/${f.recordId}/attachments/${TYPE}/${encodeURIComponent(f.name)}`,
            },
          },
        })),
      );
      return;
    }
    const one = /^([^/]+)\/([^/]+)\/attachments\/([^/]+)\/([^/]+)$/.exec(rest);
    if (one && one[1] === b.timelineId) {
      const f = b.files.find((x) => x.type === one[3] && x.recordId === one[2] && x.name === decodeURIComponent(one[4]));
      if (f) {
        res.writeHead(200, { ...cors, "content-type": "application/octet-stream" });
        res.end(f.body);
        return;
      }
    }
    res.writeHead(404, cors).end();
  });
  hostOrigin = `http://127.0.0.1:${host.address().port}`;

  return {
    token,
    log,
    origin: hostOrigin,
    extOrigin,
    url(buildId, params = {}) {
      const q = new URLSearchParams({ buildId: String(buildId), view: CONTRIBUTION, ...params });
      return `${hostOrigin}/build?${q}`;
    },
    close() {
      return Promise.all([new Promise((r) => host.close(r)), new Promise((r) => ext.close(r))]);
    },
  };
}

function hostPage(url, extOrigin, token, laid) {
  const buildId = url.searchParams.get("buildId") ?? "";
  const theme = url.searchParams.get("theme") === "dark" ? "dark" : "light";
  const height = Number(url.searchParams.get("height")) || 0;
  const cfg = {
    extUrl: `${extOrigin}/web/dist/postman-tab.html`,
    token,
    contributionId: CONTRIBUTION,
    restRoot: `${url.origin}/org/`,
    build: laid.has(buildId) ? { id: Number(buildId), buildNumber: `20261119.${buildId}`, project: { id: "proj-1", name: "Shop" } } : null,
    themeData: url.searchParams.get("theme") === "none" ? null : THEMES[theme],
    height,
  };
  const bg = THEMES[theme]["background-color"];
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Build results</title>
<style>html,body{margin:0;background:${bg};height:100%}iframe{display:block;border:0;width:100%;height:${height ? `${height}px` : "100vh"}}</style>
<script type="application/json" id="cfg">${JSON.stringify(cfg).replace(/</g, "\\u003c")}</script>
<script type="module">
import { channelManager } from "/xdm.js";
const cfg = JSON.parse(document.getElementById("cfg").textContent);
window.__host = { loaded: false, failed: null, handshake: null, services: [], buildCallbacks: [] };
const frame = document.createElement("iframe");
frame.title = "Postman";
frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads");
frame.src = cfg.extUrl;
document.body.appendChild(frame);
const channel = channelManager.addChannel(frame.contentWindow, new URL(cfg.extUrl).origin);
const registry = channel.getObjectRegistry();
const query = () => Object.fromEntries(new URL(location.href).searchParams);
const hashListeners = [];
const services = {
  "ms.vss-features.location-service": {
    getResourceAreaLocation(areaId) { return Promise.resolve(cfg.restRoot); },
    getServiceLocation() { return Promise.resolve(cfg.restRoot); },
    routeUrl() { return Promise.resolve(cfg.restRoot); },
  },
  "ms.vss-features.host-navigation-service": {
    getQueryParams() { return Promise.resolve(query()); },
    setQueryParams(params) {
      const u = new URL(location.href);
      for (const [k, v] of Object.entries(params)) { if (v) u.searchParams.set(k, v); else u.searchParams.delete(k); }
      history.replaceState(null, "", u);
    },
    getHash() { return Promise.resolve(location.hash.slice(1)); },
    setHash(h) { location.hash = h; },
    replaceHash(h) { history.replaceState(null, "", "#" + h); },
    onHashChanged(cb) { hashListeners.push(cb); },
    navigate(u) { location.href = u; },
    openNewWindow(u) { window.open(u); },
    reload() { location.reload(); },
    setDocumentTitle(t) { document.title = t; },
  },
  "ms.vss-tfs-web.tfs-page-data-service": {
    getProject() { return Promise.resolve(cfg.build && cfg.build.project); },
  },
};
registry.register("DevOps.HostControl", {
  initialHandshake(options) {
    window.__host.handshake = options;
    return {
      contributionId: cfg.contributionId,
      context: {
        extension: { id: "postman-cli-task.postman-cli", publisherId: "postman-cli-task", extensionId: "postman-cli", version: "1.0.0" },
        user: { id: "user-1", name: "tester", displayName: "Tester", descriptor: "aad.user-1", imageUrl: "" },
        host: { id: "org-1", name: "org", serviceVersion: "test", type: 4, isHosted: true },
        pageContext: { webContext: { project: cfg.build && cfg.build.project, team: null } },
      },
      initialConfig: cfg.build ? {
        onBuildChanged(callback) {
          window.__host.buildCallbacks.push(callback);
          callback(cfg.build);
        },
      } : {},
      themeData: cfg.themeData,
    };
  },
  notifyLoadSucceeded() { window.__host.loaded = true; },
  notifyLoadFailed(e) { window.__host.failed = String(e); },
  getAccessToken() { return { token: cfg.token }; },
  getAppToken() { return { token: "app-" + cfg.token }; },
  resize() {},
});
registry.register("DevOps.ServiceManager", {
  getService(id) { window.__host.services.push(id); return services[id]; },
});
</script></head><body></body></html>`;
}
