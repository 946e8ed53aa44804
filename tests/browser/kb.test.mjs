// The knowledge base in a real headless Chromium: a requester choosing a help topic and typing a
// new ticket's summary is offered an article ("¿Ya probó esto?"), reads it and leaves without opening the ticket (seed
// 003 checks the knowledge base before working a ticket); an agent turns a resolved ticket's
// solution into an article in two clicks. The knowledge-base pages pass the accessibility
// audit at a phone's and a desktop's width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDesk, shot, audit, VIEWPORTS, PASSWORD } from "./lib.mjs";

const JUAN = "juan.perez@institucion.gob.example";
const ES = { locale: "es-EC", viewport: { width: 1280, height: 800 } };

let desk, base, browser, api;

before(async () => {
  desk = await startDesk();
  ({ base, browser, api } = desk);
});

after(async () => {
  await desk?.stop();
});

test("a requester finds the article while typing the summary and does not open the ticket", async () => {
  const context = await browser.newContext(ES);
  const page = await context.newPage();
  await page.goto(base + "/login");
  await page.getByLabel("Correo electrónico").fill(JUAN);
  await page.getByLabel("Contraseña").fill(PASSWORD);
  await Promise.all([page.waitForLoadState("load"), page.click("form[action='/login'] button")]);
  await page.goto(base + "/tickets/new");
  await Promise.all([page.waitForURL(/topic=/), page.getByLabel("Tema de ayuda").selectOption({ label: "Reinicio de contraseña" })]);
  // The chosen topic's articles are offered before a word is typed.
  await page.locator("#kb-suggest-list").getByRole("link", { name: "¿Cómo restablezco mi contraseña?" }).waitFor();
  await page.getByLabel("Resumen").pressSequentially("olvidé mi contrase", { delay: 30 });
  const heading = page.getByRole("heading", { name: "¿Ya probó esto?" });
  await heading.waitFor();
  await shot(page, "kb-suggestions-es-desktop");
  const [article] = await Promise.all([context.waitForEvent("page"), page.getByRole("link", { name: "¿Cómo restablezco mi contraseña?" }).click()]);
  await article.waitForLoadState("load");
  assert.match(await article.textContent("h1"), /restablezco mi contraseña/);
  await audit(article, "/kb/<article>");
  const counts = await api("GET", "/kb/deflections");
  assert.equal(counts.pending, 1, "one suggestion read, no ticket yet");
  await context.close();
});

test("an agent turns a resolved ticket's solution into an article in two clicks", async () => {
  const t = await api("POST", "/tickets", { subject: "La cola de impresión se detiene", message: "No imprime nada", requester: { email: JUAN } });
  await api("POST", `/tickets/${t.number}/resolve`, { solution: "Se reinició el servicio de cola de impresión en el equipo." });
  const context = await browser.newContext(ES);
  const page = await context.newPage();
  await page.goto(base + "/agent/login");
  await page.fill("#email", "supervisora@tikal.example");
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/agent$/), page.click("form[action='/agent/login'] button")]);
  await page.goto(`${base}/agent/tickets/${t.number}`);
  await page.getByRole("link", { name: "Crear artículo desde la solución" }).click();
  await page.waitForURL(/\/agent\/kb\/new/);
  assert.equal(await page.inputValue("#kb-title"), "La cola de impresión se detiene");
  await Promise.all([page.waitForURL(/\/agent\/kb\/\d+/), page.getByRole("button", { name: "Guardar", exact: true }).click()]);
  assert.match(await page.textContent("#kb-solved"), new RegExp(t.number));
  await context.close();
});

test("the knowledge-base pages pass the accessibility audit", async () => {
  for (const v of VIEWPORTS) {
    const context = await browser.newContext({ ...v, locale: "es-EC" });
    const page = await context.newPage();
    await page.goto(base + "/kb?q=impresora");
    await audit(page, `/kb?q= (${v.name})`);
    await page.goto(base + "/agent/login");
    await page.fill("#email", "supervisora@tikal.example");
    await page.fill("#password", PASSWORD);
    await Promise.all([page.waitForURL(/\/agent$/), page.click("form[action='/agent/login'] button")]);
    for (const path of ["/agent/kb", "/agent/kb/new", "/agent/kb/1", "/agent/kb/categories", "/kb"]) {
      await page.goto(base + path);
      await audit(page, `${path} (${v.name})`);
    }
    await context.close();
  }
});
