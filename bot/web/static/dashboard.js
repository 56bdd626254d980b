// The manager's dashboard: asks the API with Telegram's signed init data, shows the answer
// as text only (never as markup), sorts the KPI tables, opens a member's report in place and
// posts the need actions. Plain modern JavaScript, no library; telegram.js, loaded before it,
// gives the init data and the theme.
"use strict";

const body = document.body;
const API = body.dataset.api;

const SHOWN_MARK = "dashboard shown";

const strings = {};
for (const span of document.getElementById("strings").content.querySelectorAll("span")) {
  strings[span.dataset.key] = span.textContent;
}

function element(tag, text, className) {
  const made = document.createElement(tag);
  if (text !== undefined && text !== null) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function fill(id, lines) {
  const list = document.getElementById(id);
  list.replaceChildren(...lines.map((line) => element("li", line)));
}

function notice(text) {
  const shown = document.getElementById("notice");
  shown.textContent = text;
  shown.hidden = !text;
}

async function request(path, options = {}) {
  const headers = { ...(options.headers || {}), Authorization: `tma ${initData}` };
  const response = await fetch(`${API}${path}`, { ...options, headers });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) throw new Error(strings.failed);
  if (!response.ok) throw new Error(answer.error || strings.failed);
  return answer;
}

function query(extra = {}) {
  const words = { department: body.dataset.department, period: body.dataset.period, ...extra };
  const kept = Object.entries(words).filter(([, value]) => value);
  return kept.length ? `?${new URLSearchParams(kept)}` : "";
}

// -- tables -------------------------------------------------------------------------------
const SHOWN = 50; // rows (and members) drawn at first: a big department's thousand come on demand

/** Sort `rows` by `column` (the first by its text, the others by their numbers); a total
 * stays first, empty numbers last. */
function sortRows(rows, column, ascending) {
  const collator = new Intl.Collator(document.documentElement.lang);
  const members = rows.filter((row) => !row.total);
  members.sort((a, b) => {
    if (column === 0) {
      const order = collator.compare(a.texts[0], b.texts[0]);
      return ascending ? order : -order;
    }
    const x = a.values[column];
    const y = b.values[column];
    if (x === null || y === null) return (x === null) - (y === null);
    return ascending ? x - y : y - x;
  });
  return [...rows.filter((row) => row.total), ...members];
}

function drawRow(row, onOpen) {
  const line = element("tr", null, row.total ? "total" : "");
  row.texts.forEach((text, index) => {
    const td = element(index === 0 ? "th" : "td", null, index === 0 ? "" : "num");
    if (index === 0) td.scope = "row";
    if (index === 0 && row.member_id && onOpen) {
      const open = element("button", text, "link");
      open.type = "button";
      open.addEventListener("click", () => onOpen(row.member_id));
      td.append(open);
    } else {
      td.textContent = text;
    }
    line.append(td);
  });
  return line;
}

/** `items` drawn into `list`: the first SHOWN until its button after `anchor` asks for all
 * of them (and all of them from then on, as when the list is sorted again). */
function drawSome(list, items, draw, anchor = list) {
  const all = list.dataset.all === "true";
  const shown = all ? items : items.slice(0, SHOWN);
  list.replaceChildren(...shown.map(draw));
  const next = anchor.nextElementSibling;
  if (next && next.classList.contains("more")) next.remove();
  if (shown.length === items.length) return;
  const button = element("button", strings.more.replace("{count}", count(items.length)), "more");
  button.type = "button";
  button.addEventListener("click", () => {
    list.dataset.all = "true";
    drawSome(list, items, draw, anchor);
    const first = list.children[SHOWN]; // where reading goes on, for the keyboard too
    (first.querySelector("button") || first).focus();
  });
  anchor.after(button);
}

function count(number) {
  return new Intl.NumberFormat(document.documentElement.lang).format(number);
}

/** A table from the API; sortable by each column's header button, with aria-sort. */
function table(data, onOpen, sortable = true) {
  const figure = document.getElementById("table-template").content.firstElementChild.cloneNode(true);
  figure.querySelector("figcaption").textContent = data.title;
  figure.querySelector(".note").textContent = data.note || "";
  const head = figure.querySelector("thead tr");
  const tbody = figure.querySelector("tbody");
  const scroll = figure.querySelector(".scroll");
  data.columns.forEach((heading, column) => {
    const th = element("th", null, column ? "num" : "");
    th.scope = "col";
    if (sortable) {
      const button = element("button", heading, "sort");
      button.type = "button";
      button.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        for (const other of head.children) other.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const sorted = sortRows(data.rows, column, ascending);
        drawSome(tbody, sorted, (row) => drawRow(row, onOpen), scroll);
      });
      th.append(button);
    } else {
      th.textContent = heading;
    }
    head.append(th);
  });
  drawSome(tbody, data.rows, (row) => drawRow(row, onOpen), scroll);
  return figure;
}

// -- needs --------------------------------------------------------------------------------
function needCard(card) {
  const need = card.need;
  const article = document.getElementById("need-template").content.firstElementChild.cloneNode(true);
  article.id = `need-${need.id}`;
  article.querySelector(".need-id").textContent = `#${need.id}`;
  article.querySelector(".need-member").textContent = need.member;
  article.querySelector(".need-status").textContent = need.label;
  article.querySelector(".need-text").textContent = need.text;
  article.querySelector(".need-reply").textContent = need.reply;
  article.querySelector(".need-meta").textContent = [need.raised, need.age, need.escalated]
    .filter(Boolean)
    .join(" · ");
  const actions = article.querySelector(".actions");
  for (const [action, label] of card.actions) {
    const button = element("button", label);
    button.type = "button";
    button.dataset.action = action;
    button.addEventListener("click", () =>
      action === "reply" ? replyForm(article, need.id) : act(need.id, action),
    );
    actions.append(button);
  }
  return article;
}

function replyForm(article, needId) {
  if (article.querySelector("form")) return;
  const form = element("form", null, "reply");
  const label = element("label", strings.reply);
  const text = element("textarea");
  text.required = true;
  text.maxLength = 2000;
  label.append(text);
  const send = element("button", strings.send);
  send.type = "submit";
  form.append(label, send);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(needId, "reply", text.value);
  });
  article.append(form);
  text.focus();
}

async function act(needId, action, text = "") {
  try {
    const done = await request("/dashboard/need", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ need: needId, action, text }),
    });
    document.getElementById(`need-${needId}`).replaceWith(needCard(done.need));
    notice(done.text);
  } catch (error) {
    notice(error.message);
  }
}

// -- a member -----------------------------------------------------------------------------
async function openMember(memberId) {
  const panel = document.getElementById("member");
  notice(strings.loading);
  try {
    const member = await request(`/dashboard/member${query({ member: memberId })}`);
    document.getElementById("member-name").textContent = member.name;
    document.getElementById("member-status").textContent = [member.status, member.submitted]
      .filter(Boolean)
      .join(" · ");
    document.getElementById("member-sections").replaceChildren(
      ...member.sections.map((section) => {
        const part = element("div", null, "section");
        part.append(element("h3", section.title));
        for (const answer of section.members.flatMap((who) => who.answers)) {
          const line = element("p", null, answer.inline ? "answer inline" : "answer");
          if (answer.label) line.append(element("span", answer.label, "label"));
          line.append(element("span", answer.text, "text"));
          part.append(line);
        }
        return part;
      }),
    );
    document.getElementById("member-no-thread").hidden = member.thread.length > 0;
    fill("member-thread", member.thread.map((c) => `${c.author} (${c.written}): ${c.text}`));
    document
      .getElementById("member-months")
      .replaceChildren(...member.months.map((data) => table(data, null, false)));
    panel.hidden = false;
    panel.focus();
    panel.scrollIntoView({ block: "start" });
    notice("");
  } catch (error) {
    notice(error.message);
  }
}

document.getElementById("member-close").addEventListener("click", () => {
  document.getElementById("member").hidden = true;
});

// -- the page -----------------------------------------------------------------------------
function trend(data) {
  const figure = document.getElementById("trend-template").content.firstElementChild.cloneNode(true);
  figure.querySelector("figcaption").textContent = data.title;
  figure.querySelector("ol").replaceChildren(
    ...data.points.map((point) => {
      const item = element("li");
      const meter = element("meter");
      meter.min = 0;
      meter.max = 1;
      meter.value = point.value === null ? 0 : Math.min(point.value, 1);
      item.append(element("span", point.label, "month"), meter, element("span", point.text, "num"));
      return item;
    }),
  );
  return figure;
}

function departments(list, current) {
  const nav = document.getElementById("departments");
  nav.replaceChildren(
    ...list.map(([key, name]) => {
      const link = element("a", name);
      link.href = `?department=${encodeURIComponent(key)}${window.location.hash}`;
      if (key === current) link.setAttribute("aria-current", "page");
      return link;
    }),
  );
}

function show(page) {
  document.getElementById("title").textContent = page.title;
  document.title = page.title;
  departments(page.departments, page.key);
  const organisation = page.kind === "organisation";
  for (const id of ["needs-section", "kpi-section", "members-section", "trends-section"]) {
    document.getElementById(id).hidden = organisation;
  }
  document.getElementById("rollup-section").hidden = !organisation;
  const written = organisation ? [] : page.written;
  fill("written", written);
  document.getElementById("written-section").hidden = written.length === 0;
  if (organisation) {
    fill("rollup", page.lines);
    fill("counts", []);
    fill("exceptions", []);
    return;
  }
  body.dataset.department = page.key;
  fill("counts", page.counts);
  fill("exceptions", page.exceptions);
  drawSome(document.getElementById("needs"), page.needs, needCard);
  document.getElementById("no-needs").hidden = page.needs.length > 0;
  document.getElementById("tables").replaceChildren(...page.tables.map((t) => table(t, openMember)));
  drawSome(document.getElementById("members"), page.members, (member) => {
    const item = element("li", null, `status-${member.status}`);
    const open = element("button", member.name, "link");
    open.type = "button";
    open.addEventListener("click", () => openMember(member.member_id));
    item.append(open, element("span", ` ${member.label}`, "muted"));
    return item;
  });
  document.getElementById("trends").replaceChildren(...page.trends.map(trend));
}

/** Whether the page was loaded in another language than its reader's: then it loads again
 * in theirs (the shell is drawn before the signed reader is known). */
function reloadedIn(language) {
  const address = new URLSearchParams(window.location.search);
  if (language === body.dataset.language || address.get("lang") === language) return false;
  address.set("lang", language);
  window.location.replace(`${window.location.pathname}?${address}${window.location.hash}`);
  return true;
}

async function load() {
  applyTheme();
  try {
    const page = await request(`/dashboard${query()}`);
    if (reloadedIn(page.language)) return;
    show(page);
    document.getElementById("page").hidden = false;
    notice("");
    // once the frame with the data is painted: how long the page took to show, by the
    // browser's own clock (Performance API), for anyone who measures it
    requestAnimationFrame(() => setTimeout(() => performance.mark(SHOWN_MARK)));
  } catch (error) {
    notice(error.message);
  }
}

load();
