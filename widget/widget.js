/* casebot chat widget. Plain JavaScript, no dependencies; see docs/widget.md.
 * Embed: <script src="https://HOST/widget.js" data-casebot-url="wss://HOST/ws" defer></script> */
(() => {
  "use strict";
  // The server replaces this placeholder with widget.css as a JSON string literal.
  const CSS = "__CASEBOT_CSS__";
  const MAX_TEXT = 2000;
  const MAX_KEPT = 200;
  const BACKOFF_MIN = 500;
  const BACKOFF_MAX = 30000;
  // The server's close code for a page whose origin it does not allow (docs/protocol.md).
  const CLOSE_REFUSED = 4403;
  // Space kept above a long answer scrolled to its first line, in pixels.
  const SCROLL_MARGIN = 8;

  const STRINGS = {
    en: {
      title: "Virtual assistant", open: "Open chat", close: "Close chat", unread: "unread",
      placeholder: "Type your question", send: "Send", you: "You said", bot: "Assistant",
      online: "Online", connecting: "Connecting…", offline: "Offline, reconnecting…",
      offlineNote: "You are offline. Messages you send now are sent when the connection is back.",
      queued: "Waiting to send", failed: "Not sent", typing: "The assistant is typing",
      update: "Case update", newTab: "(opens in a new tab)", tooLong: "That message is too long; please shorten it.",
      restarted: "The assistant started a new conversation and no longer remembers what was said before, including cases you asked to follow.",
      replaced: "This chat continued in another window. Send a message to continue here.",
      empty: "That message is empty; please type a question.",
      slowDown: "You are sending messages too quickly. Please wait a moment and try again.",
      error: "Something went wrong; please try again.",
      unavailable: "Unavailable", refused: "This site is not allowed to use this chat.",
      language: "Language", name: "English",
      inLine: "Waiting for a person: you are number {n} in line.", joined: "{name} joined the chat.",
      agentTyping: "{name} is typing", left: "{name} left; you're back with the assistant.", agent: "a person",
      helpful: "Helpful", notHelpful: "Not helpful", thanks: "Thanks for your feedback.",
    },
    es: {
      title: "Asistente virtual", open: "Abrir el chat", close: "Cerrar el chat", unread: "sin leer",
      placeholder: "Escriba su pregunta", send: "Enviar", you: "Usted dijo", bot: "Asistente",
      online: "En línea", connecting: "Conectando…", offline: "Sin conexión, reconectando…",
      offlineNote: "No hay conexión. Los mensajes que envíe ahora se enviarán cuando vuelva la conexión.",
      queued: "Pendiente de envío", failed: "No enviado", typing: "El asistente está escribiendo",
      update: "Novedad del caso", newTab: "(se abre en una pestaña nueva)", tooLong: "Ese mensaje es demasiado largo; acórtelo, por favor.",
      restarted: "El asistente empezó una conversación nueva y ya no recuerda lo que se dijo antes, incluidos los casos que pidió seguir.",
      replaced: "Este chat continuó en otra ventana. Envíe un mensaje para seguir aquí.",
      empty: "Ese mensaje está vacío; escriba una pregunta, por favor.",
      slowDown: "Está enviando mensajes demasiado rápido. Espere un momento e inténtelo de nuevo.",
      error: "Algo salió mal; inténtelo de nuevo, por favor.",
      unavailable: "No disponible", refused: "Este sitio no tiene permiso para usar este chat.",
      language: "Idioma", name: "Español",
      inLine: "Esperando a una persona: usted es el número {n} en la fila.", joined: "{name} se unió al chat.",
      agentTyping: "{name} está escribiendo", left: "{name} salió; vuelve a hablar con el asistente.", agent: "una persona",
      helpful: "Me ayudó", notHelpful: "No me ayudó", thanks: "Gracias por su opinión.",
    },
  };

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.casebot) return;
  const opts = script.dataset;
  // The language the page asks for: data-lang, else <html lang>, else English.
  const configured = supported(opts.lang) || supported(document.documentElement.lang) || "en";
  const wsUrl = resolveWsUrl(opts.casebotUrl, script.src);
  if (!wsUrl) {
    console.error("casebot: data-casebot-url must be a ws:// or wss:// URL");
    return;
  }

  // "es-MX" -> "es"; null for a language the widget has no labels for.
  function supported(code) {
    const primary = String(code || "").split(/[-_]/)[0].toLowerCase();
    return Object.hasOwn(STRINGS, primary) ? primary : null;
  }

  // A language tag from the server, used only as a lang attribute.
  function tag(code) {
    return typeof code === "string" && /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(code) ? code : null;
  }

  function resolveWsUrl(given, src) {
    try {
      const url = given ? new URL(given, location.href) : new URL("/ws", src || location.href);
      if (url.protocol === "https:") url.protocol = "wss:";
      if (url.protocol === "http:") url.protocol = "ws:";
      return url.protocol === "ws:" || url.protocol === "wss:" ? url.href : null;
    } catch {
      return null;
    }
  }

  // ---- state kept for the browser tab (survives reloads, not new tabs) ----
  const KEY = "casebot:" + wsUrl;
  const state = Object.assign({ token: null, messages: [], greeted: false, open: false, unread: 0, lang: null }, load());
  // The widget's language: the person's choice with the switch (kept for the tab), else the page's.
  let lang = supported(state.lang) || configured;
  let t = STRINGS[lang];

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(KEY)) || {};
    } catch {
      return {};
    }
  }
  function save() {
    state.messages = state.messages.slice(-MAX_KEPT);
    try {
      sessionStorage.setItem(KEY, JSON.stringify(state));
    } catch {
      /* storage full or disabled: the chat still works for this page view */
    }
  }

  // ---- DOM helpers ----
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v == null) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v);
    }
    node.append(...children.filter((c) => c != null));
    return node;
  }

  function link(url, label) {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
    const a = el("a", { href: parsed.href, target: "_blank", rel: "noopener noreferrer" });
    if (typeof label === "string") a.append(label);
    else inline(label.text, a, false);
    a.append(el("span", { class: "sr" }, " " + t.newTab));
    return a;
  }

  // ---- the small Markdown subset of the knowledge base, built with DOM nodes only ----
  const INLINE =
    /\*\*(?=\S)(.+?)\*\*|\[([^\]\n]+)\]\(\s*(https?:\/\/[^\s)]+)\s*\)|(https?:\/\/[^\s<>"]+)|(?<![\w*])\*(?=[^\s*])(.+?)\*(?![\w*])/g;

  function inline(text, parent, links = true) {
    let at = 0;
    for (const m of text.matchAll(INLINE)) {
      parent.append(text.slice(at, m.index));
      at = m.index + m[0].length;
      if (m[1] !== undefined) {
        inline(m[1], parent.appendChild(el("strong")), links);
      } else if (m[2] !== undefined) {
        const a = links && link(m[3], { text: m[2] });
        if (a) parent.append(a);
        else inline(m[2], parent, false);
      } else if (m[4] !== undefined) {
        const url = m[4].replace(/[.,;:!?'")\]]+$/, "");
        const a = links && link(url, url);
        parent.append(a || url, m[4].slice(url.length));
      } else {
        inline(m[5], parent.appendChild(el("em")), links);
      }
    }
    parent.append(text.slice(at));
  }

  function markdown(text, parent) {
    let para = null;
    let list = null;
    let item = null;
    for (const line of String(text).replace(/\r\n?/g, "\n").split("\n")) {
      if (!line.trim()) {
        para = list = item = null;
        continue;
      }
      const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      const numbered = !bullet && /^\s*(\d{1,4})[.)]\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        const tag = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== tag) {
          list = parent.appendChild(el(tag));
          if (numbered && numbered[1] !== "1") list.start = Number(numbered[1]);
        }
        item = list.appendChild(el("li"));
        inline((bullet || numbered).at(-1), item);
        para = null;
      } else if (item && /^\s+\S/.test(line)) {
        item.append(" ");
        inline(line.trim(), item);
      } else {
        list = item = null;
        if (para) para.append(el("br"));
        else para = parent.appendChild(el("p"));
        inline(line.trim(), para);
      }
    }
  }

  function plain(text) {
    return String(text).replace(/\*\*|\*|\[([^\]]+)\]\([^)]*\)/g, (m, label) => label || "");
  }

  // ---- building the widget ----
  const host = el("div", { id: "casebot-widget" });
  const shadow = host.attachShadow({ mode: "open" });
  if (typeof CSSStyleSheet === "function" && "replaceSync" in CSSStyleSheet.prototype && "adoptedStyleSheets" in shadow) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el("style", {}, CSS));
  }
  applyColours();

  // A data-title is the host page's own text, in the page's language; every other label
  // follows the language switch.
  const heading = el("h2", { id: "cb-title", lang: opts.title ? configured : null });
  const badge = el("span", { class: "badge", "aria-hidden": "true", hidden: true });
  const launcher = el("button", { class: "launcher", type: "button", "aria-haspopup": "dialog", "aria-controls": "cb-panel", "aria-expanded": "false", onclick: () => setOpen(!state.open) }, chatIcon(), badge);
  const status = el("span", { class: "status", role: "status" });
  // The language switch: one button per language, each named in its own language, the
  // current one pressed.
  const langButtons = Object.keys(STRINGS).map((code) =>
    el("button", { type: "button", lang: code, "data-lang": code, onclick: () => setLang(code) }, STRINGS[code].name));
  const langSwitch = el("div", { class: "langs", role: "group" }, ...langButtons);
  const closeBtn = el("button", { class: "close", type: "button", onclick: () => setOpen(false) }, "×");
  const offline = el("p", { class: "offline", hidden: true });
  const log = el("div", { class: "log", role: "log", "aria-live": "off", tabindex: "0" });
  const typing = el("div", { class: "typing", hidden: true, role: "img" }, el("span"), el("span"), el("span"));
  log.append(typing);
  const live = el("div", { class: "sr", "aria-live": "polite", "aria-atomic": "true" });
  const input = el("textarea", { rows: 1, maxLength: MAX_TEXT, enterKeyHint: "send", onkeydown: onKey });
  const sendBtn = el("button", { class: "send", type: "submit" });
  const form = el("form", { class: "compose", onsubmit: onSubmit }, input, sendBtn);
  const panel = el("div", { class: "panel", id: "cb-panel", role: "dialog", "aria-labelledby": "cb-title", hidden: true, onkeydown: onPanelKey },
    el("div", { class: "head" }, el("div", { class: "titles" }, heading, status), langSwitch, closeBtn),
    offline, log, form);
  const root = el("div", { class: "cb" + (opts.position === "left" ? " left" : "") }, launcher, panel, live);
  shadow.append(root);
  labels();

  // Puts every label of the widget in the current language. Messages already in the
  // transcript keep the language they were said in.
  function labels() {
    const title = opts.title || t.title;
    root.lang = lang;
    heading.textContent = title;
    log.setAttribute("aria-label", title);
    closeBtn.setAttribute("aria-label", t.close);
    typing.setAttribute("aria-label", t.typing);
    input.placeholder = t.placeholder;
    input.setAttribute("aria-label", t.placeholder);
    sendBtn.textContent = t.send;
    langSwitch.setAttribute("aria-label", t.language);
    for (const b of langButtons) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  }

  function chatIcon() {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2zm3 6v2h10V9H7zm0-4v2h10V5H7zm0 8v2h7v-2H7z");
    svg.append(path);
    return svg;
  }

  function applyColours() {
    const brand = opts.color;
    if (!brand) return;
    host.style.setProperty("--cb-brand", brand);
    host.style.setProperty("--cb-on-brand", opts.textColor || readableOn(brand));
  }

  // White or near-black, whichever contrasts more with a #rgb / #rrggbb colour.
  function readableOn(colour) {
    let hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim());
    if (!hex) return "#fff";
    hex = hex[1].length === 3 ? hex[1].replace(/./g, "$&$&") : hex[1];
    const [r, g, b] = [0, 2, 4].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#111" : "#fff";
  }

  // ---- the transcript ----
  const nodes = new Map();

  // A message element carries the language of its text (m.lang); the widget's own words
  // inside it (the screen-reader prefix, the note title) carry the widget's.
  function render(m) {
    const bubble = el("div", { class: "bubble" });
    if (m.role === "user") bubble.append(m.text);
    else if (m.role === "agent") bubble.append(el("strong", { class: "agent-name", "aria-hidden": "true" }, m.name || ""), el("br"), m.text);
    else {
      if (m.role === "note") bubble.append(el("strong", { class: "note-title", lang }, `${t.update}: ${m.receipt || ""}`));
      markdown(m.text, bubble);
    }
    const when = new Date(m.time);
    const label = { user: t.you, bot: t.bot, note: t.update, agent: m.name }[m.role];
    const node = el("div", { class: "msg " + m.role, "data-id": m.id, lang: tag(m.lang) || lang, title: when.toLocaleString(lang) },
      label ? el("span", { class: "sr", lang }, label + ": ") : null, bubble);
    if (m.links && m.links.length) {
      const list = el("ul", { class: "links" });
      for (const l of m.links) {
        const a = link(l.url, l.title || l.url);
        if (a) list.append(el("li", {}, a));
      }
      node.append(list);
    }
    const meta = el("div", { class: "meta" }, el("time", { class: "time", datetime: when.toISOString() }, when.toLocaleTimeString(lang, { hour: "numeric", minute: "2-digit" })));
    node.append(meta);
    if (m.role === "bot" && m.replyId) node.append(votes(m));
    nodes.set(m.id, node);
    updateState(m);
    return node;
  }

  // Thumbs up / thumbs down under an answer (never under a notification); once the server
  // took the vote, a thank-you replaces them.
  function votes(m) {
    const box = el("div", { class: "votes", lang });
    if (m.voted === "received") {
      box.append(el("span", { class: "thanks" }, t.thanks));
      return box;
    }
    for (const [helpful, icon, label] of [[true, "\u{1F44D}", t.helpful], [false, "\u{1F44E}", t.notHelpful]]) {
      box.append(el("button", {
        type: "button", class: "vote", "aria-label": label, title: label,
        "aria-pressed": String(m.voted === helpful),
        disabled: m.voted != null ? true : null,
        onclick: () => vote(m, helpful),
      }, icon));
    }
    return box;
  }

  function vote(m, helpful) {
    if (m.voted != null || !ws || ws.readyState !== WebSocket.OPEN) return;
    m.voted = helpful;
    ws.send(JSON.stringify({ type: "feedback", reply_to: m.replyId, helpful }));
    redrawVotes(m);
  }

  function redrawVotes(m) {
    const node = nodes.get(m.id);
    if (!node) return;
    node.querySelector(".votes")?.remove();
    node.append(votes(m));
    save();
  }

  function voteReceived(f) {
    const m = state.messages.find((x) => x.role === "bot" && x.replyId === f.reply_to);
    if (!m) return;
    m.voted = "received";
    redrawVotes(m);
    say(t.thanks);
  }

  function updateState(m) {
    const meta = nodes.get(m.id)?.querySelector(".meta");
    if (!meta || m.role !== "user") return;
    meta.querySelector(".state")?.remove();
    const text = m.status === "failed" ? t.failed : m.status === "pending" && conn !== "online" ? t.queued : "";
    if (text) meta.append(el("span", { class: "state", lang }, " " + text));
  }

  function add(m) {
    m.id = m.id || newId();
    m.time = m.time || Date.now();
    m.lang = tag(m.lang) || lang;
    state.messages.push(m);
    const node = render(m);
    log.insertBefore(node, typing);
    anchor = m.role === "user" ? null : node;
    if (m.role !== "user") {
      announce(m);
      if (!state.open) state.unread++;
    }
    refresh();
    return m;
  }

  let counter = 0;
  function newId() {
    return "w" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6) + ++counter;
  }

  // Announces one of the widget's own sentences to screen readers.
  function say(text) {
    live.textContent = "";
    setTimeout(() => live.replaceChildren(el("span", { lang }, text)), 50);
  }

  function announce(m) {
    const prefix = m.role === "note" ? el("span", { lang }, `${t.update}: `) : null;
    const text = el("span", { lang: m.lang }, plain(m.text));
    live.textContent = "";
    setTimeout(() => live.replaceChildren(...[prefix, text].filter(Boolean)), 50);
  }

  // The latest answer, note or widget note, kept in view; null after the person's own
  // message, when the transcript simply ends at the bottom.
  let anchor = null;

  // Scrolls to the end, unless that would hide the first lines of the latest answer: a
  // long answer is shown from its first line, a short one still ends at the bottom.
  function scroll() {
    const bottom = log.scrollHeight - log.clientHeight;
    if (!anchor || !anchor.isConnected) {
      log.scrollTop = bottom;
      return;
    }
    const top = log.scrollTop + anchor.getBoundingClientRect().top - log.getBoundingClientRect().top - SCROLL_MARGIN;
    log.scrollTop = Math.max(0, Math.min(bottom, top));
  }

  function refresh() {
    shadow.querySelector(".quick")?.remove();
    const last = state.messages.at(-1);
    if (last && last.role === "bot" && last.quick && last.quick.length) {
      const quick = el("div", { class: "quick", lang: tag(last.lang) });
      for (const q of last.quick) quick.append(el("button", { type: "button", onclick: () => { send(q); input.focus(); } }, q));
      log.insertBefore(quick, typing);
    }
    typing.hidden = !(conn === "online" && (typing.classList.contains("agent") || state.messages.some((m) => m.status === "pending")));
    badge.hidden = state.open || !state.unread;
    badge.textContent = state.unread > 9 ? "9+" : String(state.unread);
    launcher.setAttribute("aria-label", state.unread && !state.open ? `${t.open} (${state.unread} ${t.unread})` : state.open ? t.close : t.open);
    save();
    requestAnimationFrame(scroll);
  }

  function rebuild() {
    for (const m of state.messages) {
      const node = render(m);
      log.insertBefore(node, typing);
      anchor = m.role === "user" ? null : node;
    }
  }

  // ---- open and close ----
  function setOpen(open, focus = true) {
    state.open = open;
    panel.hidden = !open;
    root.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      state.unread = 0;
      if (!ws) connect();
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
    refresh();
  }

  // ---- the language switch ----
  // Relabels the widget and remembers the choice for the tab; the next message tells the
  // server (see transmit). The transcript is left as it was said.
  function setLang(next) {
    if (!STRINGS[next] || next === lang) return;
    lang = next;
    t = STRINGS[lang];
    state.lang = lang;
    langChosen = true;
    labels();
    setConn(conn);
    for (const m of state.messages) if (m.role === "user") updateState(m);
    // Not greeted yet: the socket still waits for its welcome, so a new one asks for the
    // greeting in the chosen language.
    if (ws && !state.greeted) {
      const old = ws;
      ws = null;
      old.close();
      connect();
    }
    refresh();
  }

  function onPanelKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      setOpen(false);
    }
  }

  function onKey(e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  }

  function onSubmit(e) {
    e.preventDefault();
    if (send(input.value)) input.value = "";
  }

  // ---- the connection ----
  let ws = null;
  let conn = "offline";
  let attempt = 0;
  let timer = 0;
  // The language the last message on this connection carried (null: none yet), and whether
  // the person used the switch since: either way the next message carries "lang".
  let sentLang = null;
  let langChosen = false;

  // "refused": the server does not allow this page's origin. Reconnecting cannot help, so
  // the widget says so and tries again only when the person acts (sends, reopens).
  function setConn(next) {
    conn = next;
    status.textContent = next === "online" ? t.online : next === "connecting" ? t.connecting
      : next === "refused" ? t.unavailable : next === "replaced" || next === "idle" ? "" : t.offline;
    offline.textContent = next === "refused" ? t.refused : t.offlineNote;
    offline.hidden = next !== "offline" && next !== "refused";
    for (const m of state.messages) if (m.status === "pending") updateState(m);
    refresh();
  }

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    const url = new URL(wsUrl);
    if (state.token) url.searchParams.set("session", state.token);
    // The language a new session starts in; a resumed session keeps its own.
    url.searchParams.set("lang", lang);
    let sock;
    try {
      sock = new WebSocket(url.href);
    } catch {
      return retry();
    }
    ws = sock;
    setConn("connecting");
    sock.onmessage = (e) => {
      if (ws !== sock) return;
      let frame;
      try {
        frame = JSON.parse(e.data);
      } catch {
        return;
      }
      if (frame && typeof frame === "object") receive(frame);
    };
    sock.onclose = (e) => {
      if (ws !== sock) return;
      ws = null;
      if (e.code === 4001) {
        setConn("replaced");
        add({ role: "system", text: t.replaced });
        return;
      }
      if (e.code === CLOSE_REFUSED) {
        setConn("refused");
        for (const m of state.messages) {
          if (m.status !== "pending") continue;
          m.status = "failed";
          updateState(m);
        }
        refresh();
        say(t.refused);
        return;
      }
      setConn("offline");
      retry();
    };
  }

  // Exponential backoff with jitter, so clients dropped together do not return together.
  function retry() {
    const cap = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt);
    attempt = Math.min(attempt + 1, 10);
    timer = setTimeout(connect, cap / 2 + (Math.random() * cap) / 2);
  }

  function reconnectNow() {
    if (!ws && conn === "offline") {
      attempt = 0;
      connect();
    }
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && reconnectNow());

  function receive(f) {
    switch (f.type) {
      case "welcome":
        return welcome(f);
      case "reply":
        return reply(f);
      case "notification":
        return add({ role: "note", text: String(f.text || f.status || ""), receipt: f.receipt_number, lang: f.lang });
      case "error":
        return error(f);
      case "queued":
        return queued(f);
      case "agent_joined":
        state.agent = String(f.name || t.agent);
        return aboutChat("joined", "{name}", state.agent);
      case "agent_message":
        agentTyping(false);
        return add({ role: "agent", text: String(f.text || ""), name: String(f.name || state.agent || t.agent) });
      case "agent_typing":
        return agentTyping(true, String(f.name || state.agent || t.agent));
      case "agent_left":
        agentTyping(false);
        state.queuePos = null;
        return aboutChat("left", "{name}", state.agent || t.agent);
      case "agent_unavailable":
        state.queuePos = null;
        return add({ role: "bot", text: String(f.text || "") });
      case "feedback_received":
        return voteReceived(f);
      default:
        return undefined;
    }
  }

  function welcome(f) {
    attempt = 0;
    const lost = f.resume_failed && state.messages.length > 0;
    state.token = typeof f.session === "string" ? f.session : null;
    sentLang = null;
    setConn("online");
    if (!state.greeted) {
      state.greeted = true;
      add({
        role: "bot",
        text: opts.greeting || String(f.text || ""),
        lang: opts.greeting ? configured : f.lang,
        quick: Array.isArray(f.quick_replies) ? f.quick_replies.map(String) : [],
      });
    } else if (lost) {
      add({ role: "system", text: t.restarted });
    }
    for (const m of state.messages) if (m.status === "pending") transmit(m);
    refresh();
  }

  // Error codes the widget explains with its own words (STRINGS keys); any other is `error`.
  const ERRORS = { text_too_long: "tooLong", empty_text: "empty", rate_limited: "slowDown" };

  function pendingFor(replyTo) {
    if (replyTo != null) return state.messages.find((m) => m.role === "user" && m.id === replyTo);
    return state.messages.find((m) => m.status === "pending");
  }

  // The place in line, said once per change.
  function queued(f) {
    const n = Number(f.position) || 1;
    if (state.queuePos === n) return;
    state.queuePos = n;
    aboutChat("inLine", "{n}", String(n));
  }

  // A line about the conversation itself (the place in line, an agent joining or leaving),
  // said in the language the assistant last answered in: it is part of the chat, so a
  // person writing Spanish under English labels reads it in Spanish.
  function aboutChat(key, slot, value) {
    const last = state.messages.findLast((m) => m.role === "bot");
    const chat = supported(last && last.lang) || lang;
    return add({ role: "system", text: STRINGS[chat][key].replace(slot, value), lang: chat });
  }

  // The agent's typing indicator: shown for a few seconds after each agent_typing.
  let agentTimer = null;
  function agentTyping(on, name) {
    clearTimeout(agentTimer);
    typing.classList.toggle("agent", on);
    if (on) {
      typing.setAttribute("aria-label", t.agentTyping.replace("{name}", name));
      agentTimer = setTimeout(() => agentTyping(false), 4000);
    } else {
      typing.setAttribute("aria-label", t.typing);
    }
    refresh();
  }

  function reply(f) {
    const asked = pendingFor(f.reply_to);
    if (asked && asked.status !== "pending") return; // already answered on an earlier connection
    if (asked) asked.status = "done";
    if (typeof f.agent === "string") {
      // The message went to the live agent; the assistant stays quiet.
      updateState(asked || {});
      return refresh();
    }
    add({
      role: "bot",
      text: String(f.text || ""),
      lang: f.lang,
      replyId: typeof f.id === "string" ? f.id : null,
      quick: Array.isArray(f.quick_replies) ? f.quick_replies.map(String) : [],
      links: Array.isArray(f.links) ? f.links.filter((l) => l && typeof l.url === "string") : [],
    });
  }

  function error(f) {
    if (f.code === "unknown_reply" || f.code === "invalid_feedback") return; // a vote from before a reconnect
    const asked = pendingFor(f.reply_to);
    if (asked && asked.status !== "pending") return;
    if (asked) {
      asked.status = "failed";
      updateState(asked);
    }
    // The server's `message` is English and meant for developers: the person reads the
    // widget's own words, in the widget's language.
    add({ role: "system", text: Object.hasOwn(ERRORS, f.code) ? t[ERRORS[f.code]] : t.error });
  }

  // The person's language goes with the first message of each connection, and with the
  // first message after the switch was used; a queued message carries the language it was
  // typed in.
  function transmit(m) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const frame = { type: "message", text: m.text, id: m.id };
    const chosen = supported(m.lang) || lang;
    if (chosen !== sentLang || langChosen) {
      frame.lang = sentLang = chosen;
      langChosen = false;
    }
    ws.send(JSON.stringify(frame));
  }

  function send(raw) {
    const text = String(raw).trim();
    if (!text) return false;
    if (text.length > MAX_TEXT) {
      add({ role: "system", text: t.tooLong });
      return false;
    }
    const m = add({ role: "user", text, status: "pending" });
    if (conn === "online") transmit(m);
    else if (conn === "replaced") {
      attempt = 0;
      connect();
    } else if (!ws) connect();
    refresh();
    return true;
  }

  // ---- start ----
  function start() {
    document.body.append(host);
    rebuild();
    setConn("idle");
    if (state.open) setOpen(true, false);
    else if (state.token || state.messages.some((m) => m.status === "pending")) connect();
    refresh();
  }
  window.casebot = { open: () => setOpen(true), close: () => setOpen(false), send };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
