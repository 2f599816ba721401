// End-to-end tests of the chat widget: real headless Chromium, real casebot server, real
// sled database. Run through .ci/browser.sh, or `npm test` after `cargo build`.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { join } from "node:path";
import { REPO, focused, launch, openDemo, putCase, sharedServer, startServer, widget } from "./harness.mjs";

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
    await w.notes.first().waitFor();
    const note = await w.notes.first().innerText();
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
      await page.screenshot({ path: join(REPO, `docs/img/widget-${name}.png`) });
      await page.context().close();
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
