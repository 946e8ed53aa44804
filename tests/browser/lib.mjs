// What the browser tests share: a `tikal serve --demo` of their own on a free port with the
// demo's clock stopped, Debian's Chromium, the command line, the API, screenshots, and the
// accessibility audit (axe-core, run inside the page).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");
const BIN = process.env.TIKAL_BIN ?? join(root, "target/debug/tikal");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = resolve(root, process.env.TIKAL_SCREENSHOTS || "target/screenshots");
export const DEMO_NOW = "2026-11-24T15:00:00Z";
export const PASSWORD = "tikal-demo-2026";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitReady(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tikal serve did not become ready");
}

/// Starts the demo desk (or, with `{ demo: false }`, a fresh empty install) and the browser;
/// `extraConfig` is appended to the TOML settings.
export async function startDesk(extraConfig = "", { demo = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tikal-browser-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, "tikal.toml");
  writeFileSync(config, `[portal]\npublic_url = "${base}"\norganisation_name = "Gobierno Provincial — Mesa de Ayuda"\n${extraConfig}`);
  const env = { ...process.env, TIKAL_DATA_DIR: dir, TIKAL_CONFIG: config, TIKAL_LOG: "warn" };
  // An empty install runs on the real clock (the stopped one is the demo's).
  const demoArgs = demo ? ["--demo", "--demo-now", DEMO_NOW] : [];
  const server = spawn(BIN, ["serve", ...demoArgs, "--listen", `127.0.0.1:${port}`], { env, stdio: "ignore" });
  await waitReady(base);
  // Runs the `tikal` command line; its standard error is kept (not mixed into the test report)
  // and shown only if the command fails.
  const tikal = (...args) => execFileSync(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] }).toString().trim();
  // The same, with `input` on its standard input (passwords).
  const tikalWith = (input, ...args) => execFileSync(BIN, args, { env, input, stdio: ["pipe", "pipe", "pipe"] }).toString().trim();
  const apiKey = tikal("api-key", "create", "--name", "browser-tests").split("\n").pop();
  const api = async (method, path, body) => {
    const r = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${await r.clone().text()}`);
    return r.json();
  };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const stop = async () => {
    await browser.close();
    server.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, dir, tikal, tikalWith, api, browser, stop };
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/// The accessibility audit of the page as it is now: WCAG 2.1 A and AA rules; every violation
/// fails the test with the rule, the elements and how to fix it.
export async function audit(page, what) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] }),
  );
  const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join("\n  ")}`);
  assert.deepEqual(found, [], `accessibility of ${what} (${page.url()}):\n${found.join("\n")}`);
}

/// The viewports every page is audited at: a phone and a desktop.
export const VIEWPORTS = [
  { name: "phone", viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
  { name: "desktop", viewport: { width: 1280, height: 800 } },
];
