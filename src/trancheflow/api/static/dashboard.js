// trancheflow dashboard: the holder box. Asks this server's JSON API for one
// holder's balances and claimable amounts and shows them as a table. No
// network access beyond the page's own origin.
"use strict";
(function () {
  const deal = document.getElementById("deal");
  const form = document.getElementById("holder-form");
  const input = document.getElementById("holder-address");
  const out = document.getElementById("holder-result");
  if (!deal || !form) return;
  const dec = Number(deal.dataset.decimals);

  function money(units) {
    // exact decimal formatting of an integer string with `dec` decimals
    const s = units.padStart(dec + 1, "0");
    const whole = s.slice(0, s.length - dec).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return whole + "." + s.slice(s.length - dec, s.length - dec + 2);
  }

  function cell(tag, text, attrs) {
    const el = document.createElement(tag);
    el.textContent = text;
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
    return el;
  }

  async function lookup(address) {
    out.textContent = "looking up " + address + " …";
    const url = "/api/deals/" + encodeURIComponent(deal.dataset.deal) + "/holders/" + encodeURIComponent(address);
    let body;
    try {
      const r = await fetch(url);
      body = await r.json();
      if (!r.ok) {
        out.replaceChildren(cell("p", body.error ? body.error.message : "error " + r.status, { class: "error", id: "holder-error" }));
        return;
      }
    } catch (e) {
      out.replaceChildren(cell("p", "request failed: " + e, { class: "error", id: "holder-error" }));
      return;
    }
    const table = cell("table", "", { class: "grid", id: "holder-table", "data-address": body.address });
    const head = document.createElement("tr");
    for (const h of ["tranche", "tokens", "current face", "claimable", "claimed"]) head.appendChild(cell("th", h));
    table.appendChild(head);
    for (const t of body.tranches) {
      const tr = cell("tr", "", { "data-tranche": t.name });
      tr.appendChild(cell("td", t.name));
      for (const f of ["tokens", "current_face", "claimable", "claimed"]) {
        tr.appendChild(cell("td", money(t[f]), { class: "num", "data-field": f, "data-units": t[f] }));
      }
      table.appendChild(tr);
    }
    const total = cell("p", "total claimable: " + money(body.total_claimable), { id: "holder-total", "data-units": body.total_claimable });
    out.replaceChildren(table, total, cell("p", body.note, { class: "sub" }));
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const a = input.value.trim();
    if (a) lookup(a);
  });
  document.querySelectorAll("a.holder-link").forEach(function (a) {
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      input.value = a.dataset.address;
      lookup(a.dataset.address);
    });
  });
})();
