// End-to-end tests of the chat widget: real headless Chromium, real casebot server, real
// sled database. Run by `cargo test --test browser` (tests/browser.rs), or `npm test` after
// `cargo build`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, focused, launch, openDemo, putCase, serveForeignPage, settled, sharedServer, startServer, traffic, widget } from "./harness.mjs";

let browser;
let server;

before(async () => {
  browser = await launch();
  server = await sharedServer();
});

after(async () => {
  await browser?.close();
  await server?.remove();
});

describe("the chat widget", () => {
  test("opens from the launcher with the greeting, focus in the text box, under the page's CSP", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    assert.equal(await w.panel.isHidden(), true);
    assert.equal(await w.launcher.evaluate((el) => getComputedStyle(el).position), "fixed", "styles apply");
    await w.launcher.click();
    await w.bot.first().waitFor();
    assert.equal(await w.launcher.getAttribute("aria-expanded"), "true");
    assert.match(await focused(page), /^textarea/);
    assert.ok((await w.quick.count()) > 0, "the greeting offers quick replies");
    assert.equal(await w.status.innerText(), "Online");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("answers an FAQ question", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    const answer = await w.ask("What is an online account number?");
    assert.doesNotMatch(answer, /^Sorry, I/, "not the fallback");
    assert.match(answer, /account number/i);
    await page.context().close();
  });

  test("a quick reply sends its text and is answered", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.quick.first().waitFor();
    await w.quick.filter({ hasText: "Check my case status" }).click();
    await w.bot.nth(1).waitFor();
    assert.equal((await w.user.last().innerText()).includes("Check my case status"), true);
    assert.match(await w.bot.nth(1).innerText(), /receipt number/i);
    assert.equal(await w.quick.filter({ hasText: "Check my case status" }).count(), 0, "used quick replies go away");
    await page.context().close();
  });

  test("renders the Markdown subset: bold, bullet list, links that open in a new tab", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    await w.ask("talk to a person");
    const reply = w.bot.last();
    assert.ok((await reply.locator("strong").count()) > 0, "bold");
    assert.ok((await reply.locator("ul > li").count()) >= 2, "a bullet list");
    assert.doesNotMatch(await reply.innerText(), /\*\*/, "no raw Markdown markers");
    const a = reply.locator("a").first();
    assert.equal(await a.getAttribute("target"), "_blank");
    assert.match(await a.getAttribute("rel"), /noopener/);
    assert.match(await a.getAttribute("href"), /^https:\/\//);
    await page.context().close();
  });

  test("a message with <script> is shown as text, never run", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    const evil = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> <b>hi</b>';
    await w.ask(evil);
    assert.equal((await w.user.last().locator(".bubble").innerText()).trim(), evil);
    assert.equal(await w.user.last().locator("script, img, b").count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.context().close();
  });

  test("checks a receipt number and pushes a notification with an unread badge after an admin update", async () => {
    const receipt = "EAC2690000001";
    await putCase(server.url, { receipt_number: receipt, form: "I-130", status: "Case Was Received", updated: "2026-10-01" });
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    assert.match(await w.ask(`what's the status of ${receipt}?`), /Case Was Received/);
    await w.ask(`notify me about ${receipt}`);
    await page.keyboard.press("Escape");
    await putCase(server.url, { receipt_number: receipt, form: "I-130", status: "Case Was Approved", updated: "2026-11-20" });
    await w.notes.first().waitFor({ state: "attached" });
    const note = await w.notes.first().textContent();
    assert.match(note, new RegExp(receipt));
    assert.match(note, /Approved/);
    assert.equal(await w.badge.innerText(), "1");
    assert.match(await w.launcher.getAttribute("aria-label"), /1 unread/);
    await w.launcher.click();
    assert.equal(await w.badge.isHidden(), true, "opening clears the badge");
    await page.context().close();
  });

  test("keyboard only: open, ask, pick a quick reply, close with Escape", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    for (let i = 0; i < 5 && !/^button\.launcher/.test(await focused(page)); i++) await page.keyboard.press("Tab");
    assert.match(await focused(page), /^button\.launcher/, "the launcher is reachable with Tab");
    await page.keyboard.press("Enter");
    await w.bot.first().waitFor();
    assert.match(await focused(page), /^textarea/, "opening focuses the text box");
    await page.keyboard.press("Shift+Tab");
    assert.match(await focused(page), /^button/, "the quick replies come just before the text box");
    const picked = await page.evaluate(() => document.getElementById("casebot-widget").shadowRoot.activeElement.textContent);
    await page.keyboard.press("Enter");
    await w.bot.nth(1).waitFor();
    assert.equal((await w.user.last().innerText()).includes(picked), true, "the quick reply was sent");
    assert.match(await focused(page), /^textarea/, "focus goes back to the text box");
    await page.keyboard.type("talk to a person");
    await page.keyboard.press("Enter");
    await w.bot.nth(2).waitFor();
    await page.keyboard.press("Enter"); // an empty box sends nothing
    assert.equal(await w.user.count(), 2);
    await page.keyboard.press("Escape");
    assert.equal(await w.panel.isHidden(), true);
    assert.match(await focused(page), /^button\.launcher/, "closing returns focus to the launcher");
    await page.context().close();
  });

  test("keeps the transcript across a reload and greets only once", async () => {
    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    await w.ask("hello");
    const before = await w.bot.allInnerTexts();
    await page.reload();
    await w.status.filter({ hasText: "Online" }).waitFor();
    assert.equal(await w.panel.isVisible(), true, "the panel stays open");
    assert.deepEqual(await w.bot.allInnerTexts(), before, "same messages, no second greeting, no welcome back");
    assert.equal(await w.user.count(), 1);
    assert.equal(await w.system.count(), 0);
    await page.context().close();
  });

  test("saves screenshots of the open widget at desktop and phone width", async () => {
    for (const [name, viewport] of [["desktop", { width: 1024, height: 720 }], ["phone", { width: 360, height: 720 }]]) {
      const page = await openDemo(browser, server.url, viewport);
      const w = widget(page);
      await w.launcher.click();
      await w.bot.first().waitFor();
      await w.ask("talk to a person");
      if (name === "phone") {
        const box = await w.panel.boundingBox();
        assert.equal(box.width, 360, "full width on a phone");
        assert.equal(box.height, 720, "full height on a phone");
      }
      // Written under target/ so a test run leaves the tree clean; docs/img holds the copies the README shows.
      mkdirSync(join(REPO, "target/screenshots"), { recursive: true });
      await page.screenshot({ path: join(REPO, `target/screenshots/widget-${name}.png`) });
      await page.context().close();
    }
  });
});

describe("scrolling", () => {
  /** Where the latest assistant message sits in the transcript's visible area. */
  async function lastAnswer(page) {
    await settled(page);
    return page.evaluate(() => {
      const root = document.getElementById("casebot-widget").shadowRoot;
      const log = root.querySelector(".log");
      const answer = [...root.querySelectorAll(".msg.bot")].at(-1).getBoundingClientRect();
      const view = log.getBoundingClientRect();
      return {
        top: answer.top - view.top,
        bottom: answer.bottom - view.top,
        height: view.height,
        atEnd: log.scrollTop >= log.scrollHeight - log.clientHeight - 1,
      };
    });
  }

  test("a long answer is shown from its first line; a short one ends at the bottom", async () => {
    // A short window, so the panel's transcript is short and a case history overflows it.
    const page = await openDemo(browser, server.url, { width: 1024, height: 520 });
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    await w.ask("show me the history of MSC2590000007");
    const long = await lastAnswer(page);
    assert.ok(long.bottom - long.top > long.height, `the history is taller than the transcript: ${JSON.stringify(long)}`);
    assert.ok(long.top >= 0 && long.top < 40, `its first line is in view: ${JSON.stringify(long)}`);
    assert.equal(long.atEnd, false, "so the transcript is not scrolled to its end");

    await w.ask("hello");
    const short = await lastAnswer(page);
    assert.equal(short.atEnd, true, `a short answer ends at the bottom: ${JSON.stringify(short)}`);
    assert.ok(short.top >= 0 && short.bottom <= short.height + 1, JSON.stringify(short));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe("a page on an origin the server does not allow", () => {
  test("says the site may not use the chat and does not reconnect", async () => {
    const foreign = await serveForeignPage(server.url);
    try {
      const page = await openDemo(browser, foreign.url);
      const seen = traffic(page);
      const w = widget(page);
      await w.launcher.click();
      await w.offline.filter({ hasText: "This site is not allowed to use this chat." }).waitFor();
      assert.equal(await w.status.innerText(), "Unavailable");
      assert.equal(await w.bot.count(), 0, "no greeting: the server sent no welcome");
      // The widget used to reconnect within a second, and for ever: it now waits.
      await page.waitForTimeout(3000);
      assert.equal(seen.urls.length, 1, `one connection only: ${seen.urls}`);
      assert.deepEqual(seen.received, [], "no frame before the close");

      // A message the person sends tries once more, and is marked as not sent.
      await w.input.fill("hello");
      await w.input.press("Enter");
      await w.user.filter({ hasText: "Not sent" }).waitFor();
      assert.equal(seen.urls.length, 2);
      await page.waitForTimeout(1500);
      assert.equal(seen.urls.length, 2, "still no reconnecting");
      assert.equal(await w.offline.innerText(), "This site is not allowed to use this chat.");

      await w.lang("es").click();
      assert.equal(await w.offline.innerText(), "Este sitio no tiene permiso para usar este chat.");
      assert.equal(await w.status.innerText(), "No disponible");
      assert.deepEqual(page.problems, []);
      await page.context().close();
    } finally {
      await foreign.close();
    }
  });
});

describe("reliability", () => {
  test("survives a server restart: offline notice, queued message sent once, session resumed", async () => {
    const first = await startServer({});
    const page = await openDemo(browser, first.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    await w.ask("hello");
    await first.stop();
    await w.offline.waitFor();
    assert.match(await w.status.innerText(), /Offline/);

    await w.input.fill("talk to a person");
    await w.input.press("Enter");
    assert.match(await w.user.last().innerText(), /Waiting to send/);

    const second = await startServer({ port: first.port, db: first.db });
    try {
      await w.status.filter({ hasText: "Online" }).waitFor({ timeout: 40000 });
      await w.bot.nth(2).waitFor();
      assert.match(await w.bot.nth(2).innerText(), /Contact Center/);
      assert.equal(await w.user.filter({ hasText: "talk to a person" }).count(), 1, "the queued message shows once");
      assert.doesNotMatch(await w.user.last().innerText(), /Waiting to send/);
      assert.equal(await w.offline.isHidden(), true);
      assert.equal(await w.bot.count(), 3, "greeting, two answers: no second greeting");
      // The new server process does not know the old session, and the widget says so.
      assert.equal(await w.system.count(), 1);
      assert.match(await w.ask("thanks"), /./);
    } finally {
      await page.context().close();
      await second.remove();
    }
  });
});

/** A string or a list of strings under `key` in one of the content's TOML files (basic strings only). */
function tomlValue(file, key) {
  const line = readFileSync(join(REPO, file), "utf8").split("\n").find((l) => l.startsWith(`${key} = `));
  assert.ok(line, `${key} in ${file}`);
  return JSON.parse(line.slice(key.length + 3));
}

/** The `message` frames the widget sent. */
function messages(seen) {
  return seen.sent.filter((f) => f.type === "message");
}

describe("languages", () => {
  test("the English/Español switch relabels the widget, tells the server, and the transcript keeps both languages", async () => {
    const page = await openDemo(browser, server.url);
    const seen = traffic(page);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    assert.equal(await w.langs.getAttribute("aria-label"), "Language");
    assert.equal(await w.lang("en").getAttribute("aria-pressed"), "true");
    assert.equal(await w.lang("es").getAttribute("aria-pressed"), "false");
    assert.equal(await w.lang("es").innerText(), "Español");
    assert.equal(await w.lang("es").getAttribute("lang"), "es", "each option is named in its own language");
    assert.match(seen.urls[0], /[?&]lang=en(&|$)/, "a new session asks for the widget's language");
    const greeting = await w.bot.first().innerText();

    await w.lang("es").click();
    assert.equal(await w.input.getAttribute("placeholder"), "Escriba su pregunta");
    assert.equal(await w.send.innerText(), "Enviar");
    assert.equal(await w.status.innerText(), "En línea");
    assert.equal(await w.close.getAttribute("aria-label"), "Cerrar el chat");
    assert.equal(await w.langs.getAttribute("aria-label"), "Idioma");
    assert.equal(await w.lang("es").getAttribute("aria-pressed"), "true");
    assert.equal(await w.lang("en").getAttribute("aria-pressed"), "false");
    assert.equal(await w.bot.first().innerText(), greeting, "the greeting stays as it was said");
    assert.equal(await w.bot.first().getAttribute("lang"), "en");

    const spanish = await w.ask("¿dónde encuentro mi número de recibo?");
    assert.equal(messages(seen).at(-1).lang, "es", "the message after the switch carries it");
    assert.equal(await w.user.last().getAttribute("lang"), "es");
    assert.equal(await w.bot.last().getAttribute("lang"), "es");
    assert.doesNotMatch(spanish, /Perdón, no/, "not the fallback");
    assert.match(spanish, /recibo/);
    const asked = await w.user.last().innerText();

    // Back to English with the keyboard: the switch sits just before the close button.
    await w.close.focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => document.getElementById("casebot-widget").shadowRoot.activeElement.textContent), "English");
    await page.keyboard.press("Space");
    assert.equal(await w.lang("en").getAttribute("aria-pressed"), "true");
    assert.equal(await w.input.getAttribute("placeholder"), "Type your question");
    assert.equal(await w.send.innerText(), "Send");
    const english = await w.ask("where do I find my receipt number?");
    assert.equal(messages(seen).at(-1).lang, "en");
    assert.equal(await w.user.last().getAttribute("lang"), "en");
    assert.equal(await w.bot.last().getAttribute("lang"), "en");
    assert.doesNotMatch(english, /Sorry, I/, "not the fallback");
    assert.match(english, /receipt number/i);
    assert.equal(await w.user.first().innerText(), asked, "the Spanish question is still there, unchanged");
    assert.equal(await w.user.first().getAttribute("lang"), "es");
    assert.equal(await w.bot.nth(1).innerText(), spanish, "so is the Spanish answer");
    assert.equal(await w.bot.nth(1).getAttribute("lang"), "es");

    // The choice is kept for the tab: choose Español again, without a message, and reload.
    await w.lang("es").click();
    const msgs = page.locator("#casebot-widget .msg");
    const bubbles = await msgs.locator(".bubble").allInnerTexts();
    const langs = await msgs.evaluateAll((all) => all.map((m) => m.lang));
    assert.deepEqual(langs, ["en", "es", "es", "en", "en"]);
    await page.reload();
    await w.status.filter({ hasText: "En línea" }).waitFor();
    assert.equal(await w.lang("es").getAttribute("aria-pressed"), "true");
    assert.equal(await w.input.getAttribute("placeholder"), "Escriba su pregunta");
    assert.deepEqual(await msgs.locator(".bubble").allInnerTexts(), bubbles, "the transcript as it was said");
    assert.deepEqual(await msgs.evaluateAll((all) => all.map((m) => m.lang)), langs);
    assert.match(seen.urls.at(-1), /[?&]lang=es(&|$)/);
    await w.ask("hola");
    assert.equal(messages(seen).at(-1).lang, "es", "the first message of a connection carries the language");
    assert.equal(await w.bot.last().getAttribute("lang"), "es");
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("data-lang=\"es\" starts the widget in Spanish with the server's Spanish greeting", async () => {
    const page = await openDemo(browser, server.url, undefined, { "data-lang": "es" });
    const seen = traffic(page);
    const w = widget(page);
    assert.equal(await w.launcher.getAttribute("aria-label"), "Abrir el chat");
    await w.launcher.click();
    await w.bot.first().waitFor();
    assert.match(seen.urls[0], /[?&]lang=es(&|$)/);
    assert.equal(await w.lang("es").getAttribute("aria-pressed"), "true");
    assert.equal(await w.input.getAttribute("placeholder"), "Escriba su pregunta");
    assert.equal(await w.send.innerText(), "Enviar");
    assert.equal(await w.bot.first().getAttribute("lang"), "es");
    assert.equal((await w.bot.first().locator(".bubble").innerText()).trim(), tomlValue("intents/es/replies.toml", "greeting"));
    assert.deepEqual(await w.quick.allInnerTexts(), tomlValue("intents/es/replies.toml", "starter_menu"));
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("error frames are shown in the widget's language, never the server's English message", async () => {
    const page = await openDemo(browser, server.url, undefined, { "data-lang": "es" });
    const seen = traffic(page);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    // Past the per-connection burst, the server refuses frames with rate_limited.
    await page.evaluate(() => {
      for (let i = 0; i < 30; i++) window.casebot.send(`hola ${i}`);
    });
    await w.system.first().waitFor();
    await page.waitForFunction(() =>
      document.getElementById("casebot-widget").shadowRoot.querySelectorAll(".msg.user .state").length > 0);
    const refused = seen.received.filter((f) => f.type === "error");
    assert.ok(refused.length > 0 && refused.every((f) => f.code === "rate_limited"), JSON.stringify(refused));
    for (const text of await w.system.locator(".bubble").allInnerTexts()) {
      assert.equal(text.trim(), "Está enviando mensajes demasiado rápido. Espere un momento e inténtelo de nuevo.");
    }
    assert.equal(await w.system.first().getAttribute("lang"), "es");
    assert.match(await w.user.filter({ hasText: "No enviado" }).first().innerText(), /No enviado/);
    await page.context().close();
  });
});
