// The "Postman" build results tab: connects to the host, reads the build's
// results attachments and draws them.

import { BuildRef, connect, downloadHtml, failed, linkedRequest, loadSteps, loaded, setLinkedRequest } from "./host";
import { createView } from "./view";

const root = document.getElementById("app") as HTMLElement;
const status = document.getElementById("status") as HTMLElement;
let current: BuildRef | null = null;
const view = createView(
  root,
  (id) => void setLinkedRequest(id),
  (step, name) => (current ? downloadHtml(current, step, name) : Promise.reject(new Error("no build"))),
);

// The host's theme arrives as CSS variables; the page's own colours follow
// whether its background came out dark or light.
function followTheme(): void {
  const bg = getComputedStyle(document.body).backgroundColor;
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(bg);
  if (!m) return;
  const [r, g, b] = m.slice(1).map(Number);
  const dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
window.addEventListener("themeApplied", followTheme);
followTheme();

let generation = 0;
let first = true;

async function show(build: BuildRef): Promise<void> {
  const mine = ++generation;
  current = build;
  const steps = await loadSteps(build);
  if (mine !== generation) return;
  status.hidden = true;
  view.show(steps);
  if (first) {
    first = false;
    const id = await linkedRequest();
    if (id) view.openLinked(id);
    document.documentElement.dataset.ready = "true";
    // For scripts/bench.sh: from the frame's start to the first full draw.
    performance.mark("postman-tab-ready");
    loaded();
  }
}

function fail(e: unknown): void {
  status.hidden = false;
  status.className = "error-card";
  status.textContent = `The Postman results could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
  document.documentElement.dataset.ready = "error";
  failed(e);
}

connect((build) => {
  show(build).catch(fail);
}).catch(fail);
