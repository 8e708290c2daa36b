// bazinga-db dashboard: live updates over server-sent events.
// Agent text is only ever placed with textContent; server-rendered sections (already
// escaped on the server) are swapped as parsed nodes, never as HTML strings.
"use strict";

(function () {
  const body = document.body;
  const page = body.dataset.page;
  const sessionId = body.dataset.session || null;
  let lastLogId = Number(body.dataset.lastLogId || 0);
  const live = document.getElementById("live");
  const log = document.getElementById("log");
  const agentFilter = document.getElementById("filter-agent");
  const groupFilter = document.getElementById("filter-group");
  const ROLES = new Set(["orchestrator", "pm", "developer", "qa", "tech_lead", "investigator"]);

  function setLive(text, on) {
    live.textContent = text;
    live.classList.toggle("on", on);
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // -- the log stream ------------------------------------------------------------------

  function logEntry(entry) {
    const item = element("li", "log-entry new");
    item.dataset.id = String(entry.id);
    item.dataset.agent = entry.agent_type;
    item.dataset.group = entry.group_id || "";
    const meta = element("div", "meta");
    const time = element("time", null, String(entry.timestamp || "").slice(11, 19));
    time.dateTime = entry.timestamp;
    time.title = entry.timestamp;
    meta.append(time);
    const role = ROLES.has(entry.agent_type) ? "role-" + entry.agent_type : "role-other";
    meta.append(element("span", "agent " + role, entry.agent_type));
    if (entry.agent_id) meta.append(element("span", "agent-id", entry.agent_id));
    if (entry.group_id) meta.append(element("span", "group", entry.group_id));
    if (entry.iteration !== null && entry.iteration !== undefined) {
      meta.append(element("span", "iteration", "iteration " + entry.iteration));
    }
    item.append(meta, element("div", "content", entry.content));
    return item;
  }

  function addOption(select, value) {
    if (!select || !value) return;
    for (const option of select.options) if (option.value === value) return;
    const option = element("option", null, value);
    option.value = value;
    select.append(option);
  }

  function applyFilter(item) {
    const agent = agentFilter ? agentFilter.value : "";
    const group = groupFilter ? groupFilter.value : "";
    item.hidden = Boolean((agent && item.dataset.agent !== agent) || (group && item.dataset.group !== group));
  }

  function appendLogs(entries) {
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
    for (const entry of entries) {
      if (entry.id <= lastLogId) continue; // a reconnect may resend what we have
      const item = logEntry(entry);
      applyFilter(item);
      log.append(item);
      lastLogId = entry.id;
      addOption(agentFilter, entry.agent_type);
      addOption(groupFilter, entry.group_id);
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  if (log) {
    const wanted = new URLSearchParams(location.search);
    if (agentFilter && wanted.get("agent")) agentFilter.value = wanted.get("agent");
    if (groupFilter && wanted.get("group")) groupFilter.value = wanted.get("group");
    const refilter = () => log.querySelectorAll("li").forEach(applyFilter);
    for (const select of [agentFilter, groupFilter]) if (select) select.addEventListener("change", refilter);
    refilter();
    log.scrollTop = log.scrollHeight;
  }

  // -- the other sections: fetched again and swapped in place ---------------------------

  let timer = null;
  let busy = false;
  let again = false;

  function scheduleRefresh() {
    if (!timer) timer = setTimeout(refresh, 150);
  }

  async function refresh() {
    timer = null;
    if (busy) { again = true; return; }
    busy = true;
    try {
      const url = new URL(location.href);
      if (page === "session") url.searchParams.set("partial", "1");
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (response.ok) {
        const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
        if (fresh.body.dataset.page !== page) { location.reload(); return; }
        for (const section of fresh.querySelectorAll("[data-live][id]")) {
          const current = document.getElementById(section.id);
          if (current) current.replaceWith(document.adoptNode(section));
        }
      }
    } catch (error) {
      setLive("reconnecting…", false);
    } finally {
      busy = false;
      if (again) { again = false; scheduleRefresh(); }
    }
  }

  // -- the event stream -----------------------------------------------------------------

  function connect() {
    const params = new URLSearchParams({ version: body.dataset.version || "0" });
    if (sessionId) {
      params.set("session", sessionId);
      params.set("after", String(lastLogId));
    }
    const source = new EventSource("/events?" + params.toString());
    source.addEventListener("ready", () => setLive("live", true));
    source.addEventListener("error", () => setLive("reconnecting…", false));
    source.addEventListener("update", (event) => {
      setLive("live", true);
      const data = JSON.parse(event.data);
      if (log && data.logs && data.logs.length) appendLogs(data.logs);
      scheduleRefresh();
    });
  }

  // "12s ago" texts: recomputed in the page, so they stay true between updates.
  function age(moment) {
    const seconds = Math.max(0, Math.floor((Date.now() - moment) / 1000));
    for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]]) {
      if (seconds >= size) return Math.floor(seconds / size) + unit + " ago";
    }
    return seconds + "s ago";
  }
  setInterval(() => {
    for (const node of document.querySelectorAll("time.age")) {
      const moment = Date.parse(node.dateTime);
      if (!Number.isNaN(moment)) node.textContent = age(moment);
    }
  }, 5000);

  const filterForm = document.querySelector("form.filters[action='/']");
  if (filterForm) {
    filterForm.querySelector("select").addEventListener("change", () => filterForm.submit());
  }
  if (["sessions", "session", "waiting", "projects", "project"].includes(page)) connect();
  else setLive("static", false);
})();
