// The confirmation dialog of every action: it names the order it will
// send (method, path, body), asks for the fields the action needs, and
// sends it only on Confirm. An error answer stays in the dialog.

import { call } from "./api.js";

const $ = (id) => document.getElementById(id);
// current is the action the dialog shows; each opening replaces it. (It
// is not cleared by the dialog's close event: that event comes in a later
// task, which may run after the dialog was opened again.)
let current = null;

// confirmAction opens the dialog for an action:
// {title, text, method, path, fields: [{name, label, type, min, max, value, required}],
//  body(values) -> the JSON body, confirm: the button's label};
// done() is called after the order succeeded.
export function confirmAction(action, done) {
  current = { action, done };
  $("confirm-title").textContent = action.title;
  $("confirm-text").textContent = action.text || "";
  $("confirm-error").textContent = "";
  $("confirm-ok").textContent = action.confirm || "Confirm";
  $("confirm-ok").disabled = false;
  const box = $("confirm-fields");
  while (box.firstChild) box.removeChild(box.firstChild);
  for (const f of action.fields || []) {
    const input = document.createElement("input");
    input.name = f.name;
    input.type = f.type || "text";
    input.id = "field-" + f.name;
    if (f.min !== undefined) input.min = String(f.min);
    if (f.max !== undefined) input.max = String(f.max);
    if (f.value !== undefined) input.value = String(f.value);
    input.required = !!f.required;
    input.spellcheck = false;
    input.addEventListener("input", describe);
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = f.label;
    const row = document.createElement("p");
    row.appendChild(label);
    row.appendChild(input);
    box.appendChild(row);
  }
  describe();
  $("confirm").showModal();
  const first = box.querySelector("input");
  (first || $("confirm-cancel")).focus();
}

function values() {
  const v = {};
  for (const input of $("confirm-fields").querySelectorAll("input")) v[input.name] = input.value.trim();
  return v;
}

function describe() {
  if (!current) return;
  const a = current.action;
  let text = a.method + " " + a.path;
  if (a.body) text += "\n" + JSON.stringify(a.body(values()));
  $("confirm-order").textContent = text;
}

$("confirm-ok").addEventListener("click", async (ev) => {
  ev.preventDefault();
  if (!current || !$("confirm").open) return;
  const form = $("confirm").querySelector("form");
  if (!form.reportValidity()) return;
  const { action, done } = current;
  $("confirm-ok").disabled = true;
  $("confirm-error").textContent = "";
  try {
    await call(action.method, action.path, action.body ? action.body(values()) : undefined);
  } catch (e) {
    $("confirm-error").textContent = e.message;
    $("confirm-ok").disabled = false;
    return;
  }
  current = null;
  $("confirm").close("done");
  if (done) done();
});
