// The member's form: loads the questionnaire with the answers given so far, saves each field as
// it is left and submits, every request signed with the init data Telegram gave the page.
// Text from the server is only ever set as textContent, never parsed as HTML. telegram.js,
// loaded before it, gives the init data and the theme.
"use strict";

const strings = document.body.dataset;
const api = location.pathname.replace(/\/form$/, "/api/form");
const status = document.getElementById("status");
const CHECK_DELAY_MS = 400;
let current = null;

function say(text, warning = false) {
  status.textContent = text;
  status.classList.toggle("warning", warning);
}

async function request(method, path, body) {
  const options = { method, headers: { Authorization: `tma ${initData}` } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(api + path, options);
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  return { status: response.status, data };
}

function refusal(statusCode) {
  if (statusCode === 401) return strings.unsigned;
  if (statusCode === 403) return strings.forbidden;
  if (statusCode === 404) return strings.nothing;
  if (statusCode === 409) return strings.closed;
  return strings.offline;
}

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function questionLabel(field, tag, attributes) {
  const label = element(tag, { class: "question", ...attributes }, `${field.number}. ${field.text}`);
  if (field.optional) {
    label.append(" ", element("span", { class: "optional" }, `(${strings.optional})`));
  }
  return label;
}

function fieldBlock(field) {
  const id = `q-${field.key}`;
  const block = element("fieldset", { "data-key": field.key });
  const hint = element("p", { class: "hint", id: `${id}-hint`, "aria-live": "polite" });
  const state = element("p", { class: "state", id: `${id}-state` });
  hint.hidden = true;
  if (field.kind === "choice") {
    block.append(questionLabel(field, "legend", {}));
    const choices = element("div", { class: "choices", role: "radiogroup" });
    for (const [key, label] of field.choices) {
      const input = element("input", { type: "radio", name: id, value: key });
      input.checked = field.value === key;
      const row = element("label");
      row.append(input, element("span", {}, label));
      choices.append(row);
    }
    block.append(choices);
  } else {
    block.append(questionLabel(field, "label", { for: id }));
    const input =
      field.kind === "number"
        ? element("input", { type: "text", inputmode: "decimal", autocomplete: "off" })
        : element("textarea", { rows: "3" });
    input.id = id;
    input.value = field.value;
    input.setAttribute("aria-describedby", `${id}-hint ${id}-state`);
    if (field.kind === "number") {
      const row = element("div", { class: "number" });
      row.append(input);
      if (field.unit) row.append(element("span", { class: "unit" }, field.unit));
      block.append(row);
    } else {
      block.append(input);
    }
  }
  block.append(hint, state);
  return block;
}

function valueOf(block) {
  const checked = block.querySelector("input[type=radio]:checked");
  if (checked) return checked.value;
  const input = block.querySelector("input[type=text], textarea");
  return input ? input.value : "";
}

function showHint(block, text) {
  const hint = block.querySelector(".hint");
  hint.textContent = text || "";
  hint.hidden = !text;
  for (const input of block.querySelectorAll("input, textarea")) {
    input.setAttribute("aria-invalid", text ? "true" : "false");
  }
}

async function check(block) {
  const key = block.dataset.key;
  const answer = await request("POST", `/${current.submission}/checks/${key}`, {
    value: valueOf(block),
  });
  if (answer.status === 200) showHint(block, answer.data.hint);
}

async function save(block) {
  const state = block.querySelector(".state");
  state.textContent = strings.saving;
  let answer;
  try {
    answer = await request("PUT", `/${current.submission}/answers/${block.dataset.key}`, {
      value: valueOf(block),
    });
  } catch (error) {
    state.textContent = strings.offline;
    return;
  }
  if (answer.status === 200 || answer.status === 422) {
    showHint(block, answer.data.hint);
    state.textContent = answer.status === 200 ? strings.saved : "";
    current = answer.data.form;
    showState();
  } else {
    state.textContent = refusal(answer.status);
  }
}

function showState() {
  const form = document.getElementById("form");
  const editable = current.editable;
  for (const input of form.querySelectorAll("input, textarea, button")) input.disabled = !editable;
  if (!editable) say(strings.closed, true);
  else if (current.submitted) say(strings.submitted);
  else if (current.late) say(strings.late, true);
  else say("");
}

function render(form) {
  current = form;
  document.getElementById("heading").textContent = strings.heading.replace("%(period)s", form.period);
  document.getElementById("deadline").textContent = strings.deadline.replace(
    "%(deadline)s",
    form.deadline,
  );
  const sections = document.getElementById("sections");
  sections.replaceChildren();
  for (const section of form.sections) {
    sections.append(element("h2", {}, section.title));
    for (const field of section.fields) sections.append(fieldBlock(field));
  }
  for (const block of sections.querySelectorAll("fieldset")) {
    let timer = null;
    block.addEventListener("change", () => {
      clearTimeout(timer);
      save(block);
    });
    if (block.querySelector("input[inputmode=decimal]")) {
      block.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(() => check(block), CHECK_DELAY_MS);
      });
    }
  }
  document.getElementById("form").hidden = false;
  showState();
}

async function submit(event) {
  event.preventDefault();
  const answer = await request("POST", `/${current.submission}/submit`);
  if (answer.status === 200) {
    current = answer.data.form;
    showState();
    say(answer.data.confirmation);
  } else if (answer.status === 409 && answer.data.error === "incomplete") {
    say(strings.incomplete, true);
  } else {
    say(refusal(answer.status), true);
  }
}

async function load() {
  applyTheme();
  if (!initData) {
    say(strings.unsigned, true);
    return;
  }
  const wanted = new URLSearchParams(location.search).get("submission");
  const answer = await request("GET", wanted ? `?submission=${encodeURIComponent(wanted)}` : "");
  if (answer.status !== 200) {
    say(refusal(answer.status), true);
    return;
  }
  const form = answer.data.form;
  const query = new URLSearchParams(location.search);
  if (form.language !== strings.language && query.get("lang") !== form.language) {
    query.set("lang", form.language); // the page in the member's own language
    location.replace(`${location.pathname}?${query}${location.hash}`);
    return;
  }
  render(form);
}

document.getElementById("form").addEventListener("submit", submit);
load();
