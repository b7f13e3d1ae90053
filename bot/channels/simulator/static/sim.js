// The simulator page: pick anyone on the roster and chat with the bot as them.
"use strict";

(() => {
  const ROLE_LABELS = {
    academic_mentor: "学业导师", counsellor: "辅导员", class_teacher: "班主任",
    college_admin: "学院管理员", school_admin: "学校管理员", psych_center: "心理中心",
    career_guidance: "就业指导", peer_mentor: "朋辈导师", student: "学生",
    psych_committee: "心理委员", dorm_head: "寝室长",
  };
  const KIND_LABELS = { staff: "教职工", student: "学生" };
  const POLL_MS = 2000;
  const TIME_FORMAT = { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" };
  const token = new URLSearchParams(location.search).get("token");
  const $ = (id) => document.getElementById(id);
  const ui = {
    search: $("search"), filter: $("filter"), roles: $("filter-roles"), list: $("people-list"),
    name: $("chat-name"), meta: $("chat-meta"), log: $("log"), error: $("error"),
    form: $("composer"), input: $("input"), send: $("send"),
  };
  const state = { people: [], current: null, chats: new Map() };

  // ---- small DOM and API helpers ----

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function api(path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers["X-Simulator-Token"] = token;
    const init = { headers };
    if (body !== undefined) {
      Object.assign(init, { method: "POST", body: JSON.stringify(body) });
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new Error("连接不上模拟器服务，请确认服务仍在运行。");
    }
    if (response.status === 403) throw new Error("没有访问权限：请在页面地址后加上正确的 ?token=…");
    if (!response.ok) throw new Error(`请求失败（HTTP ${response.status}），请稍后再试。`);
    return response.json();
  }

  // Each error is cleared only by a later success of the same kind of call (send/poll/load),
  // so a background poll does not hide a failed send before it can be read.
  function showError(source, error) {
    if (!error && ui.error.dataset.source !== source) return;
    ui.error.dataset.source = source;
    ui.error.textContent = error ? error.message : "";
    ui.error.hidden = !error;
  }

  function roleText(person) {
    const roles = person.roles.filter((r) => r !== "student").map((r) => ROLE_LABELS[r] || r);
    return roles.length ? roles.join("、") : KIND_LABELS[person.kind] || person.kind;
  }

  // ---- markdown: escape everything first, then turn a few known patterns into tags ----

  const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const QUOTE = "(?:&#34;|&#39;)?";
  const FONT = new RegExp(
    `&#60;font color=${QUOTE}(info|comment|warning)${QUOTE}&#62;(.*?)&#60;/font&#62;`, "g");

  function inline(line) {
    const codes = [];
    return line
      .replace(/`([^`]+)`/g, (_, code) => `\u0000${codes.push(code) - 1}\u0000`)
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(FONT, '<span class="md-$1">$2</span>')
      .replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g,
        '<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>')
      .replace(/\u0000(\d+)\u0000/g, (_, i) => `<code>${codes[Number(i)]}</code>`);
  }

  function markdownHtml(source) {
    return escapeHtml(source.replace(/\u0000/g, "")).split("\n").map((line) => {
      const heading = /^(#{1,6})\s+(.*)$/.exec(line);
      if (heading) return `<p class="md-h md-h${heading[1].length}">${inline(heading[2])}</p>`;
      const quote = /^&#62;\s?(.*)$/.exec(line);
      if (quote) return `<blockquote>${inline(quote[1])}</blockquote>`;
      return `<p>${line.trim() ? inline(line) : "<br>"}</p>`;
    }).join("");
  }

  // ---- rendering messages ----

  function bubble(chat, side, extraClass) {
    const row = el("div", `msg msg-${side}`);
    const body = el("div", `bubble ${extraClass || ""}`.trim());
    row.append(body);
    chat.log.append(row);
    return body;
  }

  function reveal(chat) {
    if (chat === state.current) ui.log.scrollTop = ui.log.scrollHeight;
  }

  function stamp(body, at) {
    const when = at ? new Date(at) : new Date();
    const time = el("time", "at", when.toLocaleTimeString("zh-CN", TIME_FORMAT));
    time.dateTime = when.toISOString();
    body.append(time);
  }

  function renderCard(body, chat, message) {
    if (message.title) body.append(el("p", "card-title", message.title));
    if (message.text) body.append(el("p", "plain", message.text));
    const row = el("div", "card-buttons");
    for (const button of message.buttons || []) {
      const press = el("button", "card-button", button.label);
      press.type = "button";
      press.addEventListener("click", () => pressButton(chat, row, press, button));
      row.append(press);
    }
    body.append(row);
  }

  // A file or image arrives as base64 in `text` with its file name in `title`; an old-style
  // file message carries just its name in `text`.
  const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
  const MIME = {
    xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    pdf: "application/pdf",
    png: "image/png",
  };

  function dataUrl(message, fallback) {
    if (!message.title || !message.text || !BASE64.test(message.text)) return null;
    const extension = message.title.split(".").pop().toLowerCase();
    return `data:${MIME[extension] || fallback};base64,${message.text}`;
  }

  function renderFile(body, message) {
    const chip = el("div", "file-chip");
    const url = dataUrl(message, "application/octet-stream");
    const name = el(url ? "a" : "span", "file-name", message.title || message.text);
    if (url) {
      name.href = url;
      name.download = message.title; // the browser saves it under its own name
    }
    chip.append(el("span", "file-icon", "文件"), name);
    body.append(chip);
    if (message.title && message.text && !url) body.append(el("p", "plain muted", message.text));
  }

  function renderImage(body, message) {
    const url = dataUrl(message, "image/png");
    if (!url) {
      renderFile(body, message);
      return;
    }
    const picture = el("img", "chat-image");
    picture.src = url;
    picture.alt = message.title;
    const name = el("a", "image-name", message.title);
    name.href = url;
    name.download = message.title;
    body.append(picture, name);
  }

  function showBot(chat, message) {
    if (message.id) {
      if (chat.seen.has(message.id)) return;
      chat.seen.add(message.id);
    }
    const body = bubble(chat, "bot", `kind-${message.kind}`);
    if (message.kind === "markdown") {
      const box = el("div", "markdown");
      box.innerHTML = markdownHtml(message.text || ""); // safe: built from escaped text only
      body.append(box);
    } else if (message.kind === "card") {
      renderCard(body, chat, message);
    } else if (message.kind === "file") {
      renderFile(body, message);
    } else if (message.kind === "image") {
      renderImage(body, message);
    } else {
      if (message.title) body.append(el("p", "card-title", message.title));
      body.append(el("p", "plain", message.text || ""));
    }
    stamp(body, message.at);
    reveal(chat);
  }

  function showMine(chat, text, extraClass) {
    const body = bubble(chat, "me", extraClass);
    body.append(el("p", "plain", text));
    stamp(body);
    reveal(chat);
    return body;
  }

  // ---- talking to the bot ----

  async function deliver(chat, payload, mine) {
    try {
      const { replies } = await api("sim/api/send", { user: chat.person.code, ...payload });
      replies.forEach((reply) => showBot(chat, reply));
      showError("send", null);
      return true;
    } catch (error) {
      mine.classList.add("failed");
      mine.querySelector(".at").append(" · 未发送");
      showError("send", error);
      reveal(chat);
      return false;
    }
  }

  async function pressButton(chat, row, press, button) {
    const all = [...row.querySelectorAll("button")];
    all.forEach((b) => { b.disabled = true; });
    press.classList.add("chosen");
    press.setAttribute("aria-pressed", "true");
    const mine = showMine(chat, `点击了「${button.label}」`, "press");
    if (!(await deliver(chat, { button: button.key }, mine))) {
      all.forEach((b) => { b.disabled = false; });
      press.classList.remove("chosen");
      press.removeAttribute("aria-pressed");
    }
  }

  async function poll(chat) {
    if (chat.polling) return;
    chat.polling = true;
    try {
      const query = new URLSearchParams({ user: chat.person.code, after: chat.lastId });
      const { messages } = await api(`sim/api/inbox?${query}`);
      for (const message of messages) {
        showBot(chat, message);
        chat.lastId = Math.max(chat.lastId, message.id);
      }
      showError("poll", null);
    } catch (error) {
      showError("poll", error);
    } finally {
      chat.polling = false;
    }
  }

  function chatFor(person) {
    if (!state.chats.has(person.code)) {
      const log = el("div", "log-inner");
      state.chats.set(person.code, { person, log, seen: new Set(), lastId: 0, polling: false });
    }
    return state.chats.get(person.code);
  }

  async function openChat(person) {
    const chat = chatFor(person);
    state.current = chat;
    ui.name.replaceChildren(person.name, el("span", "chat-code", person.code));
    const meta = [roleText(person), person.college, person.class_name];
    ui.meta.textContent = meta.filter(Boolean).join(" · ");
    ui.log.replaceChildren(chat.log);
    ui.input.disabled = ui.send.disabled = false;
    ui.input.focus();
    renderPeople();
    reveal(chat);
    await poll(chat);
  }

  function submit(event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    const chat = state.current;
    if (!text || !chat) return;
    ui.input.value = "";
    deliver(chat, { text }, showMine(chat, text));
  }

  // ---- the people panel ----

  function matches(person, query, filter) {
    const [axis, value] = filter.split(":");
    if (axis === "kind" && person.kind !== value) return false;
    if (axis === "role" && !person.roles.includes(value)) return false;
    return !query || [person.name, person.code].some((s) => s.toLowerCase().includes(query));
  }

  function personItem(person) {
    const item = el("button", `person person-${person.kind}`);
    item.type = "button";
    const current = state.current && state.current.person.code === person.code;
    if (current) item.setAttribute("aria-current", "true");
    const text = el("span", "person-text");
    text.append(el("span", "person-name", person.name), el("span", "person-code", person.code));
    const detail = person.kind === "student"
      ? [person.class_name, ...person.roles.map((r) => ROLE_LABELS[r] || r)]
      : [roleText(person)];
    text.append(el("span", "person-detail", detail.filter(Boolean).join(" · ")));
    item.append(el("span", "avatar", person.name.slice(0, 1)), text);
    item.addEventListener("click", () => openChat(person));
    const li = el("li");
    li.append(item);
    return li;
  }

  function renderPeople() {
    const query = ui.search.value.trim().toLowerCase();
    const shown = state.people.filter((p) => matches(p, query, ui.filter.value));
    const groups = Object.keys(KIND_LABELS).map((k) => [k, shown.filter((p) => p.kind === k)]);
    const nodes = groups.filter(([, people]) => people.length).map(([kind, people]) => {
      const section = el("section", "group");
      section.append(el("h3", "group-title", `${KIND_LABELS[kind]}（${people.length}）`));
      const list = el("ul", "group-list");
      list.append(...people.map(personItem));
      section.append(list);
      return section;
    });
    ui.list.replaceChildren(...(nodes.length ? nodes : [el("p", "muted", "没有符合条件的人员")]));
  }

  async function loadPeople() {
    try {
      state.people = (await api("sim/api/people")).people;
      const roles = new Set(state.people.flatMap((p) => p.roles));
      for (const [role, label] of Object.entries(ROLE_LABELS)) {
        if (!roles.has(role)) continue;
        ui.roles.append(Object.assign(el("option", "", label), { value: `role:${role}` }));
      }
      renderPeople();
    } catch (error) {
      ui.list.replaceChildren(el("p", "muted", "名单加载失败"));
      showError("load", error);
    }
  }

  ui.search.addEventListener("input", renderPeople);
  ui.filter.addEventListener("change", renderPeople);
  ui.form.addEventListener("submit", submit);
  ui.input.addEventListener("keydown", (event) => {
    // Enter sends; Shift+Enter is a new line; Enter inside a Chinese IME picks a word instead.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) submit(event);
  });
  setInterval(() => { if (state.current && !document.hidden) poll(state.current); }, POLL_MS);
  loadPeople();
})();
