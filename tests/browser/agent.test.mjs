// The agent workspace in a real headless Chromium, played as the seeds' procedures go: an
// operator registers a phone call and transfers ("deriva") it to a specialist unit, which
// estimates, logs its time and records the solution; a supervisor returns it once, then
// approves it (seeds 002 and 003, in Spanish); a WhatsApp report escalated from level 1 to
// level 2 by priority and reviewed the same way (seed 004, in English). Then triage and a reply
// in English on a phone, a duplicate merged, and the
// accessibility audit of every agent page at a phone's and a desktop's width. Screenshots go
// where the portal's do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDesk, shot, audit, VIEWPORTS, PASSWORD } from "./lib.mjs";

let desk, base, browser, api;

before(async () => {
  desk = await startDesk();
  ({ base, browser, api } = desk);
});

after(async () => {
  await desk?.stop();
});

/// A browser context signed in to the workspace as `email`.
async function agent(email, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(base + "/agent/login");
  await page.fill("#email", email);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(/\/agent$/), page.click("form[action='/agent/login'] button")]);
  return { context, page };
}

/// Sends a desk form and waits for the desk to come back with its notice.
async function send(page, form) {
  await Promise.all([page.waitForLoadState("load"), page.click(`#${form} button.primary, #${form} button:not([name])`)]);
}

const ES = { locale: "es-EC", viewport: { width: 1280, height: 800 } };

test("a phone call registered by the operator, solved by a specialist unit, reviewed by the supervisor (Spanish)", async () => {
  // The operator (level 1) registers Juan's call.
  const op = await agent("operador@tikal.example", ES);
  assert.equal(await op.page.getAttribute("html", "lang"), "es");
  await shot(op.page, "agent-dashboard-es-desktop");
  await op.page.goto(base + "/agent/tickets/new");
  await op.page.fill("#who", "Juan Pérez");
  await Promise.all([op.page.waitForURL(/who=/), op.page.press("#who", "Enter")]);
  await Promise.all([op.page.waitForURL(/requester=/), op.page.locator("#found a").first().click()]);
  assert.ok(await op.page.locator("#earlier li").count() > 0, "his earlier tickets are shown");
  await op.page.fill("#subject", "Sin conexión a la red en el piso 3");
  await op.page.fill("#body", "Llamó Juan: ninguna computadora del piso 3 tiene red desde las 9:00.");
  await op.page.selectOption("#channel", "phone");
  await op.page.selectOption("#department", { label: "Mesa de Ayuda (Nivel 1)" });
  await op.page.selectOption("#impact", "3");
  await op.page.selectOption("#urgency", "3");
  await shot(op.page, "agent-new-es-desktop");
  await Promise.all([op.page.waitForURL(/\/agent\/tickets\/\d+/), op.page.click("form[action='/agent/tickets/new'] button.primary")]);
  const number = op.page.url().match(/\/agent\/tickets\/(\d+)/)[1];
  let t = await api("GET", `/tickets/${number}`);
  assert.equal(t.channel, "phone");
  assert.equal(t.priority, 5);

  // Checked, noted, and transferred to the infrastructure unit with the reason.
  await op.page.fill("#note-body", "Revisado: no hay un caso anterior igual. Es un problema del switch del piso 3.");
  await send(op.page, "note-form");
  assert.ok(await op.page.locator(".note, .internal").first().isVisible(), "the internal note is marked");
  await op.page.selectOption("#transfer-department", { label: "Infraestructura Tecnológica" });
  await op.page.fill("#transfer-reason", "Falla de red física: corresponde a Infraestructura.");
  await send(op.page, "transfer-form");
  t = await api("GET", `/tickets/${number}`);
  assert.equal(t.department.name, "Infraestructura Tecnológica");
  await op.context.close();

  // The infrastructure technician takes it, estimates, logs time and records the solution.
  const tech = await agent("tecnico.infra@tikal.example", ES);
  await tech.page.goto(base + "/agent/tickets?view=unassigned");
  await shot(tech.page, "agent-queue-es-desktop");
  await tech.page.click(`a[href='/agent/tickets/${number}']`);
  await tech.page.selectOption("#assign-owner", { label: "Carlos Quispe (Infraestructura)" });
  await send(tech.page, "assign-form");
  await tech.page.fill("#props-estimate", "120");
  await send(tech.page, "props-form");
  await tech.page.fill("#time-minutes", "90");
  await tech.page.fill("#time-note", "Cambio del puerto del switch en el rack del piso 3.");
  await send(tech.page, "time-form");
  await tech.page.fill("#resolve-solution", "Se reemplazó el puerto dañado del switch; el piso 3 ya tiene red.");
  await send(tech.page, "resolve-form");
  await shot(tech.page, "agent-desk-es-desktop");
  t = await api("GET", `/tickets/${number}`);
  assert.equal(t.state, "resolved");
  assert.equal(t.time_spent_minutes, 90);
  assert.equal(t.time_estimate_minutes, 120);

  // The supervisor finds it awaiting review and returns it once, with the reason.
  const sup = await agent("supervisora@tikal.example", ES);
  await sup.page.goto(base + "/agent/tickets?view=review");
  await sup.page.click(`a[href='/agent/tickets/${number}']`);
  await sup.page.fill("#review-reason", "Falta indicar si se probó la conexión en todas las oficinas.");
  await Promise.all([sup.page.waitForLoadState("load"), sup.page.click("#return")]);
  t = await api("GET", `/tickets/${number}`);
  assert.notEqual(t.state, "resolved", "returned to the unit");

  // The technician completes the solution; the supervisor approves and the ticket closes.
  await tech.page.goto(base + `/agent/tickets/${number}`);
  await tech.page.fill("#resolve-solution", "Puerto reemplazado; se probó la red en las 12 oficinas del piso 3.");
  await send(tech.page, "resolve-form");
  await sup.page.goto(base + `/agent/tickets/${number}`);
  await Promise.all([sup.page.waitForLoadState("load"), sup.page.click("#approve")]);
  t = await api("GET", `/tickets/${number}`);
  assert.equal(t.state, "closed");
  await tech.context.close();
  await sup.context.close();
});

test("a WhatsApp report escalated from level 1 to level 2, returned once and approved (English, seed 004)", async () => {
  const EN = { locale: "en-GB", viewport: { width: 1280, height: 800 } };
  const op = await agent("operador@tikal.example", EN);
  assert.equal(await op.page.getAttribute("html", "lang"), "en");
  await op.page.goto(base + "/agent/tickets/new");
  await op.page.fill("#caller-name", "Sofía Herrera");
  await op.page.fill("#caller-email", "sofia.herrera@institucion.gob.example");
  await op.page.fill("#caller-phone", "+593 99 123 4567");
  await op.page.fill("#subject", "The accounting system rejects every login");
  await op.page.fill("#body", "Sent by WhatsApp with a screenshot: \"usuario no autorizado\" since this morning.");
  await op.page.selectOption("#channel", "whatsapp");
  await op.page.selectOption("#department", { label: "Mesa de Ayuda (Nivel 1)" });
  await op.page.selectOption("#impact", "2");
  await op.page.selectOption("#urgency", "2");
  await Promise.all([op.page.waitForURL(/\/agent\/tickets\/\d+/), op.page.click("form[action='/agent/tickets/new'] button.primary")]);
  const number = op.page.url().match(/\/agent\/tickets\/(\d+)/)[1];
  let t = await api("GET", `/tickets/${number}`);
  assert.equal(t.channel, "whatsapp");
  assert.equal(t.priority, 3, "priority 3 belongs to level 2 (seed 004)");
  await op.page.fill("#escalate-reason", "Priority 3: level 2 handles the accounting system.");
  await send(op.page, "escalate-form");
  t = await api("GET", `/tickets/${number}`);
  assert.equal(t.department.name, "Consultoría TI (Nivel 2)");
  await op.context.close();

  const l2 = await agent("consultor@tikal.example", EN);
  await l2.page.goto(base + `/agent/tickets/${number}`);
  assert.ok((await l2.page.textContent("main")).includes("level 2 handles the accounting system"), "the escalation's reason is in the history");
  await l2.page.fill("#resolve-solution", "Her account was locked after a password change; unlocked it.");
  await send(l2.page, "resolve-form");
  const sup = await agent("supervisora@tikal.example", EN);
  await sup.page.goto(base + `/agent/tickets/${number}`);
  await sup.page.fill("#review-reason", "Please confirm with her that she can sign in.");
  await Promise.all([sup.page.waitForLoadState("load"), sup.page.click("#return")]);
  await l2.page.goto(base + `/agent/tickets/${number}`);
  await l2.page.fill("#resolve-solution", "Unlocked; she signed in while I was on the phone with her.");
  await send(l2.page, "resolve-form");
  await sup.page.goto(base + `/agent/tickets/${number}`);
  await Promise.all([sup.page.waitForLoadState("load"), sup.page.click("#approve")]);
  t = await api("GET", `/tickets/${number}`);
  assert.equal(t.state, "closed");
  await l2.context.close();
  await sup.context.close();
});

test("triage and a reply from a phone (English)", async () => {
  const phone = { locale: "en-US", viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
  const op = await agent("operador@tikal.example", phone);
  assert.equal(await op.page.getAttribute("html", "lang"), "en");
  await op.page.goto(base + "/agent/tickets?view=unassigned&sort=created_asc");
  const width = await op.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no horizontal scrolling on a phone (${width}px)`);
  await shot(op.page, "agent-queue-en-phone");
  const link = op.page.locator("#queue-rows a").first();
  const number = (await link.textContent()).trim();
  await link.click();
  await op.page.selectOption("#props-priority", "4");
  await send(op.page, "props-form");
  await op.page.fill("#reply-body", "We are on it: a technician will call you within the hour.");
  await send(op.page, "reply-form");
  await shot(op.page, "agent-desk-en-phone");
  const t = await api("GET", `/tickets/${number}`);
  assert.equal(t.priority, 4);
  const thread = await api("GET", `/tickets/${number}/thread`);
  assert.ok(JSON.stringify(thread).includes("technician will call you"), "the reply is on the thread");
  await op.context.close();
});

test("a duplicate call is merged into the first ticket (Spanish)", async () => {
  const first = await api("POST", "/tickets", { subject: "Teléfono IP sin tono en la oficina 12", message: "No hay tono desde las 8:00.", requester: { email: "rosa.chavez@institucion.gob.example" }, channel: "phone" });
  const again = await api("POST", "/tickets", { subject: "Sin tono en el teléfono (oficina 12)", message: "Vuelve a llamar: sigue sin tono.", requester: { email: "rosa.chavez@institucion.gob.example" }, channel: "phone" });
  const op = await agent("supervisora@tikal.example", ES);
  await op.page.goto(base + `/agent/tickets/${again.number}`);
  await op.page.fill("#merge-into", first.number);
  await op.page.check("#merge-confirm");
  await Promise.all([op.page.waitForURL(new RegExp(`/agent/tickets/${first.number}`)), op.page.click("#merge-form button")]);
  assert.ok(await op.page.locator("#merged-from").isVisible(), "the survivor lists the merged ticket");
  assert.ok((await op.page.textContent("main")).includes("Vuelve a llamar: sigue sin tono."), "with its thread");
  await op.page.goto(base + `/agent/tickets/${again.number}`);
  assert.ok(await op.page.locator("#merged-into").isVisible(), "the merged one points to the survivor");
  const t = await api("GET", `/tickets/${again.number}`);
  assert.equal(t.state, "closed");
  await op.context.close();
});

test("every agent page passes the accessibility audit on a phone and a desktop", async () => {
  const [{ number }] = (await api("GET", "/tickets?limit=1")).tickets;
  for (const v of VIEWPORTS) {
    const options = { locale: "es-EC", viewport: v.viewport, isMobile: v.isMobile, hasTouch: v.hasTouch, bypassCSP: true };
    const anon = await browser.newContext(options);
    const login = await anon.newPage();
    await login.goto(base + "/agent/login");
    await audit(login, `/agent/login (${v.name})`);
    await anon.close();
    const sup = await agent("supervisora@tikal.example", options);
    for (const path of [
      "/agent",
      "/agent/tickets",
      "/agent/tickets?view=review",
      "/agent/tickets?priority=9",
      "/agent/tickets/new?who=juan",
      "/agent/tickets/new?requester=1&subject=impresora",
      `/agent/tickets/${number}`,
      `/agent/tickets/${number}/print`,
    ]) {
      await sup.page.goto(base + path);
      await audit(sup.page, `${path} (${v.name})`);
    }
    await sup.context.close();
  }
});
