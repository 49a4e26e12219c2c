// The Mocheong chat client: an ES module, no build step, served at /static/mocheong-client.js.
//
// It speaks either transport of the same protocol (docs/realtime.md, /schema/asyncapi.json):
// the raw WebSocket /ws/chat (built in; pass `WebSocket` where there is no global one) or
// Socket.IO (pass the `io` function of socket.io-client). It assembles each reply from its
// chunks in `seq` order, drops what it has already seen, and after a dropped connection
// reconnects (with a growing pause between failed attempts), signs in with a fresh token from
// `getToken` and resumes after the last cursor it received, so the reply continues with no gap
// and no duplicate. `getToken({refused})` is asked for a token at every connection; `refused`
// is true when the server refused the last one (expired, signed out): refresh the login then.
//
//   import { connectChat } from "/static/mocheong-client.js";
//   const chat = connectChat({ url: location.origin, getToken: async () => myAccessToken });
//   chat.on("text", ({ message_id, text }) => render(message_id, text));
//   chat.on("state", (state) => show(state)); // "connected" | "reconnecting"
//   await chat.join(`page-${pageId}`);
//   const { message_id } = await chat.send("Hello", crypto.randomUUID());
//   chat.cancel(message_id);

// The requests each answer answers; a refusal (`error`) names its request in `event`.
const ANSWERS = new Map([
  ["session-info", ["joinRoom", "resume"]],
  ["message-accepted", ["chat-message"]],
  ["pong", ["ping"]],
  ["error", []],
]);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A request whose connection dropped before its answer came.
export class ConnectionLost extends Error {
  constructor() {
    super("connection lost");
    this.code = "connection_lost";
  }
}

const refusal = (data) => Object.assign(new Error(data.message), data);

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
    reconnectDelay = 250, // doubled after each failed attempt, up to maxReconnectDelay
    maxReconnectDelay = 4000,
  }) {
    this.url = url.replace(/\/$/, "");
    this.getToken = getToken;
    this.transport = transport;
    this.io = io;
    this.socketioTransports = socketioTransports;
    this.WebSocket = WebSocket ?? globalThis.WebSocket;
    this.reconnectDelay = reconnectDelay;
    this.maxReconnectDelay = maxReconnectDelay;
    // message_id -> {text, streamed, seq, components, final}: `streamed` is what the chunks
    // made, `text` the same until the stored message (`final`) replaces it.
    this.messages = new Map();
    this.stats = { duplicates: 0, gaps: 0, reconnects: 0 };
    this.session = null;
    this.cursor = null;
    this.replaying = false; // a snapshot asked for replies joined mid-way is on its way
    this.replayed = new Set(); // the replies a snapshot was asked for
    this.closed = false;
    this.refused = false; // the server refused the last token
    this.connecting = false;
    this.socket = null; // null while there is no open connection
    this.listeners = new Map();
    this.pending = []; // requests waiting for their answer, in the order they were sent
    this.ready = this.#connect();
  }

  on(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(listener);
    return () => this.listeners.get(event).delete(listener);
  }

  // Joins the room (again after a connection lost before the answer); the session-info.
  async join(room) {
    this.session = null;
    this.session = await this.#ask("joinRoom", { room }, true);
    this.#replayStarts(); // a reply already under way when the client joined
    return this.session;
  }

  // With a `clientMessageId` the server answers a repeat with the first message, so the
  // message is sent again when the connection drops before the answer; without one it is not.
  async send(text, clientMessageId) {
    const data = { text };
    if (clientMessageId) data.client_message_id = clientMessageId;
    return this.#ask("chat-message", data, Boolean(clientMessageId));
  }

  async cancel(messageId) {
    await this.ready;
    this.#emit("cancel", { message_id: messageId });
  }

  // A fresh access token on the open connection (after a login refresh).
  async refresh() {
    await this.ready;
    this.#emit("auth", { token: await this.getToken({ refused: false }) });
  }

  // Drops the connection and opens a new one that resumes where this one stopped.
  async reconnect() {
    const socket = this.socket;
    this.#drop();
    this.#lost(socket);
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

  // Opens a connection, trying again after a growing pause until one holds or the client is
  // closed; resolves then (never rejects).
  async #connect() {
    this.connecting = true;
    try {
      for (let attempt = 0; !this.closed; attempt += 1) {
        if (attempt) {
          await pause(Math.min(this.reconnectDelay * 2 ** (attempt - 1), this.maxReconnectDelay));
        }
        try {
          await this.#open();
          this.#fire("state", "connected");
          this.#replayStarts(); // asked on a connection that dropped before the answer
          return;
        } catch {
          this.#drop(); // the next attempt opens a new one
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  async #open() {
    const refused = this.refused;
    this.refused = false;
    const token = await this.getToken({ refused });
    if (this.closed) throw new ConnectionLost();
    const socket =
      this.transport === "socketio" ? await this.#openSocketIO(token) : await this.#openWebSocket(token);
    if (this.session) {
      try {
        await this.#request("resume", { session_id: this.session.session_id, cursor: this.cursor });
      } catch (error) {
        if (error instanceof ConnectionLost) throw error;
        this.session = null; // the session is gone: join again
        this.#fire("error", error);
      }
    }
    if (socket !== this.socket) throw new ConnectionLost();
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
        if (socket !== this.socket) return; // a dropped connection's last events
        if (!ANSWERS.has(event)) this.#receive(event, data);
        else if (event === "error" && data.code === "unauthorized") this.#unauthorized(data);
      });
      socket.on("connect", () => resolve(socket));
      socket.on("connect_error", (error) => {
        if (error.data?.code === "unauthorized") this.refused = true;
        reject(error);
      });
      socket.on("disconnect", () => this.#lost(socket));
    });
  }

  #openWebSocket(token) {
    return new Promise((resolve, reject) => {
      const ws = new this.WebSocket(`${this.url.replace(/^http/, "ws")}/ws/chat`);
      this.socket = ws;
      ws.onopen = () => {
        ws.send(JSON.stringify({ event: "auth", data: { token } }));
        resolve(ws);
      };
      ws.onerror = (error) => reject(error);
      ws.onmessage = (message) => {
        if (ws !== this.socket) return; // a dropped connection's last frames
        const { event, data } = JSON.parse(message.data);
        const request = ANSWERS.has(event) ? this.#askedBy(event, data) : undefined;
        if (request) this.#settle(request, event, data);
        else if (event === "error") this.#fire("error", data); // a refused cancel or auth
        else this.#receive(event, data);
      };
      ws.onclose = (closing) => {
        if (closing.code === 4401) this.#unauthorized({ code: "unauthorized", message: closing.reason });
        this.#lost(ws);
      };
    });
  }

  #unauthorized(data) {
    this.refused = true;
    this.#fire("error", data);
  }

  // Sends a request once the connection is up; with `again`, sends it anew after a
  // connection lost before its answer.
  async #ask(event, data, again) {
    for (;;) {
      await this.ready;
      try {
        return await this.#request(event, data);
      } catch (error) {
        if (!again || !(error instanceof ConnectionLost) || this.closed) throw error;
      }
    }
  }

  // The oldest request waiting for this answer: the server answers in order, and the
  // requests that wait (join, resume, send) are not the only ones it may refuse (cancel).
  #askedBy(event, data) {
    if (event === "error" && !data.event) return this.pending[0]; // a frame it could not read
    const asked = event === "error" ? [data.event] : ANSWERS.get(event);
    return this.pending.find((request) => asked.includes(request.event));
  }

  #request(event, data) {
    const socket = this.socket;
    if (!socket || this.closed) return Promise.reject(new ConnectionLost());
    return new Promise((resolve, reject) => {
      const request = { event, resolve, reject };
      this.pending.push(request);
      if (this.transport !== "socketio") {
        this.#emit(event, data);
        return;
      }
      socket.emitWithAck(event, data).then(
        (answer) => answer && this.#settle(request, answer.event, answer.data),
        () => null, // the connection dropped: #lost has rejected the request
      );
    });
  }

  #settle(request, event, data) {
    const at = this.pending.indexOf(request);
    if (at >= 0) this.pending.splice(at, 1);
    if (event === "error") request.reject(refusal(data));
    else request.resolve(data);
  }

  #emit(event, data) {
    if (this.transport !== "socketio") this.socket?.send(JSON.stringify({ event, data }));
    else if (event === "cancel") {
      // Socket.IO answers a refused cancel through the acknowledgement only.
      this.socket?.emit(event, data, (answer) => answer?.event === "error" && this.#fire("error", answer.data));
    } else this.socket?.emit(event, data);
  }

  #drop() {
    const socket = this.socket;
    if (!socket) return;
    if (this.transport === "socketio") socket.disconnect();
    else socket.close();
  }

  #lost(socket) {
    if (!socket || socket !== this.socket) return;
    this.socket = null;
    for (const { reject } of this.pending.splice(0)) reject(new ConnectionLost());
    if (this.closed || this.connecting) return;
    this.stats.reconnects += 1;
    this.#fire("state", "reconnecting");
    this.ready = this.#connect();
  }

  #message(id) {
    if (!this.messages.has(id)) {
      this.messages.set(id, {
        text: "",
        streamed: "",
        seq: 0,
        components: [],
        final: null,
        headless: false, // joined after the reply began: waiting for its start
      });
    }
    return this.messages.get(id);
  }

  // Asks the server for a snapshot (`resume` without a cursor) when a reply began before this
  // client joined: its stream-reset and the reply's parts from seq 1 replace what the
  // client skipped, and the live parts continue after them, none twice.
  #replayStarts() {
    const missing = [...this.messages]
      .filter(([id, message]) => message.headless && !this.replayed.has(id))
      .map(([id]) => id);
    if (!missing.length || !this.session || !this.socket || this.replaying) return;
    for (const id of missing) this.replayed.add(id);
    this.replaying = true;
    this.#request("resume", { session_id: this.session.session_id, cursor: null }).then(
      () => {
        this.replaying = false;
        this.#replayStarts();
      },
      (error) => {
        this.replaying = false;
        if (!(error instanceof ConnectionLost)) this.#fire("error", error);
        for (const id of missing) this.replayed.delete(id); // asked again once connected
      },
    );
  }

  #receive(event, data) {
    if (data?.cursor && data.cursor !== "resync") this.cursor = data.cursor;
    if (event === "message-chunk" || event === "component") {
      const message = this.#message(data.message_id);
      if (message.headless || (message.seq === 0 && data.seq > 1)) {
        // Joined after this reply began: its parts wait for the snapshot, which starts with
        // the reply's stream-reset (and a reply the stream no longer holds from seq 1 is
        // completed by its stored final message).
        message.headless = true;
        this.#replayStarts();
        return;
      }
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
      message.headless = false; // the stored message is whole
    }
    this.#fire(event, data);
  }
}
