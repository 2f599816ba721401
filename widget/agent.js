// The agent desk: signs in on /agent/ws with a name and the agent token, lists the chats
// waiting for a person, and lets the agent take one, read its transcript, write, and hand
// it back or close it. Plain JavaScript, no framework; the protocol is in docs/protocol.md.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  let ws = null;
  let me = "";
  let current = null; // the chat this agent holds
  const transcripts = new Map(); // chat -> lines shown
  let typingTimer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) if (c != null) node.append(c);
    return node;
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  $("signin").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = $("name").value.trim();
    const token = $("token").value;
    if (!name || !token) return;
    connect(name, token);
  });

  function connect(name, token) {
    const url = new URL("/agent/ws", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(url.href);
    status.textContent = "Signing in…";
    status.classList.remove("error");
    ws.onopen = () => send({ type: "agent_hello", token, name });
    ws.onmessage = (e) => {
      let f;
      try {
        f = JSON.parse(e.data);
      } catch {
        return;
      }
      receive(f);
    };
    ws.onclose = (e) => {
      ws = null;
      $("desk").hidden = true;
      $("signin").hidden = false;
      status.textContent = e.code === 4003 ? "The agent token was refused." : "Signed out";
      status.classList.toggle("error", e.code === 4003);
    };
  }

  function receive(f) {
    switch (f.type) {
      case "signed_in":
        me = String(f.name);
        status.textContent = `Signed in as ${me}`;
        $("signin").hidden = true;
        $("desk").hidden = false;
        $("token").value = "";
        return;
      case "queue":
        return showQueue(Array.isArray(f.chats) ? f.chats : []);
      case "transcript":
        current = String(f.chat);
        transcripts.set(current, []);
        $("transcript").replaceChildren();
        $("chat").hidden = false;
        $("compose").hidden = false;
        $("chat").lang = f.lang || "";
        $("chat-title").textContent = `Chat ${current} (${f.lang})`;
        for (const m of f.messages || []) line(m.from, m.text, m.name);
        $("text").focus();
        return;
      case "message":
        if (f.chat === current) {
          line("person", f.text);
        }
        return;
      case "person_left":
        if (f.chat === current) note("The person closed the chat. They may come back to it.");
        return;
      case "person_back":
        if (f.chat === current) note("The person is back.");
        return;
      case "person_gone":
        if (f.chat === current) {
          note("The person did not come back in time; the chat is closed.");
          current = null;
          $("compose").hidden = true;
        }
        return;
      case "error":
        note(`Error: ${f.message || f.code}`);
        return;
      default:
        return;
    }
  }

  function showQueue(chats) {
    const list = $("queue");
    list.replaceChildren();
    $("empty").hidden = chats.length > 0;
    for (const c of chats) {
      const minutes = Math.floor((Number(c.wait_seconds) || 0) / 60);
      const seconds = (Number(c.wait_seconds) || 0) % 60;
      const take = el("button", { type: "button", "data-chat": c.chat }, "Take");
      take.addEventListener("click", () => send({ type: "take", chat: String(c.chat) }));
      list.append(
        el("li", { "data-chat": c.chat },
          `#${c.position} · ${String(c.lang).toUpperCase()} · waiting ${minutes}:${String(seconds).padStart(2, "0")}${c.away ? " · away" : ""} `,
          take,
          el("span", { class: "preview" }, String(c.preview || "")))
      );
    }
  }

  // The assistant's answers carry a little Markdown (bold, emphasis, links); the desk
  // shows them as plain text, a link as its label and address.
  function plain(text) {
    return String(text).replace(
      /\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\(([^)\s]+)\)/g,
      (m, bold, em, label, url) => bold || em || `${label} (${url})`);
  }

  const WHO = { person: "Person", assistant: "Assistant", agent: "" };
  function line(from, text, name) {
    const who = from === "agent" ? name || me : WHO[from] || from;
    const shown = from === "assistant" ? plain(text) : String(text);
    const node = el("p", { class: `line ${from}` }, el("span", { class: "who" }, who + ":"), shown);
    $("transcript").append(node);
    $("transcript").scrollTop = $("transcript").scrollHeight;
  }

  function note(text) {
    $("transcript").append(el("p", { class: "line note" }, text));
  }

  $("compose").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("text").value.trim();
    if (!text || !current) return;
    send({ type: "say", chat: current, text });
    line("agent", text, me);
    $("text").value = "";
  });

  $("text").addEventListener("input", () => {
    if (!current || typingTimer) return;
    send({ type: "typing", chat: current });
    typingTimer = setTimeout(() => (typingTimer = null), 2000);
  });

  function release(kind) {
    if (!current) return;
    send({ type: kind, chat: current });
    current = null;
    $("chat").hidden = true;
  }
  $("handback").addEventListener("click", () => release("hand_back"));
  $("close").addEventListener("click", () => release("close"));
})();
