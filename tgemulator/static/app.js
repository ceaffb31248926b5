/* The chat page of the Telegram emulator: plain DOM code against the JSON user API.
 *
 * Everything the bot or a user typed is put in the page through textContent, or through
 * sanitizeHtml() for the server's `html` rendering of a message: never through innerHTML.
 */
"use strict";

(() => {
  const API = "/emulator/api";
  const POLL_WAIT_SECONDS = 25;
  const RETRY_FIRST_MS = 500;
  const RETRY_MAX_MS = 15000;
  const TOAST_MS = 4000;
  const STORAGE_KEY = "tgemulator.page";

  const $ = (id) => document.getElementById(id);
  const els = {
    app: $("app"),
    sidebar: $("sidebar"),
    openSidebar: $("open-sidebar"),
    closeSidebar: $("close-sidebar"),
    userSelect: $("user-select"),
    newUser: $("new-user"),
    userForm: $("user-form"),
    userFirstName: $("user-first-name"),
    userUsername: $("user-username"),
    userLanguage: $("user-language"),
    chatList: $("chat-list"),
    newGroup: $("new-group"),
    groupForm: $("group-form"),
    groupTitle: $("group-title"),
    groupMembers: $("group-members"),
    chatAvatar: $("chat-avatar"),
    chatTitle: $("chat-title"),
    chatSubtitle: $("chat-subtitle"),
    sendAs: $("send-as"),
    sendAsSelect: $("send-as-select"),
    connection: $("connection"),
    messages: $("messages"),
    emptyState: $("empty-state"),
    replyTo: $("reply-to"),
    replyToText: $("reply-to-text"),
    replyCancel: $("reply-cancel"),
    attachment: $("attachment"),
    attachmentName: $("attachment-name"),
    attachmentClear: $("attachment-clear"),
    commandMenu: $("command-menu"),
    asPhoto: $("as-photo"),
    fileInput: $("file-input"),
    composer: $("composer"),
    input: $("message-input"),
    sendButton: $("send-button"),
    keyboardToggle: $("keyboard-toggle"),
    replyKeyboard: $("reply-keyboard"),
    toasts: $("toasts"),
    alertDialog: $("alert-dialog"),
    alertTitle: $("alert-title"),
    alertText: $("alert-text"),
  };

  const state = {
    bot: { first_name: "Bot", username: "", commands: [] },
    users: new Map(), // id -> user
    groups: new Map(), // id -> {id, type, title}
    userId: null,
    chat: null, // {id, type, title, member_ids}
    seq: 0,
    messages: new Map(), // message_id -> {data, el}
    deleted: new Set(),
    pollGeneration: 0,
    pollAbort: null,
    replyTo: null,
    keyboard: null,
    keyboardHidden: false,
    sending: false,
  };

  // --- small helpers ----------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body, { signal } = {}) {
    const init = { method, signal, headers: { Accept: "application/json" } };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(path, init);
    const raw = await response.text();
    let data = null;
    if (raw) {
      try {
        data = JSON.parse(raw);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message = (data && (data.error || data.description)) || `HTTP ${response.status}`;
      throw new ApiError(response.status, message);
    }
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child);
    }
    return node;
  }

  function sleep(ms, signal) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  function loadPrefs() {
    try {
      return JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") || {};
    } catch {
      return {};
    }
  }

  function savePrefs() {
    try {
      localStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ userId: state.userId, chatId: state.chat ? state.chat.id : null }),
      );
    } catch {
      /* private mode: nothing to remember */
    }
  }

  function userName(user) {
    if (!user) return "Unknown user";
    return [user.first_name, user.last_name].filter(Boolean).join(" ");
  }

  function userLabel(user) {
    const name = userName(user);
    return user.username ? `${name} (@${user.username})` : name;
  }

  function initials(name) {
    const letters = name.trim().split(/\s+/).map((part) => Array.from(part)[0] || "");
    return (letters.slice(0, 2).join("") || "?").toUpperCase();
  }

  function avatarColor(id) {
    const hues = [4, 28, 200, 142, 262, 330, 178];
    return `hsl(${hues[Math.abs(Number(id)) % hues.length]} 62% 52%)`;
  }

  function formatSize(bytes) {
    if (typeof bytes !== "number") return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function formatTime(unix) {
    if (!unix) return "";
    return new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function formatAmount(amount, currency) {
    if (currency === "XTR") return `⭐ ${amount}`;
    try {
      const format = new Intl.NumberFormat(undefined, { style: "currency", currency });
      const digits = format.resolvedOptions().maximumFractionDigits;
      return format.format(amount / 10 ** digits);
    } catch {
      return `${(amount / 100).toFixed(2)} ${currency}`;
    }
  }

  // --- safe rendering of the bot's HTML ----------------------------------------------

  const ALLOWED_TAGS = new Set([
    "B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE", "A",
    "BLOCKQUOTE", "TG-SPOILER", "TG-EMOJI", "BR",
  ]);
  const SAFE_URL = /^(https?:|tg:|mailto:)/i;
  const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  /** Text with bare http(s) links turned into anchors. */
  function linkify(text) {
    const fragment = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(URL_IN_TEXT)) {
      if (match.index > last) fragment.append(text.slice(last, match.index));
      fragment.append(externalLink(match[0], match[0]));
      last = match.index + match[0].length;
    }
    if (last < text.length) fragment.append(text.slice(last));
    return fragment;
  }

  function externalLink(href, text) {
    return el("a", { href, target: "_blank", rel: "noopener noreferrer", text });
  }

  /** A copy of `html` keeping only Telegram's formatting tags and safe link targets. */
  function sanitizeHtml(html) {
    const template = document.createElement("template");
    template.innerHTML = html; // inert: template content runs no scripts, loads nothing
    const out = document.createDocumentFragment();
    const copy = (source, target, inLink) => {
      for (const node of source.childNodes) {
        if (node.nodeType === Node.TEXT_NODE) {
          target.append(inLink ? node.data : linkify(node.data));
          continue;
        }
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        const tag = node.tagName;
        if (!ALLOWED_TAGS.has(tag)) {
          copy(node, target, inLink);
          continue;
        }
        let clean;
        if (tag === "A") {
          const href = node.getAttribute("href") || "";
          if (!SAFE_URL.test(href)) {
            copy(node, target, inLink);
            continue;
          }
          clean = el("a", { href, target: "_blank", rel: "noopener noreferrer" });
        } else if (tag === "TG-SPOILER") {
          clean = el("span", { class: "spoiler", title: "Spoiler: click to reveal" });
        } else if (tag === "TG-EMOJI") {
          clean = el("span");
        } else {
          clean = document.createElement(tag.toLowerCase());
          if (tag === "CODE") {
            const language = (node.getAttribute("class") || "").match(/^language-([\w+#-]+)$/);
            if (language) clean.className = `language-${language[1]}`;
          }
          if (tag === "BLOCKQUOTE" && node.hasAttribute("expandable")) {
            clean.className = "expandable";
          }
        }
        copy(node, clean, inLink || tag === "A");
        target.append(clean);
      }
    };
    copy(template.content, out, false);
    return out;
  }

  // --- users, groups and the chat list ------------------------------------------------

  /** The bot's name (for chat titles) and the commands of its "/" menu. */
  async function loadBot() {
    try {
      state.bot = await api("GET", `${API}/bot`);
    } catch {
      /* not reachable now: keep what is known, loadUsers() reports the connection */
    }
  }

  async function loadUsers() {
    const data = await api("GET", `${API}/users`);
    const list = Array.isArray(data) ? data : (data && data.users) || [];
    state.users = new Map(list.map((user) => [user.id, user]));
    renderUserSelect();
    renderGroupMembers();
  }

  async function loadGroups() {
    try {
      const data = await api("GET", `${API}/chats`);
      const list = Array.isArray(data) ? data : (data && data.chats) || [];
      state.groups = new Map(
        list
          .filter((chat) => chat.type === "group" || chat.type === "supergroup")
          .map((chat) => [chat.id, chat]),
      );
    } catch {
      state.groups = new Map();
    }
    renderChatList();
  }

  function renderUserSelect() {
    const select = els.userSelect;
    select.replaceChildren();
    if (state.users.size === 0) {
      select.append(el("option", { value: "", text: "No users yet" }));
      select.disabled = true;
      return;
    }
    for (const user of state.users.values()) {
      const suffix = user.language_code ? ` · ${user.language_code}` : "";
      select.append(el("option", { value: user.id, text: userLabel(user) + suffix }));
    }
    select.disabled = false;
    if (state.userId !== null) select.value = String(state.userId);
  }

  function renderGroupMembers() {
    const box = els.groupMembers;
    box.replaceChildren();
    if (state.users.size === 0) {
      box.append(el("p", { class: "hint", text: "Create users first." }));
      return;
    }
    for (const user of state.users.values()) {
      box.append(
        el(
          "label",
          { class: "check" },
          el("input", {
            type: "checkbox",
            name: "member",
            value: user.id,
            checked: user.id === state.userId,
          }),
          ` ${userLabel(user)}`,
        ),
      );
    }
  }

  function chatEntry(chat, title, subtitle, avatarText) {
    const current = state.chat && state.chat.id === chat.id;
    return el(
      "li",
      {},
      el(
        "button",
        {
          type: "button",
          class: "chat-list__item",
          "aria-current": current ? "true" : null,
          dataset: { chatId: chat.id },
          onclick: () => {
            closeSidebar();
            if (!state.chat || state.chat.id !== chat.id) openChat(chat);
          },
        },
        el("span", {
          class: "avatar avatar--small",
          "aria-hidden": "true",
          style: `background:${avatarColor(chat.id)}`,
          text: avatarText,
        }),
        el(
          "span",
          { class: "chat-list__text" },
          el("span", { class: "chat-list__title", text: title }),
          el("span", { class: "chat-list__subtitle", text: subtitle }),
        ),
      ),
    );
  }

  function privateChat() {
    return { id: state.userId, type: "private" };
  }

  function renderChatList() {
    const list = els.chatList;
    list.replaceChildren();
    if (state.userId !== null) {
      const bot = state.bot;
      list.append(
        chatEntry(
          privateChat(),
          bot.first_name,
          bot.username ? `@${bot.username} · private chat` : "private chat with the bot",
          initials(bot.first_name),
        ),
      );
    }
    for (const group of state.groups.values()) {
      list.append(chatEntry(group, group.title || "Group", group.type, initials(group.title || "G")));
    }
    if (!list.children.length) {
      list.append(el("li", { class: "hint", text: "No chats yet." }));
    }
  }

  async function selectUser(userId) {
    state.userId = userId;
    renderUserSelect();
    renderGroupMembers();
    renderChatList();
    savePrefs();
    if (!state.chat || state.chat.type === "private") {
      await openChat(privateChat());
    } else {
      renderSendAs();
    }
  }

  async function createUser(event) {
    event.preventDefault();
    const body = { first_name: els.userFirstName.value.trim() };
    const username = els.userUsername.value.trim().replace(/^@/, "");
    if (username) body.username = username;
    body.language_code = els.userLanguage.value;
    if (!body.first_name) return;
    try {
      const { id } = await api("POST", `${API}/users`, body);
      els.userForm.reset();
      els.newUser.open = false;
      await loadUsers();
      await selectUser(id);
      els.input.focus();
    } catch (error) {
      showToast(`Could not create the user: ${error.message}`, "error");
    }
  }

  async function createGroup(event) {
    event.preventDefault();
    const title = els.groupTitle.value.trim();
    const memberIds = Array.from(
      els.groupMembers.querySelectorAll("input[name=member]:checked"),
      (box) => Number(box.value),
    );
    // The first member is the group's creator: put the current user first.
    memberIds.sort((a, b) => (a === state.userId ? -1 : b === state.userId ? 1 : 0));
    if (!title || memberIds.length === 0) {
      showToast("A group needs a title and at least one member", "error");
      return;
    }
    try {
      const { id } = await api("POST", `${API}/groups`, { title, member_ids: memberIds });
      els.groupForm.reset();
      els.newGroup.open = false;
      renderGroupMembers();
      await loadGroups();
      await openChat(state.groups.get(id) || { id, type: "group", title });
    } catch (error) {
      showToast(`Could not create the group: ${error.message}`, "error");
    }
  }

  // --- the open chat ------------------------------------------------------------------

  function isGroup(chat = state.chat) {
    return Boolean(chat) && chat.type !== "private";
  }

  function renderHeader() {
    const chat = state.chat;
    if (!chat) {
      els.chatTitle.textContent = "No chat";
      els.chatSubtitle.textContent = "Create a user to start";
      els.chatAvatar.textContent = "?";
      els.sendAs.hidden = true;
      return;
    }
    if (isGroup(chat)) {
      const count = (chat.member_ids || []).length;
      els.chatTitle.textContent = chat.title || "Group";
      els.chatSubtitle.textContent = count ? `${count} member${count === 1 ? "" : "s"} and the bot` : chat.type;
      els.chatAvatar.textContent = initials(chat.title || "G");
    } else {
      const user = state.users.get(chat.id);
      els.chatTitle.textContent = state.bot.first_name;
      els.chatSubtitle.textContent = `bot · you are ${userName(user)}`;
      els.chatAvatar.textContent = initials(state.bot.first_name);
    }
    els.chatAvatar.style.background = avatarColor(chat.id);
    renderSendAs();
  }

  function renderSendAs() {
    if (!isGroup()) {
      els.sendAs.hidden = true;
      return;
    }
    const members = (state.chat.member_ids || []).map((id) => state.users.get(id)).filter(Boolean);
    const previous = Number(els.sendAsSelect.value) || state.userId;
    els.sendAsSelect.replaceChildren(
      ...members.map((user) => el("option", { value: user.id, text: userName(user) })),
    );
    const ids = members.map((user) => user.id);
    const chosen = ids.includes(previous) ? previous : ids.includes(state.userId) ? state.userId : ids[0];
    if (chosen !== undefined) els.sendAsSelect.value = String(chosen);
    els.sendAs.hidden = members.length === 0;
  }

  /** The user who acts in the open chat: the private chat's user or the chosen member. */
  function actorId() {
    if (isGroup()) return Number(els.sendAsSelect.value) || state.userId;
    return state.chat ? state.chat.id : state.userId;
  }

  async function openChat(chat) {
    stopPolling();
    state.chat = { ...chat };
    state.seq = 0;
    state.messages.clear();
    state.deleted.clear();
    state.keyboard = null;
    state.keyboardHidden = false;
    setReplyTo(null);
    els.messages.replaceChildren(els.emptyState);
    els.emptyState.textContent = "Loading…";
    els.input.disabled = false;
    els.sendButton.disabled = false;
    renderHeader();
    renderChatList();
    renderReplyKeyboard();
    savePrefs();
    await refreshChatInfo();
    startPolling();
  }

  async function refreshChatInfo() {
    const chat = state.chat;
    if (!chat) return;
    try {
      const info = await api("GET", `${API}/chats/${chat.id}`);
      if (state.chat !== chat) return;
      if (info.chat) Object.assign(chat, info.chat);
      if (Array.isArray(info.member_ids)) chat.member_ids = info.member_ids;
      chat.bot_status = info.bot_status;
      chat.migrated_to_chat_id = info.migrated_to_chat_id;
      setKeyboard(info.reply_keyboard || null);
      renderHeader();
    } catch (error) {
      if (error.status === 404) showToast("This chat no longer exists", "error");
    }
  }

  // --- receiving: the long poll ----------------------------------------------------------

  function setConnection(stateName, text) {
    els.connection.dataset.state = stateName;
    els.connection.textContent = text;
  }

  function stopPolling() {
    state.pollGeneration += 1;
    if (state.pollAbort) state.pollAbort.abort();
    state.pollAbort = null;
  }

  function startPolling() {
    stopPolling();
    const generation = state.pollGeneration;
    const controller = new AbortController();
    state.pollAbort = controller;
    pollLoop(generation, controller.signal);
  }

  async function pollLoop(generation, signal) {
    const chat = state.chat;
    let retry = RETRY_FIRST_MS;
    let first = true;
    while (generation === state.pollGeneration && !signal.aborted) {
      // The first request returns the history at once; later ones wait for any change.
      const wait = first ? 0 : POLL_WAIT_SECONDS;
      const url = `${API}/chats/${chat.id}/messages?since_seq=${state.seq}&wait=${wait}`;
      try {
        const data = await api("GET", url, undefined, { signal });
        if (generation !== state.pollGeneration) return;
        first = false;
        retry = RETRY_FIRST_MS;
        setConnection("online", "");
        applyUpdates(data);
      } catch (error) {
        if (signal.aborted || generation !== state.pollGeneration) return;
        if (error.status === 404) {
          setConnection("offline", "Chat not found");
          return;
        }
        setConnection("offline", `Reconnecting in ${Math.round(retry / 1000)} s…`);
        await sleep(retry, signal);
        retry = Math.min(retry * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Fetch what changed right now, so the user's own action shows before scrolling. */
  async function syncNow() {
    const chat = state.chat;
    if (!chat) return;
    try {
      const data = await api("GET", `${API}/chats/${chat.id}/messages?since_seq=${state.seq}&wait=0`);
      if (state.chat === chat) applyUpdates(data);
    } catch {
      /* the long poll will catch up */
    }
  }

  function applyUpdates(data) {
    const messages = (data && data.messages) || [];
    const deleted = (data && data.deleted) || [];
    let added = false;
    let touchesKeyboard = false;
    const nearBottom = isNearBottom();
    for (const id of deleted) {
      removeMessage(typeof id === "object" ? id.message_id : id);
    }
    for (const message of messages) {
      if (message.deleted) {
        removeMessage(message.message_id);
        continue;
      }
      if (upsertMessage(message)) added = true;
      const markup = message.reply_markup;
      if (message.from !== "bot" || (markup && (markup.keyboard || markup.remove_keyboard))) {
        touchesKeyboard = true;
      }
      if (typeof message.seq === "number") state.seq = Math.max(state.seq, message.seq);
    }
    if (data && typeof data.seq === "number") state.seq = Math.max(state.seq, data.seq);
    updateEmptyState();
    if (added && nearBottom) scrollToBottom();
    if (touchesKeyboard) refreshChatInfo();
  }

  function isNearBottom() {
    const box = els.messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function scrollToBottom() {
    els.messages.scrollTop = els.messages.scrollHeight;
  }

  function updateEmptyState() {
    const empty = state.messages.size === 0;
    if (empty) {
      els.emptyState.textContent = isGroup()
        ? "No messages yet. The bot sees commands, mentions and replies to it."
        : "No messages yet. Say /start to the bot.";
      if (!els.emptyState.isConnected) els.messages.append(els.emptyState);
    } else if (els.emptyState.isConnected) {
      els.emptyState.remove();
    }
  }

  function removeMessage(messageId) {
    state.deleted.add(messageId);
    const entry = state.messages.get(messageId);
    if (!entry) return;
    state.messages.delete(messageId);
    entry.el.remove();
  }

  /** Add a message or replace it in place; returns whether it is new. */
  function upsertMessage(message) {
    const id = message.message_id;
    if (state.deleted.has(id)) return false;
    const existing = state.messages.get(id);
    if (existing && typeof existing.data.seq === "number" && message.seq < existing.data.seq) {
      return false; // an older copy from a slower request
    }
    const node = renderMessage(message);
    state.messages.set(id, { data: message, el: node });
    if (existing) {
      existing.el.replaceWith(node);
      return false;
    }
    // Keep message_id order even if a slower response arrives late.
    let before = null;
    for (const [otherId, entry] of state.messages) {
      if (otherId > id && (!before || otherId < Number(before.dataset.messageId))) before = entry.el;
    }
    els.messages.insertBefore(node, before && before.isConnected ? before : null);
    return true;
  }

  // --- rendering one message -------------------------------------------------------------

  function senderOf(message) {
    if (message.from === "bot") return { name: state.bot.first_name, id: "bot" };
    const user = state.users.get(message.user_id);
    return { name: user ? userName(user) : `User ${message.user_id ?? ""}`.trim(), id: message.user_id };
  }

  function isOutgoing(message) {
    if (message.from === "bot") return false;
    if (!isGroup()) return true;
    return message.user_id === actorId();
  }

  function serviceText(message) {
    const service = message.service || {};
    const who = senderOf(message).name;
    if (service.group_chat_created) return `${who} created the group`;
    if (service.new_chat_members) {
      const names = service.new_chat_members.map((member) => member.first_name).join(", ");
      return `${names} joined the group`;
    }
    if (service.left_chat_member) return `${who} removed ${service.left_chat_member.first_name}`;
    if (service.migrate_to_chat_id) return "The group was upgraded to a supergroup";
    if (service.migrate_from_chat_id) return "The supergroup was created from a group";
    const payment = message.successful_payment || service.successful_payment;
    if (payment) {
      return `${who} paid ${formatAmount(payment.total_amount, payment.currency)}`;
    }
    return null;
  }

  function renderMessage(message) {
    const service = serviceText(message);
    if (service !== null && !message.text && !message.document && !message.photo) {
      const line = el(
        "div",
        { class: "service", dataset: { messageId: message.message_id } },
        el("span", { class: "service__text", text: service }),
      );
      const target = message.service && message.service.migrate_to_chat_id;
      if (target) {
        line.append(
          el("button", {
            type: "button",
            class: "link-button",
            text: "Open the supergroup",
            onclick: async () => {
              await loadGroups();
              openChat(state.groups.get(target) || { id: target, type: "supergroup", title: state.chat.title });
            },
          }),
        );
      }
      return line;
    }

    const outgoing = isOutgoing(message);
    const sender = senderOf(message);
    const row = el("div", {
      class: `message ${outgoing ? "message--out" : "message--in"} message--from-${message.from}`,
      dataset: { messageId: message.message_id, from: message.from },
    });
    const bubble = el("div", { class: "bubble" });
    row.append(bubble);
    const group = isGroup();

    if (group && !outgoing) {
      bubble.append(
        el("div", {
          class: "bubble__sender",
          style: `color:${avatarColor(sender.id === "bot" ? 0 : sender.id)}`,
          text: sender.name,
        }),
      );
    }

    if (message.reply_to_message_id) {
      const quoted = state.messages.get(message.reply_to_message_id);
      bubble.append(
        el(
          "div",
          { class: "bubble__quote" },
          el("span", { class: "bubble__quote-name", text: quoted ? senderOf(quoted.data).name : "Reply" }),
          el("span", { class: "bubble__quote-text", text: quoted ? previewText(quoted.data) : "Deleted message" }),
        ),
      );
    }

    if (message.photo) bubble.append(renderPhoto(message.photo));
    if (message.document) bubble.append(renderDocument(message.document));
    if (message.invoice) bubble.append(renderInvoice(message));

    const meta = el("div", { class: "bubble__meta" });
    if (message.edited) meta.append(el("span", { class: "edited", text: "edited" }));
    const time = formatTime(message.date);
    if (time) {
      meta.append(el("time", { datetime: new Date(message.date * 1000).toISOString(), text: time }));
    }

    if (message.text !== null && message.text !== undefined && message.text !== "") {
      const body = el("div", { class: "bubble__text" });
      if (message.html) body.append(sanitizeHtml(message.html));
      else body.append(linkify(message.text));
      // An invisible copy of the time (CSS ::after) reserves room for it on the last line.
      body.dataset.meta = [message.edited ? "edited" : "", time].filter(Boolean).join(" ");
      bubble.append(body);
      bubble.classList.add("bubble--text-last");
    }
    bubble.append(meta);

    const actions = el("div", { class: "message__actions" });
    actions.append(
      el("button", {
        type: "button",
        class: "reply-action",
        "aria-label": `Reply to ${sender.name}`,
        title: "Reply",
        text: "↩",
        onclick: () => setReplyTo(message),
      }),
    );
    row.append(actions);

    const markup = message.reply_markup;
    if (markup && Array.isArray(markup.inline_keyboard)) {
      row.append(renderInlineKeyboard(message, markup.inline_keyboard));
    }
    return row;
  }

  function previewText(message) {
    if (message.text) return message.text.slice(0, 80);
    if (message.photo) return "Photo";
    if (message.document) return message.document.file_name || "File";
    if (message.invoice) return message.invoice.title;
    return "Message";
  }

  function renderPhoto(photo) {
    const size = photo.width && photo.height ? `${photo.width}×${photo.height}` : "";
    return el(
      "figure",
      { class: "photo" },
      el(
        "a",
        { href: photo.url, target: "_blank", rel: "noopener", title: "Open the photo" },
        el("img", {
          src: photo.url,
          alt: "Photo",
          width: photo.width || null,
          height: photo.height || null,
          loading: "lazy",
        }),
      ),
      el(
        "figcaption",
        { class: "photo__caption" },
        el("a", { href: photo.url, download: "", class: "download", text: "Download photo" }),
        size ? ` · ${size}` : "",
      ),
    );
  }

  function renderDocument(document_) {
    const name = document_.file_name || "file";
    const details = [formatSize(document_.file_size), document_.mime_type].filter(Boolean).join(" · ");
    return el(
      "div",
      { class: "document" },
      el("span", { class: "document__icon", "aria-hidden": "true", text: extensionOf(name) }),
      el(
        "span",
        { class: "document__text" },
        el("a", {
          class: "document__name download",
          href: document_.url,
          download: name,
          title: `Download ${name}`,
          text: name,
        }),
        el("span", { class: "document__details", text: details }),
      ),
    );
  }

  function extensionOf(name) {
    const match = name.match(/\.([A-Za-z0-9]{1,4})$/);
    return match ? match[1].toUpperCase() : "FILE";
  }

  function renderInvoice(message) {
    const invoice = message.invoice;
    const card = el(
      "div",
      { class: "invoice" },
      el("div", { class: "invoice__title", text: invoice.title }),
      el("div", { class: "invoice__description", text: invoice.description }),
      el("div", { class: "invoice__amount", text: formatAmount(invoice.total_amount, invoice.currency) }),
    );
    const buttons = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
    const hasPayButton = buttons.some((row) => row.some((button) => button.pay));
    if (!hasPayButton) {
      card.append(
        el("button", {
          type: "button",
          class: "button button--primary invoice__pay",
          text: `Pay ${formatAmount(invoice.total_amount, invoice.currency)}`,
          onclick: (event) => pay(message, event.currentTarget),
        }),
      );
    }
    return card;
  }

  function renderInlineKeyboard(message, rows) {
    const keyboard = el("div", { class: "inline-keyboard", role: "group", "aria-label": "Message buttons" });
    for (const row of rows) {
      const line = el("div", { class: "inline-keyboard__row" });
      for (const button of row) line.append(renderInlineButton(message, button));
      keyboard.append(line);
    }
    return keyboard;
  }

  function renderInlineButton(message, button) {
    const url = button.url || (button.login_url && button.login_url.url) || (button.web_app && button.web_app.url);
    if (url) {
      return el(
        "a",
        {
          class: "inline-button inline-button--url",
          href: url,
          target: "_blank",
          rel: "noopener noreferrer",
        },
        button.text,
        el("span", { class: "inline-button__corner", "aria-hidden": "true", text: "↗" }),
        el("span", { class: "visually-hidden", text: " (opens in a new tab)" }),
      );
    }
    const node = el("button", { type: "button", class: "inline-button", text: button.text });
    if (button.callback_data !== undefined) {
      node.addEventListener("click", () => pressCallback(message, button, node));
    } else if (button.pay) {
      node.addEventListener("click", () => pay(message, node));
    } else if (button.copy_text) {
      node.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(button.copy_text.text);
          showToast("Copied to the clipboard");
        } catch {
          showToast(button.copy_text.text);
        }
      });
    } else {
      node.addEventListener("click", () => showToast("The emulator does not support this button", "error"));
    }
    return node;
  }

  // --- acting: callbacks, payments, messages ------------------------------------------------

  function busy(node, on) {
    if (!node) return;
    node.disabled = on;
    node.classList.toggle("is-busy", on);
    if (on) node.setAttribute("aria-busy", "true");
    else node.removeAttribute("aria-busy");
  }

  async function pressCallback(message, button, node) {
    const chat = state.chat;
    busy(node, true);
    try {
      const body = { message_id: message.message_id, data: button.callback_data };
      if (isGroup(chat)) body.chat_id = chat.id;
      const result = await api("POST", `${API}/users/${actorId()}/callback`, body);
      const answer = result && result.answer;
      if (!answer) {
        showToast("The bot did not answer the button", "error");
      } else if (answer.text && answer.show_alert) {
        showAlert(answer.text);
      } else if (answer.text) {
        showToast(answer.text);
      }
      if (answer && answer.url) window.open(answer.url, "_blank", "noopener");
    } catch (error) {
      showToast(error.message, "error");
    } finally {
      busy(node, false);
      syncNow();
    }
  }

  async function pay(message, node) {
    const chat = state.chat;
    busy(node, true);
    try {
      const body = { message_id: message.message_id };
      if (isGroup(chat)) body.chat_id = chat.id;
      const result = await api("POST", `${API}/users/${actorId()}/pay`, body);
      if (result.status === "paid") showToast("Payment successful");
      else if (result.status === "declined") {
        showAlert(result.error_message || "The bot declined the payment.", "Payment declined");
      } else showAlert("The bot did not confirm the payment in time.", "Payment failed");
    } catch (error) {
      showToast(error.message, "error");
    } finally {
      busy(node, false);
      syncNow();
    }
  }

  /** Post to the open chat as the acting user: JSON fields, or a form with the file. */
  function postMessage(fields, file) {
    const chat = state.chat;
    const body = { ...fields };
    if (state.replyTo) body.reply_to_message_id = state.replyTo;
    if (isGroup(chat)) body.user_id = actorId();
    const path = isGroup(chat) ? `${API}/groups/${chat.id}/messages` : `${API}/users/${chat.id}/messages`;
    if (!file) return api("POST", path, body);
    const form = new FormData();
    form.append("file", file, file.name);
    for (const [key, value] of Object.entries(body)) form.append(key, String(value));
    return api("POST", path, form);
  }

  function sendText(text) {
    return postMessage({ text });
  }

  function sendFile(file, caption) {
    const fields = {};
    if (caption) fields.caption = caption;
    if (els.asPhoto.checked) fields.as_photo = "1";
    return postMessage(fields, file);
  }

  async function submitComposer(event) {
    if (event) event.preventDefault();
    if (state.sending || !state.chat) return;
    const text = els.input.value;
    const file = els.fileInput.files && els.fileInput.files[0];
    if (!file && !text.trim()) return;
    state.sending = true;
    busy(els.sendButton, true);
    try {
      if (file) await sendFile(file, text.trim());
      else await sendText(text);
      els.input.value = "";
      clearAttachment();
      setReplyTo(null);
      autoGrow();
      renderCommandMenu();
      await syncNow();
      scrollToBottom();
    } catch (error) {
      showToast(error.message, "error");
    } finally {
      state.sending = false;
      busy(els.sendButton, false);
      els.input.focus();
    }
  }

  async function pressReplyButton(button) {
    if (state.sending) return;
    const text = typeof button === "string" ? button : button.text;
    if (typeof button === "object" && (button.request_contact || button.request_location)) {
      showToast("The emulator does not share contacts or locations", "error");
      return;
    }
    state.sending = true;
    try {
      await sendText(text);
      setReplyTo(null);
      await syncNow();
      scrollToBottom();
    } catch (error) {
      showToast(error.message, "error");
    } finally {
      state.sending = false;
    }
  }

  function setReplyTo(message) {
    state.replyTo = message ? message.message_id : null;
    els.replyTo.hidden = !message;
    if (message) {
      els.replyToText.textContent = `Replying to ${senderOf(message).name}: ${previewText(message)}`;
      els.input.focus();
    }
  }

  function clearAttachment() {
    els.fileInput.value = "";
    els.asPhoto.checked = false;
    els.attachment.hidden = true;
    els.input.placeholder = keyboardPlaceholder() || "Message";
  }

  function onFileChosen() {
    const file = els.fileInput.files && els.fileInput.files[0];
    if (!file) {
      clearAttachment();
      return;
    }
    els.attachmentName.textContent = `${file.name} · ${formatSize(file.size)}`;
    els.asPhoto.checked = file.type.startsWith("image/") && els.asPhoto.checked;
    els.attachment.hidden = false;
    els.input.placeholder = "Add a caption";
    els.input.focus();
  }

  // --- the bot's command menu ------------------------------------------------------------------

  /** While the message is a lone "/word", the bot's commands starting with it; a click sends one. */
  function renderCommandMenu() {
    const menu = els.commandMenu;
    const typed = els.input.value.match(/^\/(\w*)$/);
    const prefix = typed ? typed[1].toLowerCase() : null;
    const matching = prefix === null ? [] : state.bot.commands.filter((c) => c.command.startsWith(prefix));
    menu.replaceChildren(
      ...matching.map((c) =>
        el(
          "button",
          { type: "button", class: "command-menu__item", onclick: () => sendCommand(c.command) },
          el("span", { class: "command-menu__command", text: `/${c.command}` }),
          el("span", { class: "command-menu__description", text: ` ${c.description}` }),
        ),
      ),
    );
    menu.hidden = matching.length === 0;
  }

  function sendCommand(command) {
    els.input.value = `/${command}`;
    submitComposer();
  }

  async function onInput() {
    autoGrow();
    renderCommandMenu();
    if (els.input.value === "/") {
      await loadBot(); // the bot may have changed its commands since the page loaded
      renderCommandMenu();
    }
  }

  // --- the reply keyboard -------------------------------------------------------------------

  function keyboardPlaceholder() {
    return state.keyboard && state.keyboard.input_field_placeholder;
  }

  function setKeyboard(markup) {
    const keyboard = markup && Array.isArray(markup.keyboard) ? markup : null;
    if (JSON.stringify(keyboard) !== JSON.stringify(state.keyboard)) {
      state.keyboard = keyboard;
      state.keyboardHidden = false;
      renderReplyKeyboard();
    }
  }

  function renderReplyKeyboard() {
    const box = els.replyKeyboard;
    const keyboard = state.keyboard;
    box.replaceChildren();
    els.keyboardToggle.hidden = !keyboard;
    if (!els.fileInput.files || !els.fileInput.files.length) {
      els.input.placeholder = keyboardPlaceholder() || "Message";
    }
    if (!keyboard) {
      box.hidden = true;
      return;
    }
    for (const row of keyboard.keyboard) {
      const line = el("div", { class: "reply-keyboard__row" });
      for (const button of row) {
        const text = typeof button === "string" ? button : button.text;
        line.append(
          el("button", {
            type: "button",
            class: "reply-button",
            text,
            onclick: () => pressReplyButton(button),
          }),
        );
      }
      box.append(line);
    }
    box.classList.toggle("reply-keyboard--compact", Boolean(keyboard.resize_keyboard));
    box.hidden = state.keyboardHidden;
    els.keyboardToggle.setAttribute("aria-expanded", String(!state.keyboardHidden));
    els.keyboardToggle.setAttribute(
      "aria-label",
      state.keyboardHidden ? "Show the bot keyboard" : "Hide the bot keyboard",
    );
  }

  // --- toasts and alerts ------------------------------------------------------------------

  function showToast(text, kind = "info") {
    const toast = el("div", { class: `toast toast--${kind}`, text });
    els.toasts.append(toast);
    setTimeout(() => {
      toast.classList.add("toast--leaving");
      setTimeout(() => toast.remove(), 300);
    }, TOAST_MS);
  }

  function showAlert(text, title) {
    els.alertTitle.textContent = title || state.bot.first_name;
    els.alertText.textContent = text;
    if (typeof els.alertDialog.showModal === "function") {
      if (!els.alertDialog.open) els.alertDialog.showModal();
    } else {
      window.alert(text);
    }
  }

  // --- layout ---------------------------------------------------------------------------------

  function openSidebar() {
    els.app.classList.add("sidebar-open");
    els.openSidebar.setAttribute("aria-expanded", "true");
    els.userSelect.focus();
  }

  function closeSidebar() {
    if (!els.app.classList.contains("sidebar-open")) return;
    els.app.classList.remove("sidebar-open");
    els.openSidebar.setAttribute("aria-expanded", "false");
  }

  function autoGrow() {
    const input = els.input;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  // --- start --------------------------------------------------------------------------------

  function bindEvents() {
    els.userForm.addEventListener("submit", createUser);
    els.groupForm.addEventListener("submit", createGroup);
    els.userSelect.addEventListener("change", () => {
      const id = Number(els.userSelect.value);
      if (id) selectUser(id);
    });
    els.sendAsSelect.addEventListener("change", () => {
      for (const entry of state.messages.values()) {
        const node = renderMessage(entry.data);
        entry.el.replaceWith(node);
        entry.el = node;
      }
    });
    els.composer.addEventListener("submit", submitComposer);
    els.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitComposer();
      }
    });
    els.input.addEventListener("input", onInput);
    els.fileInput.addEventListener("change", onFileChosen);
    els.attachmentClear.addEventListener("click", clearAttachment);
    els.replyCancel.addEventListener("click", () => setReplyTo(null));
    els.keyboardToggle.addEventListener("click", () => {
      state.keyboardHidden = !state.keyboardHidden;
      renderReplyKeyboard();
    });
    els.openSidebar.addEventListener("click", openSidebar);
    els.closeSidebar.addEventListener("click", closeSidebar);
    els.app.addEventListener("click", (event) => {
      if (event.target === els.app) closeSidebar();
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeSidebar();
    });
    els.messages.addEventListener("click", (event) => {
      const spoiler = event.target.closest(".spoiler");
      if (spoiler) spoiler.classList.add("spoiler--revealed");
    });
    window.addEventListener("focus", () => {
      loadUsers().catch(() => {});
      loadGroups();
    });
  }

  async function start() {
    bindEvents();
    await loadBot();
    try {
      await loadUsers();
    } catch (error) {
      setConnection("offline", "The emulator is not reachable");
      showToast(`Cannot load users: ${error.message}`, "error");
      return;
    }
    await loadGroups();
    const prefs = loadPrefs();
    if (prefs.userId && state.users.has(prefs.userId)) {
      state.userId = prefs.userId;
    } else if (state.users.size) {
      state.userId = state.users.keys().next().value;
    }
    renderUserSelect();
    renderGroupMembers();
    renderChatList();
    if (state.userId === null) {
      els.newUser.open = true;
      if (window.matchMedia("(max-width: 760px)").matches) openSidebar();
      els.userFirstName.focus();
      updateEmptyState();
      els.emptyState.textContent = "Create a user on the left to start chatting with the bot.";
      return;
    }
    const group = prefs.chatId ? state.groups.get(prefs.chatId) : null;
    await openChat(group || privateChat());
  }

  start();
})();
