// The Mocheong chat client: an ES module, no build step, served at /static/mocheong-client.js.
//
// It speaks either transport of the same protocol (docs/realtime.md, /schema/asyncapi.json):
// the raw WebSocket /ws/chat (built in; pass `WebSocket` where there is no global one) or
// Socket.IO (pass the `io` function of socket.io-client). It assembles each reply from its
// chunks in `seq` order, drops what it has already seen, and after a dropped connection
// reconnects, signs in with a fresh token from `getToken` and resumes after the last cursor
// it received, so the reply continues with no gap and no duplicate.
//
//   import { connectChat } from "/static/mocheong-client.js";
//   const chat = connectChat({ url: location.origin, getToken: async () => myAccessToken });
//   chat.on("text", ({ message_id, text }) => render(message_id, text));
//   await chat.join(`page-${pageId}`);
//   const { message_id } = await chat.send("Hello");
//   chat.cancel(message_id);

const ANSWERS = new Set(["session-info", "message-accepted", "pong", "error"]);

export function connectChat(options) {
  return new ChatClient(options);
}

export class ChatClient {
  constructor({
    url,
    getToken,
    transport = "websocket",
    io,
    socketioTransports = ["websocket"], // ["polling", "websocket"] needs sticky sessions
    WebSocket,
    reconnectDelay = 500,
  }) {
    this.url = url.replace(/\/$/, "");
    this.getToken = getToken;
    this.transport = transport;
    this.io = io;
    this.socketioTransports = socketioTransports;
    this.WebSocket = WebSocket ?? globalThis.WebSocket;
    this.reconnectDelay = reconnectDelay;
    // message_id -> {text, streamed, seq, components, final}: `streamed` is what the chunks
    // made, `text` the same until the stored message (`final`) replaces it.
    this.messages = new Map();
    this.stats = { duplicates: 0, gaps: 0, reconnects: 0 };
    this.session = null;
    this.room = null;
    this.cursor = null;
    this.closed = false;
    this.listeners = new Map();
    this.pending = []; // raw WebSocket: requests waiting for their answer, in order
    this.ready = this.#open();
  }

  on(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
    return () => this.listeners.get(event).delete(listener);
  }

  async join(room) {
    await this.ready;
    this.room = room;
    this.session = await this.#request("joinRoom", { room });
    return this.session;
  }

  async send(text, clientMessageId) {
    await this.ready;
    const data = { text };
    if (clientMessageId) data.client_message_id = clientMessageId;
    return this.#request("chat-message", data);
  }

  async cancel(messageId) {
    await this.ready;
    this.#emit("cancel", { message_id: messageId });
  }

  // A fresh access token on the open connection (after a login refresh).
  async refresh() {
    await this.ready;
    this.#emit("auth", { token: await this.getToken() });
  }

  // Drops the connection and opens a new one that resumes where this one stopped.
  async reconnect() {
    this.#drop();
    await this.ready;
  }

  close() {
    this.closed = true;
    this.#drop();
  }

  text(messageId) {
    return this.messages.get(messageId)?.text ?? "";
  }

  #fire(event, data) {
    for (const listener of this.listeners.get(event) ?? []) listener(data);
  }

  async #open() {
    const token = await this.getToken();
    if (this.transport === "socketio") await this.#openSocketIO(token);
    else await this.#openWebSocket(token);
    if (this.session) {
      await this.#request("resume", { session_id: this.session.session_id, cursor: this.cursor });
    }
  }

  #openSocketIO(token) {
    return new Promise((resolve, reject) => {
      const socket = this.io(`${this.url}/chat`, {
        auth: { token },
        reconnection: false,
        forceNew: true,
        transports: this.socketioTransports,
      });
      this.socket = socket;
      socket.onAny((event, data) => {
        if (!ANSWERS.has(event)) this.#receive(event, data);
        else if (event === "error" && data.code === "unauthorized") this.#fire("error", data);
      });
      socket.on("connect", resolve);
      socket.on("connect_error", (error) => reject(error));
      socket.on("disconnect", () => this.#lost(socket));
    });
  }

  #openWebSocket(token) {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(`${this.url.replace(/^http/, "ws")}/ws/chat`);
      this.socket = ws;
      ws.onopen = () => {
        ws.send(JSON.stringify({ event: "auth", data: { token } }));
        resolve();
      };
      ws.onerror = (error) => reject(error);
      ws.onmessage = (message) => {
        const { event, data } = JSON.parse(message.data);
        if (ANSWERS.has(event) && this.pending.length) this.#answer(event, data);
        else if (event === "error") this.#fire("error", data);
        else this.#receive(event, data);
      };
      ws.onclose = (closing) => {
        if (closing.code === 4401) this.#fire("error", { code: "unauthorized" });
        this.#lost(ws);
      };
    });
  }

  #request(event, data) {
    if (this.transport === "socketio") {
      return this.socket.emitWithAck(event, data).then(({ event: answer, data: reply }) => {
        if (answer === "error") throw Object.assign(new Error(reply.message), reply);
        return reply;
      });
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.#emit(event, data);
    });
  }

  #answer(event, data) {
    const { resolve, reject } = this.pending.shift();
    if (event === "error") reject(Object.assign(new Error(data.message), data));
    else resolve(data);
  }

  #emit(event, data) {
    if (this.transport === "socketio") this.socket.emit(event, data);
    else this.socket.send(JSON.stringify({ event, data }));
  }

  #drop() {
    const socket = this.socket;
    if (!socket) return;
    if (this.transport === "socketio") socket.disconnect();
    else socket.close();
  }

  #lost(socket) {
    if (socket !== this.socket) return;
    for (const { reject } of this.pending.splice(0)) reject(new Error("connection lost"));
    if (this.closed) return;
    this.stats.reconnects += 1;
    const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const again = () => this.#open().catch(() => pause(this.reconnectDelay).then(again));
    this.ready = pause(0).then(again);
  }

  #message(id) {
    if (!this.messages.has(id)) {
      this.messages.set(id, { text: "", streamed: "", seq: 0, components: [], final: null });
    }
    return this.messages.get(id);
  }

  #receive(event, data) {
    if (data?.cursor && data.cursor !== "resync") this.cursor = data.cursor;
    if (event === "message-chunk" || event === "component") {
      const message = this.#message(data.message_id);
      if (data.seq <= message.seq) {
        this.stats.duplicates += 1;
        return;
      }
      if (data.seq !== message.seq + 1) this.stats.gaps += 1;
      message.seq = data.seq;
      if (event === "component") message.components.push(data.component);
      else {
        message.streamed += data.delta;
        message.text = message.streamed;
      }
      this.#fire("text", { message_id: data.message_id, text: message.text });
    } else if (event === "stream-reset") {
      if (data.message_id) this.messages.delete(data.message_id);
      else this.messages.clear();
    } else if (event === "newMessage") {
      const message = this.#message(data.message_id);
      message.text = data.content;
      message.final = data;
    }
    this.#fire(event, data);
  }
}
