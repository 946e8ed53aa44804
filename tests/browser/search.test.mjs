// Search in a real headless Chromium: an agent types words without accents in the search box
// of any workspace page and lands on the results, the words found marked, tickets whose
// subject matches first; a requester searches their own tickets on the portal. The search
// pages pass the accessibility audit at a phone's and a desktop's width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDesk, shot, audit, VIEWPORTS, PASSWORD } from "./lib.mjs";

const JUAN = "juan.perez@institucion.gob.example";
const ES = { locale: "es-EC", viewport: { width: 1280, height: 800 } };

let desk, base, browser;

before(async () => {
  desk = await startDesk();
  ({ base, browser } = desk);
});

after(async () => {
  await desk?.stop();
});

async function agentSignIn(page) {
  await page.goto(base + "/agent/login");
  await page.fill("#email", "supervisora@tikal.example");
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/agent$/), page.click("form[action='/agent/login'] button")]);
}

test("an agent searches from the header box, without accents, and opens a ticket found", async () => {
  const context = await browser.newContext(ES);
  const page = await context.newPage();
  await agentSignIn(page);
  await page.getByRole("searchbox", { name: "Buscar tickets, personas y artículos" }).fill("impresoras toner");
  await Promise.all([page.waitForURL(/\/agent\/search\?q=/), page.keyboard.press("Enter")]);
  const hits = page.locator("#search-ticket-hits > li");
  assert.ok((await hits.count()) >= 1, "a ticket found");
  const first = await hits.first().textContent();
  assert.match(first, /Impresora sin tóner/, "the subject match first");
  assert.match(await hits.first().locator("mark").first().textContent(), /Impresora/i, "the word marked");
  await shot(page, "agent-search-es-desktop");
  await Promise.all([page.waitForURL(/\/agent\/tickets\/[^/]+$/), hits.first().getByRole("link").click()]);
  assert.match(await page.textContent("h1"), /Impresora sin tóner/);
  await context.close();
});

test("a requester searches their tickets on the portal", async () => {
  const context = await browser.newContext(ES);
  const page = await context.newPage();
  await page.goto(base + "/login");
  await page.getByLabel("Correo electrónico").fill(JUAN);
  await page.getByLabel("Contraseña").fill(PASSWORD);
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login'] button")]);
  await page.goto(base + "/tickets");
  const subject = (await page.locator("table.list tbody tr td:nth-child(4)").first().textContent()).trim();
  const number = (await page.locator("table.list tbody tr td:first-child").first().textContent()).trim();
  // The subject's longest word, typed in capitals and without accents.
  const word = subject.split(/[^\p{L}\p{N}]+/u).sort((a, b) => b.length - a.length)[0];
  const typed = word.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toUpperCase();
  await page.getByRole("searchbox").fill(typed);
  await Promise.all([page.waitForURL(/q=/), page.getByRole("button", { name: "Buscar" }).click()]);
  const rows = page.locator("table.list tbody tr");
  assert.ok((await rows.allTextContents()).some((t) => t.includes(number)), `${number} found by ${typed}`);
  assert.equal((await page.locator("table.list tbody mark").first().textContent()).toLowerCase(), word.toLowerCase());
  await audit(page, "/tickets?q= (desktop)");
  await page.goto(base + "/tickets?q=xyzzy");
  assert.equal(await rows.count(), 0, "nothing for a word no ticket holds");
  await context.close();
});

test("the search pages pass the accessibility audit", async () => {
  for (const v of VIEWPORTS) {
    const context = await browser.newContext({ ...v, locale: "es-EC" });
    const page = await context.newPage();
    await agentSignIn(page);
    for (const path of ["/agent/search", "/agent/search?q=impresora", "/agent/search?q=juan", "/agent/search?q=zzzz"]) {
      await page.goto(base + path);
      await audit(page, `${path} (${v.name})`);
    }
    await context.close();
  }
});
