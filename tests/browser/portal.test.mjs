// The requester portal in a real headless Chromium (Debian's), driven by Playwright: the way a
// person meets it, in Spanish and English, on a desktop and on a phone. Screenshots of the main
// pages go to $TIKAL_SCREENSHOTS (default target/screenshots/; scripts/test passes
// docs/screenshots when asked to refresh the README's). The server runs with the demo's clock
// stopped (`--demo-now`), so the dates on the pages, and so the screenshots, are the same on
// every run. Every page also passes the accessibility audit at a phone's and a desktop's width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDesk, shot, audit, VIEWPORTS, PASSWORD } from "./lib.mjs";

const JUAN = "juan.perez@institucion.gob.example";

let desk, base, dir, browser, api, tikal;

function outbox(kind) {
  const out = tikal("outbox", "list", "--kind", kind);
  return out ? out.split("\n").map((l) => JSON.parse(l)) : [];
}

// A queued link mail holds a nonce; the link's token is HMAC-SHA256(link.key, nonce), as the
// mail worker makes it (docs/adr/006).
function linkOf(payload) {
  const key = Buffer.from(readFileSync(join(dir, "link.key"), "utf8").trim(), "hex");
  return payload.link_base + createHmac("sha256", key).update(payload.nonce).digest("hex");
}

before(async () => {
  desk = await startDesk();
  ({ base, dir, browser, api, tikal } = desk);
});

after(async () => {
  await desk?.stop();
});

test("a requester registers, opens a ticket with a custom field and an attachment, replies and confirms (Spanish, desktop)", async () => {
  const context = await browser.newContext({ locale: "es-EC", viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(base + "/");
  assert.equal(await page.getAttribute("html", "lang"), "es");
  await shot(page, "portal-home-es-desktop");

  await page.getByRole("link", { name: "Registrarse" }).first().click();
  await page.getByLabel("Nombre completo").fill("Carmen Vargas");
  await page.getByLabel("Correo electrónico").fill("cvargas.rrhh@institucion.gob.example");
  await page.getByLabel("Contraseña").fill("una clave muy segura");
  await page.getByRole("button", { name: "Crear cuenta" }).click();
  await page.waitForURL(/\/tickets$/);

  await page.goto(base + "/tickets/new");
  // The chooser submits itself on change (with JavaScript); the form then shows the topic's fields.
  await Promise.all([page.waitForURL(/topic=/), page.getByLabel("Tema de ayuda").selectOption({ label: "Laboratorio" })]);
  await page.getByLabel("Resumen").fill("Reserva del laboratorio 2");
  await page.getByLabel("Descripción detallada").fill("Para la capacitación del personal de Secretaría.");
  await page.getByLabel("Fecha de la reserva *").fill("2026-12-15");
  await page.setInputFiles("#attachments", { name: "oficio.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4 oficio firmado") });
  await shot(page, "new-ticket-es-desktop");
  await page.getByRole("button", { name: "Crear ticket" }).click();
  await page.waitForSelector("#notice");
  const notice = await page.textContent("#notice");
  const number = notice.match(/número (\d+)/)[1];
  assert.match(page.url(), new RegExp(`/tickets/${number}`));
  assert.ok(await page.getByRole("link", { name: "oficio.pdf" }).isVisible());

  await page.goto(base + "/tickets");
  assert.ok(await page.getByRole("link", { name: number }).isVisible());
  assert.match(await page.textContent(".tabs"), /Abiertos \(1\)/);
  await shot(page, "tickets-es-desktop");

  await page.getByRole("link", { name: number }).click();
  await page.getByLabel("Su mensaje").fill("Serán 20 personas.");
  await page.getByRole("button", { name: "Enviar" }).click();
  await page.waitForSelector("text=Serán 20 personas.");

  // The desk resolves it; the requester confirms the solution.
  await api("POST", `/tickets/${number}/messages`, { kind: "reply", body: "Laboratorio 2 reservado para el 15 de diciembre." });
  await api("PATCH", `/tickets/${number}`, { status: "resolved" });
  await page.reload();
  await shot(page, "ticket-resolved-es-desktop");
  await page.getByRole("button", { name: "Sí, está resuelto" }).click();
  await page.waitForLoadState("load");
  // The demo's specialist units have their resolutions reviewed: the supervisor's approval closes it.
  await api("POST", `/tickets/${number}/resolution`, { action: "approve" });
  await page.reload();
  await page.waitForSelector("#ticket-status:has-text('Cerrado')");
  const t = await api("GET", `/tickets/${number}`);
  assert.equal(t.status, "closed");
  await context.close();
});

test("a requester signs in on a phone and checks a ticket by link (English)", async () => {
  const phone = { locale: "en-US", viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true };
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  await page.goto(base + "/login");
  assert.equal(await page.getAttribute("html", "lang"), "en", "before signing in, the browser's language");
  await page.getByLabel(/E-mail|Correo/).fill(JUAN);
  await page.getByLabel(/Password|Contraseña/).fill(PASSWORD);
  await page.getByRole("button", { name: /Sign in|Ingresar/ }).click();
  await page.waitForURL(/\/tickets$/);
  // Juan chose Spanish in his profile; switch to English for this visit.
  await page.selectOption("#lang-select", "en");
  await page.getByRole("button", { name: "Continuar" }).click();
  await page.waitForSelector("h1:has-text('My tickets')");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `no horizontal scrolling on a phone (${width}px)`);
  await shot(page, "tickets-en-phone");
  const first = page.locator("table.list a").first();
  const number = (await first.textContent()).trim();
  await first.click();
  await page.waitForSelector("h1");
  await shot(page, "ticket-en-phone");
  await context.close();

  // Without an account: ask for a link, open it once.
  const anon = await browser.newContext(phone);
  const p2 = await anon.newPage();
  await p2.goto(base + "/status");
  assert.equal(await p2.getAttribute("html", "lang"), "en");
  await p2.getByLabel("E-mail").fill(JUAN);
  await p2.getByLabel("Ticket number").fill(number);
  await p2.getByRole("button", { name: "Send" }).click();
  await p2.waitForSelector("#status-message");
  await shot(p2, "status-en-phone");
  const links = outbox("mail.ticket_link").filter((j) => j.payload.number === number);
  assert.equal(links.length, 1, "one link queued for the address");
  const link = linkOf(links[0].payload);
  // Opening the link uses nothing (mail scanners open links too); its button does.
  await p2.goto(link);
  await shot(p2, "status-link-en-phone");
  await Promise.all([p2.waitForURL(new RegExp(`/tickets/${number}$`)), p2.getByRole("button", { name: "Open the ticket" }).click()]);
  await p2.waitForSelector(`h1:has-text('${number}')`);
  const other = await browser.newContext(phone);
  const p3 = await other.newPage();
  await p3.goto(link);
  assert.match(await p3.textContent("#status-message"), /not valid/);
  await anon.close();
  await other.close();
});

test("bad input is explained in the user's language and keeps what was typed (English)", async () => {
  const context = await browser.newContext({ locale: "en-GB", viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  await page.goto(base + "/register");
  await page.getByLabel("Full name").fill("María José");
  await page.getByLabel("E-mail").fill("not-an-address");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForSelector("#email-error");
  assert.equal(await page.textContent("#email-error"), "It is not a valid e-mail address.");
  assert.equal(await page.inputValue("#name"), "María José");
  assert.equal(await page.getAttribute("#email", "aria-invalid"), "true");
  await shot(page, "register-errors-en-desktop");
  await context.close();
});

test("every portal page passes the accessibility audit on a phone and a desktop", async () => {
  for (const v of VIEWPORTS) {
    const anon = await browser.newContext({ locale: "es-EC", viewport: v.viewport, isMobile: v.isMobile, hasTouch: v.hasTouch, bypassCSP: true });
    const page = await anon.newPage();
    for (const path of ["/", "/login", "/register", "/password/forgot", "/status"]) {
      await page.goto(base + path);
      await audit(page, `${path} (${v.name})`);
    }
    await page.goto(base + "/login");
    await page.getByLabel("Correo electrónico").fill(JUAN);
    await page.getByLabel("Contraseña").fill(PASSWORD);
    await page.getByRole("button", { name: "Ingresar" }).click();
    await page.waitForURL(/\/tickets$/);
    await audit(page, `/tickets (${v.name})`);
    const number = (await page.locator("table.list a").first().textContent()).trim();
    for (const path of [`/tickets/${number}`, "/tickets/new", "/profile"]) {
      await page.goto(base + path);
      await audit(page, `${path} (${v.name})`);
    }
    await anon.close();
  }
});
