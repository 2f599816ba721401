// Test harness: starts real casebot servers and a headless Debian Chromium through
// playwright-core, and offers small helpers to drive the widget.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const REPO = resolve(import.meta.dirname, "../..");
export const BIN = process.env.CASEBOT_BIN || join(REPO, "target/debug/casebot");
export const TOKEN = process.env.CASEBOT_ADMIN_TOKEN || "browser-test-token";
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

/** Starts `casebot serve` on `port` with the database in `db`; resolves once /healthz is 200. */
export async function startServer({ port, db }) {
  port = port || (await freePort());
  db = db || mkdtempSync(join(tmpdir(), "casebot-browser-"));
  const seed = join(REPO, "data/demo-cases.jsonl");
  const args = ["serve", "--addr", `127.0.0.1:${port}`, "--db", join(db, "db"),
    "--intents", join(REPO, "intents"), "--knowledge", join(REPO, "knowledge")];
  if (existsSync(seed)) args.push("--seed", seed);
  const child = spawn(BIN, args, {
    env: { ...process.env, CASEBOT_ADMIN_TOKEN: TOKEN, CASEBOT_WATCH: "false", RUST_LOG: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((ok) => child.once("exit", ok));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`casebot exited with ${child.exitCode} before it was ready`);
    try {
      if ((await fetch(url + "/healthz")).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error("casebot did not become ready in 20 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, port, db,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
    async remove() {
      await this.stop();
      rmSync(db, { recursive: true, force: true });
    },
  };
}

/** The server every test shares: the one at CASEBOT_URL, or a fresh one. */
export async function sharedServer() {
  if (process.env.CASEBOT_URL) return { url: process.env.CASEBOT_URL.replace(/\/$/, ""), remove: async () => {} };
  return startServer({});
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * A new page on the demo site, failing the test on page errors and CSP violations.
 * `attrs` (e.g. `{ "data-lang": "es" }`) are set on the widget's script tag as the parser
 * inserts it, before the deferred script runs, so the page is still the one the server
 * serves. (A page fulfilled by `route` would not do: Chromium's local network access
 * checks then block its WebSocket to 127.0.0.1.)
 */
export async function openDemo(browser, url, viewport = { width: 1280, height: 800 }, attrs = null) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(10000);
  if (attrs) {
    await context.addInitScript((attrs) => {
      new MutationObserver((changes, observer) => {
        for (const node of changes.flatMap((c) => [...c.addedNodes])) {
          if (node.tagName === "SCRIPT" && /\/widget\.js$/.test(node.src)) {
            for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
            observer.disconnect();
          }
        }
      }).observe(document, { childList: true, subtree: true });
    }, attrs);
  }
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !/WebSocket/.test(m.text())) page.problems.push(m.text());
  });
  await page.goto(url + "/");
  await page.locator("#casebot-widget .launcher").waitFor();
  return page;
}

/**
 * Serves the demo page from a second origin, http://127.0.0.2:PORT (loopback, so Chromium's
 * local network checks let it reach the server, but neither localhost nor the server's own
 * address, so the server does not allow it), with the widget loaded from `url`.
 */
export async function serveForeignPage(url) {
  const html = (await (await fetch(url + "/")).text())
    .replaceAll('src="/widget.js"', `src="${url}/widget.js"`)
    .replaceAll('href="/demo.css"', `href="${url}/demo.css"`);
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.2", ok);
  });
  return {
    url: `http://127.0.0.2:${server.address().port}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/** Waits until the browser has laid out and painted what the page just changed. */
export function settled(page) {
  return page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
}

/** Updates a case through the admin API. */
export async function putCase(url, record) {
  const res = await fetch(`${url}/api/cases/${record.receipt_number}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(record),
  });
  if (!res.ok) throw new Error(`admin PUT answered ${res.status}: ${await res.text()}`);
}

/** Locators inside the widget (playwright's CSS pierces its open shadow root). */
export function widget(page) {
  const w = (sel) => page.locator(`#casebot-widget ${sel}`);
  return {
    launcher: w(".launcher"),
    panel: w(".panel"),
    input: w("textarea"),
    badge: w(".badge"),
    status: w(".status"),
    offline: w(".offline"),
    bot: w(".msg.bot"),
    user: w(".msg.user"),
    notes: w(".msg.note"),
    system: w(".msg.system"),
    quick: w(".quick button"),
    send: w("button.send"),
    close: w("button.close"),
    /** The language switch, and its button for "en" or "es". */
    langs: w(".langs"),
    lang: (code) => w(`.langs button[data-lang="${code}"]`),
    /** Types `text`, presses Enter and waits for one more assistant message. */
    async ask(text) {
      const before = await w(".msg.bot").count();
      await w("textarea").fill(text);
      await w("textarea").press("Enter");
      await w(".msg.bot").nth(before).waitFor();
      return (await w(".msg.bot").nth(before).innerText()).trim();
    },
  };
}

/** The element focused inside the widget's shadow root, as "tag.class". */
export function focused(page) {
  return page.evaluate(() => {
    const el = document.getElementById("casebot-widget")?.shadowRoot?.activeElement;
    return el ? `${el.tagName.toLowerCase()}.${el.className}` : null;
  });
}

/** Records the widget's WebSocket traffic from now on: the URLs it opens and the JSON frames. */
export function traffic(page) {
  const seen = { urls: [], sent: [], received: [] };
  const parse = (payload) => {
    try {
      return JSON.parse(payload);
    } catch {
      return payload;
    }
  };
  page.on("websocket", (ws) => {
    seen.urls.push(ws.url());
    ws.on("framesent", (f) => seen.sent.push(parse(f.payload)));
    ws.on("framereceived", (f) => seen.received.push(parse(f.payload)));
  });
  return seen;
}
