// End-to-end test of the live agent hand-off: a person in the widget and an agent on the
// agent page, each in its own headless Chromium context, against a real casebot server
// started with CASEBOT_AGENT_TOKEN. Run by `cargo test --test browser` (tests/browser.rs).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launch, openDemo, startServer, widget } from "./harness.mjs";

const AGENT_TOKEN = "agent-browser-token";
let browser;
let server;

before(async () => {
  browser = await launch();
  process.env.CASEBOT_AGENT_TOKEN = AGENT_TOKEN;
  server = await startServer({});
});

after(async () => {
  await browser?.close();
  await server?.remove();
});

async function openDesk(token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !/WebSocket/.test(m.text())) page.problems.push(m.text());
  });
  await page.goto(server.url + "/agent");
  await page.fill("#name", "Ana");
  await page.fill("#token", token);
  await page.click("#signin button[type=submit]");
  return page;
}

describe("the agent page", () => {
  test("refuses a wrong token", async () => {
    const desk = await openDesk("wrong-token");
    await desk.locator("#status", { hasText: "refused" }).waitFor();
    assert.equal(await desk.locator("#desk").isHidden(), true);
    await desk.context().close();
  });

  test("an agent takes a chat, talks with the person and hands it back", async () => {
    const desk = await openDesk(AGENT_TOKEN);
    await desk.locator("#status", { hasText: "Signed in as Ana" }).waitFor();
    await desk.locator("#empty").waitFor();

    const page = await openDemo(browser, server.url);
    const w = widget(page);
    await w.launcher.click();
    await w.bot.first().waitFor();
    await w.ask("what is a receipt number");
    await w.ask("What is an online account number?");
    const queued = await w.ask("talk to a person");
    assert.doesNotMatch(queued, /800-375-5283/, "waiting for a person, not the numbers");
    await w.system.filter({ hasText: "number 1 in line" }).waitFor();

    await desk.locator("#queue li").first().waitFor();
    assert.match(await desk.locator("#queue li").first().innerText(), /online account number/);
    await desk.locator("#queue li button").first().click();
    await desk.locator("#transcript .line.person", { hasText: "online account number" }).waitFor();
    await desk.locator("#transcript .line.assistant").first().waitFor();
    const answer = await desk.locator("#transcript .line.assistant").first().innerText();
    assert.match(answer, /13 characters/, "the receipt number answer is in the transcript");
    assert.doesNotMatch(answer, /\*\*/, "the desk shows answers without Markdown marks");
    await w.system.filter({ hasText: "Ana joined the chat." }).waitFor();

    await desk.locator("#text").pressSequentially("Hello, I'm Ana.");
    await page.locator("#casebot-widget .typing.agent").waitFor({ state: "visible" });
    await desk.click("#compose button[type=submit]");
    const said = page.locator("#casebot-widget .msg.agent").first();
    await said.waitFor();
    assert.match(await said.innerText(), /Ana[\s\S]*Hello, I'm Ana\./);
    const heard = await said.ariaSnapshot();
    assert.equal(heard.match(/Ana/g).length, 2, `a screen reader hears the name once before the text (which says it too): ${heard}`);

    const answers = await w.bot.count();
    await w.input.fill("I moved last month");
    await w.input.press("Enter");
    await desk.locator("#transcript .line.person", { hasText: "I moved last month" }).waitFor();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await w.bot.count(), answers, "the assistant stays quiet");

    await desk.click("#handback");
    await w.system.filter({ hasText: "Ana left; you're back with the assistant." }).waitFor();
    const back = await w.ask("What is an online account number?");
    assert.match(back, /account number/i);

    // Asked in Spanish under the English labels: the line about the place in line follows
    // the chat's language.
    await w.ask("quiero hablar con una persona de verdad");
    await w.system.filter({ hasText: "Esperando a una persona" }).waitFor();
    assert.deepEqual(page.problems, []);
    assert.deepEqual(desk.problems, []);
    await page.context().close();
    await desk.context().close();
  });
});
