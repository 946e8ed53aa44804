// Administration in a real headless Chromium, from an empty install (no demo data): the
// administrator made with `tikal admin create` signs in and sets up seed 003's desk — the
// units UIT, UPAT, ACGII and ADT, the review of solutions in the specialist units, a team —
// through the pages alone; a wrong value is refused in Spanish and changes nothing; the audit
// log shows every change. Then every administration page, found from the menu and the lists,
// passes the accessibility audit on a phone and a desktop. Screenshots go where the others do.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startDesk, shot, audit, VIEWPORTS } from "./lib.mjs";

const ADMIN = "director.ti@gob.example";
const ADMIN_PASSWORD = "clave del director 2026";

let desk, base, browser, api;

before(async () => {
  desk = await startDesk("", { demo: false });
  ({ base, browser, api } = desk);
  desk.tikalWith(ADMIN_PASSWORD + "\n", "admin", "create", "--email", ADMIN, "--name", "Director de TI", "--password-stdin");
});

after(async () => {
  await desk?.stop();
});

/// A browser context signed in as the administrator.
async function signIn(options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(base + "/admin");
  assert.match(page.url(), /\/agent\/login\?next=\/admin$/, "administration asks to sign in first");
  await page.fill("#email", ADMIN);
  await page.fill("#password", ADMIN_PASSWORD);
  await Promise.all([page.waitForURL(/\/admin$/), page.click("form[action='/agent/login'] button")]);
  return { context, page };
}

/// Fills the department form and saves it; returns to the list.
async function department(page, { name, parent, review, nextLevel, email }) {
  await page.goto(base + "/admin/departments/new");
  await page.fill("#name", name);
  if (parent) await page.selectOption("#parent_id", { label: parent });
  if (nextLevel) await page.selectOption("#next_level_id", { label: nextLevel });
  if (review) await page.selectOption("#review", review);
  if (email) await page.fill("#email", email);
  await Promise.all([page.waitForURL(/\/admin\/departments\?saved=1$/), page.click("#department-form button.primary")]);
  assert.ok(await page.locator("#departments a", { hasText: name }).count(), `${name} is listed`);
}

const ES = { locale: "es-EC", viewport: { width: 1280, height: 800 } };

test("an administrator sets up seed 003's desk from an empty install (Spanish)", async () => {
  const { context, page } = await signIn(ES);
  assert.equal(await page.getAttribute("html", "lang"), "es");
  await page.click("a[href='/admin/departments']");
  // A fresh install takes tickets at once with a default department: it becomes UIT.
  await page.click("#departments a");
  await page.fill("#name", "UIT");
  await page.fill("#email", "uit@gob.example");
  await Promise.all([page.waitForURL(/\/admin\/departments\?saved=1$/), page.click("#department-form button.primary")]);
  await department(page, { name: "ACGII", parent: "UIT", review: "yes" });
  await department(page, { name: "UPAT", parent: "UIT", review: "yes", nextLevel: "ACGII", email: "upat@gob.example" });
  await department(page, { name: "ADT", parent: "UIT", review: "yes" });
  await shot(page, "admin-departments-es-desktop");

  // A second "upat" (names are unique whatever the case) is refused in Spanish, the form
  // keeps what was typed, nothing is added.
  await page.goto(base + "/admin/departments/new");
  await page.fill("#name", "upat");
  await page.click("#department-form button.primary");
  await page.waitForSelector("#form-error");
  assert.match(await page.textContent("#form-error"), /^Nombre: /);
  assert.equal(await page.getAttribute("#name", "aria-invalid"), "true");
  assert.equal(await page.inputValue("#name"), "upat");
  await shot(page, "admin-department-error-es-desktop");
  const all = await api("GET", "/departments");
  assert.deepEqual(all.map((d) => d.name).sort(), ["ACGII", "ADT", "UIT", "UPAT"]);
  const upat = all.find((d) => d.name === "UPAT");
  const rules = await api("GET", `/departments/${upat.id}/rules`);
  assert.equal(rules.review_required, true, "UPAT's solutions wait for a supervisor");

  // The units' help topics: what requesters choose from, each routed to its unit.
  for (const [name, unit, parent] of [
    ["Problema de computadoras", "UIT"],
    ["Problemas en el teclado", "UIT", "Problema de computadoras"],
    ["Conectividad y redes", "UPAT"],
    ["Incidentes de seguridad", "ACGII"],
    ["Diseño de sistemas", "ADT"],
  ]) {
    await page.goto(base + "/admin/topics/new");
    await page.fill("#name", name);
    if (parent) await page.selectOption("#parent_id", { label: parent });
    await page.selectOption("#department_id", { label: unit });
    await Promise.all([page.waitForURL(/\/admin\/topics\?saved=1/), page.click("#topic-form button.primary")]);
  }
  assert.match(await page.textContent("#topics"), /Problemas en el teclado/);
  await shot(page, "admin-topics-es-desktop");
  const topics = await api("GET", "/help-topics");
  const keyboard = topics.find((t) => t.name === "Problemas en el teclado");
  assert.equal(keyboard.path, "Problema de computadoras / Problemas en el teclado");
  assert.equal(keyboard.department_id, all.find((d) => d.name === "UIT").id);

  // A team of UPAT, with the administrator in it.
  await page.goto(base + "/admin/teams/new");
  await page.fill("#name", "Soporte en sitio");
  await page.selectOption("#department_id", { label: "UPAT" });
  await page.check("input[name='members']");
  await Promise.all([page.waitForURL(/\/admin\/teams\?saved=1$/), page.click("#team-form button.primary")]);
  assert.match(await page.textContent("#teams"), /Soporte en sitio/);

  // The audit log: who did what, with before and after.
  await page.goto(base + "/admin/audit?entity=department");
  const log = await page.textContent("#audit");
  assert.match(log, /Director de TI/);
  assert.match(log, /UPAT/);
  await shot(page, "admin-audit-es-desktop");
  // The other main pages, as they look on a fresh desk.
  for (const [path, name] of [
    ["/admin", "admin-home-es-desktop"],
    ["/admin/sla/1", "admin-sla-plan-es-desktop"],
    ["/admin/templates/password_reset/es", "admin-template-es-desktop"],
    ["/admin/rules/new", "admin-rule-es-desktop"],
    ["/admin/settings", "admin-settings-es-desktop"],
  ]) {
    const r = await page.goto(base + path);
    assert.equal(r.status(), 200, path);
    await shot(page, name);
  }
  await context.close();
});

test("every administration page passes the accessibility audit on a phone and a desktop", async () => {
  for (const v of VIEWPORTS) {
    const { context, page } = await signIn({ viewport: v.viewport, isMobile: v.isMobile, hasTouch: v.hasTouch, locale: "en-GB" });
    // The menu's sections, their "new" pages and the first entry of each list.
    const paths = new Set(["/admin"]);
    for (const href of await page.locator(".admin-nav a").evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
      paths.add(href);
      await page.goto(base + href);
      for (const more of await page.locator(".admin-main a[href^='/admin/']:not([download])").evaluateAll((as) => as.map((a) => a.getAttribute("href")))) {
        paths.add(more.split("#")[0]);
      }
    }
    for (const path of [...paths].sort()) {
      const r = await page.goto(base + path);
      assert.equal(r.status(), 200, `${path} (${v.name})`);
      await audit(page, `${path} (${v.name})`);
    }
    assert.ok(paths.size >= 8, `pages audited: ${[...paths].join(", ")}`);
    if (v.name === "phone") {
      await page.goto(base + "/admin/departments");
      await shot(page, "admin-departments-en-phone");
    }
    await context.close();
  }
});
