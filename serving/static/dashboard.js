// sozialradar dashboard: plain JavaScript against the service's JSON endpoints (no build step).
"use strict";

const API = new URL("../", window.location.href);
const LEVELS = ["keine", "beobachten", "Warnung", "akut"];
const LEVEL_TEXT = { keine: "keine Auffälligkeit", beobachten: "beobachten", Warnung: "Warnung", akut: "akut" };
const LEVEL_FILL = { keine: "#d9ead3", beobachten: "#ffe08a", Warnung: "#f4a259", akut: "#c8423b" };
const STATUS_FILL = { hoch: "#d9ead3", mittel: "#fff2c2", niedrig: "#f4a259", "sehr niedrig": "#c8423b" };
const STATUS_SPARE = ["#e0ecf4", "#9ebcda", "#8c96c6", "#8856a7", "#810f7c"];
const NO_DATA = "#eeeeee";
// places within reach per place needed: below 80 %, 80 to 100 %, met
const COVERAGE_CLASSES = [[0.8, "unter 80 % versorgt", "#c8423b"], [1.0, "80 bis unter 100 % versorgt", "#f4a259"],
  [Infinity, "voll versorgt", "#9fd39a"]];

const TYPE_FILL = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
  "#d9d9d9", "#bc80bd"];
const LEVEL_WORD = { kreis: "Kreis", bezirk: "Bezirk", gemeinde: "Gemeinde", land: "Land", sozialregion: "Sozialregion",
  stadtteil: "Stadtteil", ortsteil: "Ortsteil", prognoseraum: "Prognoseraum", bezirksregion: "Bezirksregion",
  planungsraum: "Planungsraum" };

// what the regions of this store have: a county without a status index has no status class and no warning, but
// may have types and a parent (the Kreis) to filter by; the list, the filters and the map offer only those
const state = { regions: [], byId: new Map(), elsewhere: new Map(), ranking: false, period: null, geometry: null,
  selected: null, statusOrder: [], coverage: null, has: { status: false, warning: false, type: false, parent: false },
  parentWord: "Kreis", types: [] };

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function setStatus(text) { $("status").textContent = text; }

function fmt(x, digits = 1) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return x.toLocaleString("de-DE", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

async function api(path, body) {
  const options = body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(new URL(path, API), options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.message || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

function levelBadge(level) {
  if (!level) return el("span", { class: "muted", text: "–" });
  return el("span", { class: `level level-${level}`, text: LEVEL_TEXT[level] || level });
}

// --- list ---------------------------------------------------------------------------------------------------
function sortedRegions() {
  const query = $("suche").value.trim().toLowerCase();
  const level = $("stufe").value;
  const parent = $("obergebiet").value;
  let rows = state.regions.filter((r) =>
    (!query || r.name.toLowerCase().includes(query) || r.region_id.toLowerCase().includes(query)) &&
    (!level || r.warning_level === level) && (!parent || r.parent_id === parent));
  const key = $("sortierung").value;
  const byName = (a, b) => a.name.localeCompare(b.name, "de");
  if (key === "id") rows.sort((a, b) => a.region_id.localeCompare(b.region_id));
  else if (key === "rank" && state.ranking)
    rows.sort((a, b) => (a.status_rank ?? Infinity) - (b.status_rank ?? Infinity) || byName(a, b));
  else if (key === "probability" && state.ranking)
    rows.sort((a, b) => (b.warning_probability ?? -1) - (a.warning_probability ?? -1) || byName(a, b));
  else rows.sort(byName);
  return rows;
}

function typeText(r) { return r.type === null || r.type === undefined ? "–" : `Typ ${r.type}`; }

// the list's columns beyond name and code: only those some region fills
function columns() {
  const out = [];
  if (state.has.parent) out.push([state.parentWord, (r) => el("td", { text: r.parent_name || "–" })]);
  if (state.has.status) out.push(["Statusklasse", (r) => el("td", { text: r.status_label || "–" })]);
  if (state.has.type) out.push(["Sozialraumtyp", (r) => el("td", { text: typeText(r),
    title: r.type_description || null })]);
  if (state.has.warning) out.push(["Frühwarnstufe", (r) => el("td", {}, levelBadge(r.warning_level))]);
  if (state.ranking) out.push(["Rang", (r) => el("td", { class: "num", text: r.status_rank ?? "–" })]);
  return out;
}

function renderHead() {
  document.querySelector("#regionen thead tr").replaceChildren(el("th", { scope: "col", text: "Gebiet" }),
    el("th", { scope: "col", text: "Kennziffer" }), ...columns().map(([title]) => el("th", { scope: "col",
      text: title })));
}

function renderList() {
  const body = document.querySelector("#regionen tbody");
  body.replaceChildren();
  const rows = sortedRegions();
  const cells = columns();
  for (const r of rows) {
    const button = el("button", { class: "region", type: "button", "data-id": r.region_id,
      "aria-label": `${r.name} öffnen` }, r.name);
    button.addEventListener("click", () => select(r.region_id));
    const tr = el("tr", { "data-id": r.region_id, class: r.region_id === state.selected ? "selected" : null,
      "aria-current": r.region_id === state.selected ? "true" : null },
      el("td", {}, button), el("td", { text: r.region_id }), ...cells.map(([, cell]) => cell(r)));
    body.append(tr);
  }
  $("tabelle-titel").textContent = `${rows.length} von ${state.regions.length} Gebieten` +
    (state.period ? `, Berichtsjahr ${state.period}` : "");
}

// --- map ----------------------------------------------------------------------------------------------------
function rings(geometry) {
  if (geometry.type === "Polygon") return geometry.coordinates;
  if (geometry.type === "MultiPolygon") return geometry.coordinates.flat();
  return [];
}

function coverageFill(ratio) {
  if (ratio === null || ratio === undefined) return NO_DATA;
  return COVERAGE_CLASSES.find(([upper]) => ratio < upper)[2];
}

function typeFill(type) { return TYPE_FILL[state.types.indexOf(type) % TYPE_FILL.length]; }

function fillFor(region) {
  if (!region) return NO_DATA;
  if ($("faerbung").value.startsWith("versorgung")) {
    return state.coverage ? coverageFill(state.coverage.get(region.region_id)) : NO_DATA;
  }
  if ($("faerbung").value === "type") {
    return region.type === null || region.type === undefined ? NO_DATA : typeFill(region.type);
  }
  if ($("faerbung").value === "status") {
    const label = region.status_label;
    if (!label) return NO_DATA;
    return STATUS_FILL[label] || STATUS_SPARE[state.statusOrder.indexOf(label) % STATUS_SPARE.length];
  }
  return region.warning_level ? LEVEL_FILL[region.warning_level] : NO_DATA;
}

function renderLegend() {
  const list = $("legende");
  list.replaceChildren();
  const status = $("faerbung").value === "status";
  const entries = $("faerbung").value.startsWith("versorgung")
    ? COVERAGE_CLASSES.map(([, text, colour]) => [text, colour])
    : $("faerbung").value === "type"
    ? state.types.map((t) => [`Typ ${t}`, typeFill(t)])
    : status
    ? state.statusOrder.map((label) => [label, STATUS_FILL[label] ||
        STATUS_SPARE[state.statusOrder.indexOf(label) % STATUS_SPARE.length]])
    : LEVELS.map((level) => [LEVEL_TEXT[level], LEVEL_FILL[level]]);
  entries.push(["keine Angabe", NO_DATA]);
  for (const [text, colour] of entries) {
    list.append(el("li", {}, el("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }),
      text));
  }
}

function renderMap() {
  const holder = $("map");
  const geo = state.geometry;
  if (!geo || !geo.features.length) return;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const f of geo.features) for (const ring of rings(f.geometry)) for (const [x, y] of ring) {
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
  }
  const kx = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const width = 800, scale = width / Math.max((maxX - minX) * kx, 1e-9);
  const height = Math.max(1, (maxY - minY) * scale);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height.toFixed(1)}`);
  svg.setAttribute("role", "img");
  const choice = $("faerbung");
  svg.setAttribute("aria-label", `Karte mit ${geo.features.length} Gebieten, gefärbt nach ` +
    choice.options[choice.selectedIndex].text);
  for (const f of geo.features) {
    const d = rings(f.geometry).map((ring) => "M" + ring.map(([x, y]) =>
      `${((x - minX) * kx * scale).toFixed(1)},${((maxY - y) * scale).toFixed(1)}`).join("L") + "Z").join("");
    const path = document.createElementNS(ns, "path");
    const region = state.byId.get(f.id);
    path.setAttribute("d", d);
    path.setAttribute("fill-rule", "evenodd");
    path.setAttribute("fill", fillFor(region));
    path.dataset.id = f.id;
    if (f.id === state.selected) path.classList.add("selected");
    const title = document.createElementNS(ns, "title");
    const covered = state.coverage && choice.value.startsWith("versorgung") ? state.coverage.get(f.id) : undefined;
    title.textContent = region ? `${region.name}: ${LEVEL_TEXT[region.warning_level] || "keine Frühwarnung"}` +
      (region.status_label ? `, Status ${region.status_label}` : "") +
      (region.type !== null && region.type !== undefined ? `, ${typeText(region)}` : "") +
      (covered !== undefined ? `, versorgt zu ${covered === null ? "–" : fmt(100 * covered, 0) + " %"}` : "") : f.id;
    path.append(title);
    path.addEventListener("click", () => select(f.id));
    svg.append(path);
  }
  holder.replaceChildren(svg);
  renderLegend();
}

// --- detail -------------------------------------------------------------------------------------------------
function dimensionBars(byDimension, names) {
  const entries = Object.entries(byDimension).filter(([, v]) => Number.isFinite(v));
  const max = Math.max(1e-9, ...entries.map(([, v]) => Math.abs(v)));
  const box = el("div", { role: "list", "aria-label": "Beitrag der Dimensionen zur Warnung" });
  for (const [name, value] of entries.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))) {
    const share = (Math.abs(value) / max) * 50;
    const bar = el("span", { class: `bar ${value > 0 ? "up" : "down"}`,
      style: `left:${value > 0 ? 50 : 50 - share}%;width:${share}%` });
    box.append(el("div", { class: "bar-row", role: "listitem" }, el("span", { text: names[name] || name }),
      el("span", { class: "bar-track", "aria-hidden": "true" }, bar),
      el("span", { class: "num", text: (value > 0 ? "+" : "") + fmt(value, 2) })));
  }
  return box;
}

function reportHref(regionId) {
  return new URL(`report?region_id=${encodeURIComponent(regionId)}`, API).href;
}

// the regions of other levels that hold values (the whole city, the Kreis): links to their pages, by level
function renderElsewhere(others) {
  state.elsewhere = new Map(others.map((r) => [r.region_id, r]));
  const byLevel = new Map();
  for (const r of others) {
    if (!byLevel.has(r.level_name)) byLevel.set(r.level_name, []);
    byLevel.get(r.level_name).push(r);
  }
  const items = [...byLevel].map(([level, regions]) => {
    const item = el("li", {}, el("strong", { text: `${level}: ` }));
    regions.forEach((r, i) => item.append(i ? ", " : "", el("a", { href: reportHref(r.region_id), target: "_blank",
      rel: "noopener", "data-id": r.region_id }, r.name)));
    return item;
  });
  $("ebenen-liste").replaceChildren(...items);
  $("ebenen").hidden = !others.length;
}

async function select(regionId) {
  state.selected = regionId;
  const region = state.byId.get(regionId);
  document.querySelectorAll("#regionen tr[data-id]").forEach((tr) => {
    const on = tr.dataset.id === regionId;
    tr.classList.toggle("selected", on);
    if (on) tr.setAttribute("aria-current", "true"); else tr.removeAttribute("aria-current");
  });
  document.querySelectorAll("#map path").forEach((p) => p.classList.toggle("selected", p.dataset.id === regionId));
  const heading = $("h-detail");
  heading.textContent = region ? region.name : regionId;
  $("detail-leer").hidden = true;
  const box = $("detail-inhalt");
  box.hidden = false;
  box.replaceChildren(el("p", { class: "muted", text: "Erklärung wird geladen …" }));
  heading.focus();
  const query = `region_id=${encodeURIComponent(regionId)}`;
  const [profile, explanation, measures] = await Promise.allSettled([api(`profile?${query}`),
    api(`explain?${query}`), api(`measures?${query}`)]);
  if (state.selected !== regionId) return;
  const facts = el("dl", { class: "facts" }, el("dt", { text: "Kennziffer" }), el("dd", { text: regionId }));
  if (region && region.parent_name) {
    // the parent's own page, where it holds values (the whole city, the Kreis)
    const parentPage = state.elsewhere.has(region.parent_id)
      ? el("a", { href: reportHref(region.parent_id), target: "_blank", rel: "noopener" }, region.parent_name)
      : region.parent_name;
    facts.append(el("dt", { text: LEVEL_WORD[region.parent_level] || "übergeordnet" }), el("dd", {}, parentPage));
  }
  if (profile.status === "fulfilled" && state.has.status) {
    const p = profile.value;
    // beside the class, what the page says too: an index of fewer indicators than configured, or why there is none
    facts.append(el("dt", { text: "Statusklasse" }), el("dd", { text: p.status_label ?
      `${p.status_label} (Index ${fmt(p.status_index, 2)})` : (p.status_note || "nicht berechnet") },
      p.status_label && p.status_note ? el("span", { class: "muted small block", text: p.status_note }) : ""));
    facts.append(el("dt", { text: "Dynamik" }), el("dd", { text: p.dynamics_label || "–" }));
  }
  if (region && region.type !== null && region.type !== undefined) {
    facts.append(el("dt", { text: "Sozialraumtyp" }), el("dd", { text: `${typeText(region)}: ` +
      region.type_description }, state.typeNote ? el("span", { class: "muted small block", text: state.typeNote })
      : ""));
  } else if (state.typeNote) {   // no type, and the typology's last training refused: say so, not nothing
    facts.append(el("dt", { text: "Sozialraumtyp" }), el("dd", { class: "muted small", text: state.typeNote }));
  }
  const parts = [facts];
  if (explanation.status === "fulfilled") {
    const e = explanation.value;
    facts.append(el("dt", { text: "Frühwarnstufe" }), el("dd", {},
      e.graded === false ? el("span", { class: "muted", text: "keine Stufe verfügbar" }) : levelBadge(e.level),
      ` Wahrscheinlichkeit, dass die Statusklasse in ${e.horizon === 1 ? "einem Jahr" : e.horizon + " Jahren"} `
      + `schlechter ist: ${fmt(100 * e.probability, 0)} %`));
    parts.push(el("h3", { text: "Warum?" }), el("p", { class: "sentence", text: e.sentence }),
      el("h3", { text: "Beitrag je Dimension" }), dimensionBars(e.by_dimension, e.dimension_names || {}),
      el("p", { class: "muted small", text: "Rot erhöht, grün senkt die Wahrscheinlichkeit (SHAP-Werte)." }));
  } else {
    const status = explanation.reason && explanation.reason.status;
    parts.push(el("p", { class: "muted", text: !state.has.status
      ? "Keine Frühwarnung: sie sagt eine schlechtere Statusklasse voraus, und für diese Gebiete ist kein " +
        "Statusindex berechnet (es fehlen die Statusindikatoren)."
      : status === 503 || state.warningNote   // refused, or trained before the edition shown
      ? state.warningNote || "Keine Frühwarnung: es ist kein Frühwarnmodell trainiert (sozialradar train early-warning)."
      : "Für dieses Gebiet liegt in diesem Berichtsjahr keine Frühwarnung vor (fehlende oder gesperrte Werte)." }));
  }
  if (measures.status === "fulfilled" && measures.value.measures.length) {
    const list = el("ul", { class: "measures" });
    for (const m of measures.value.measures) {
      const item = el("li", {}, el("strong", { text: m.title }),
        ` (${m.status}, seit ${m.start}${m.cost_per_year ? `, ${fmt(m.cost_per_year, 0)} € je Jahr` : ""})`);
      for (const i of m.impacts) item.append(el("p", { class: "sentence small", text: i.sentence }));
      list.append(item);
    }
    parts.push(el("h3", { text: "Maßnahmen und Wirkung" }), list);
  }
  parts.push(el("p", {}, el("a", { href: reportHref(regionId), target: "_blank",
    rel: "noopener" }, "Gebietsbericht öffnen (HTML)")));
  box.replaceChildren(...parts);
}

// --- coverage layer (Bestand und Bedarf) ---------------------------------------------------------------------
async function addCoverageOptions() {
  let first;
  try {
    first = await api("coverage_map");
  } catch (error) {
    return;   // no facility register or projection in the store: no such layer
  }
  const last = Math.max(...first.horizons);
  for (const type of first.types) {
    for (const horizon of [...new Set([0, last])]) {
      $("faerbung").append(el("option", { value: `versorgung|${type}|${horizon}`,
        text: `Versorgung ${type} ${horizon === 0 ? "heute" : `in ${horizon} Jahren`}` }));
    }
  }
}

async function changeColouring() {
  const value = $("faerbung").value;
  if (value.startsWith("versorgung")) {
    const [, type, horizon] = value.split("|");
    try {
      const layer = await api(`coverage_map?type=${encodeURIComponent(type)}&horizon=${horizon}`);
      state.coverage = new Map(layer.regions.map((r) => [r.region_id, r.ratio]));
      setStatus(`Versorgung ${layer.type} ${layer.period}: erreichbare Plätze je benötigtem Platz.`);
    } catch (error) {
      state.coverage = null;
      setStatus(`Die Versorgung konnte nicht geladen werden: ${error.message}`);
    }
  }
  renderMap();
}

// --- start --------------------------------------------------------------------------------------------------
async function load() {
  let list;
  try {
    list = await api("regions");
  } catch (error) {
    if (error.status === 503) {
      setStatus(`Der Dienst lädt noch Modelle und Daten (${error.message}); neuer Versuch in 2 Sekunden …`);
      window.setTimeout(load, 2000);
    } else {
      setStatus(`Die Gebiete konnten nicht geladen werden: ${error.message}`);
    }
    return;
  }
  state.regions = list.regions;
  state.byId = new Map(list.regions.map((r) => [r.region_id, r]));
  state.ranking = list.ranking;
  state.warningNote = list.warning_note || null;
  state.typeNote = list.type_note || null;    // the typology's last training refused: the types shown are older
  state.period = list.period;
  renderElsewhere(list.elsewhere || []);
  state.statusOrder = [...new Set(list.regions.map((r) => r.status_label).filter(Boolean))]
    .sort((a, b) => (Object.keys(STATUS_FILL).indexOf(a) + 1 || 99) - (Object.keys(STATUS_FILL).indexOf(b) + 1 || 99));
  $("periode").textContent = list.period ? `· Berichtsjahr ${list.period}` : "";
  const regions = list.regions;
  state.has = { status: regions.some((r) => r.status_label), warning: regions.some((r) => r.warning_level),
    type: regions.some((r) => r.type !== null && r.type !== undefined), parent: false };
  state.types = [...new Set(regions.map((r) => r.type).filter((t) => t !== null && t !== undefined))]
    .sort((a, b) => a - b);
  const parents = new Map(regions.filter((r) => r.parent_id).map((r) => [r.parent_id, r.parent_name || r.parent_id]));
  const parentLevels = new Set(regions.map((r) => r.parent_level).filter(Boolean));
  state.has.parent = parents.size > 1;
  state.parentWord = parentLevels.size === 1 ? LEVEL_WORD[[...parentLevels][0]] || "übergeordnet" : "übergeordnet";
  if (state.has.parent) {
    const choice = $("obergebiet");
    for (const [id, name] of [...parents].sort((a, b) => a[1].localeCompare(b[1], "de"))) {
      choice.append(el("option", { value: id, text: name }));
    }
    choice.hidden = false;
    document.querySelector('label[for="obergebiet"]').hidden = false;
    document.querySelector('label[for="obergebiet"]').textContent = state.parentWord;
  }
  $("stufe").hidden = !state.has.warning;
  document.querySelector('label[for="stufe"]').hidden = !state.has.warning;
  for (const [value, present] of [["warning", state.has.warning], ["status", state.has.status],
    ["type", state.has.type]]) {
    if (!present) $("faerbung").querySelector(`option[value="${value}"]`).remove();
  }
  renderHead();
  if (state.ranking) {
    $("sortierung").append(el("option", { value: "rank", text: "Rang (Statusindex)" }),
      el("option", { value: "probability", text: "Frühwarn-Wahrscheinlichkeit" }));
    $("rang-hinweis").textContent = "";
  } else {
    $("rang-hinweis").textContent = "Eine Rangfolge der Gebiete ist in dieser Konfiguration nicht vorgesehen.";
  }
  // scored, but no level reached its precision on unseen years: say so instead of an empty column
  $("stufen-hinweis").textContent = list.level_note || "";
  $("stufen-hinweis").hidden = !list.level_note;
  renderList();
  setStatus(`${list.regions.length} Gebiete geladen.`);
  await addCoverageOptions();
  $("faerbung").closest(".controls").hidden = !$("faerbung").options.length;   // nothing to colour by
  try {
    state.geometry = await api("geometry");
    renderMap();
    if (state.geometry.missing.length) {
      setStatus(`${list.regions.length} Gebiete geladen; ${state.geometry.missing.length} ohne Fläche auf der Karte.`);
    }
  } catch (error) {
    $("legende").replaceChildren();
    $("faerbung").closest(".controls").hidden = true;      // no polygons: nothing to colour
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("suche").addEventListener("input", renderList);
  $("stufe").addEventListener("change", renderList);
  $("obergebiet").addEventListener("change", renderList);
  $("sortierung").addEventListener("change", renderList);
  $("faerbung").addEventListener("change", changeColouring);
  load();
});
