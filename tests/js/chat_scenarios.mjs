// Chat scenarios with node's socket.io-client against a live server.
// Usage: node chat_scenarios.mjs <scenario> <base url> <token> <room> [transport]
// scenarios: refused (connect with the given token), stranger (join the given room),
// resume (a turn, dropped after its first chunk, resumed on a new connection), cancel.
// Prints one JSON line: {"scenario", "events": [{event, data}, ...], ...}.
import { io } from "socket.io-client";

const [scenario, baseUrl, token, room, transport] = process.argv.slice(2);
const options = (extra = {}) => ({
  auth: { token },
  reconnection: false,
  ...(transport === "websocket" ? { transports: ["websocket"] } : {}),
  ...extra,
});
const connect = () => io(`${baseUrl}/chat`, options({ forceNew: true }));
const events = [];
const print = (result) => {
  console.log(JSON.stringify({ scenario, events, ...result }));
  process.exit(0);
};
setTimeout(() => print({ error: "timed out" }), 30_000);

const waiters = new Set();

function listen(socket) {
  socket.onAny((event, data) => {
    events.push({ event, data });
    for (const waiter of waiters) waiter();
  });
}

// The first event from `start` on (an index into `events`) that `done` accepts.
function until(done, start = 0) {
  return new Promise((resolve) => {
    let next = start;
    const check = () => {
      for (; next < events.length; next++) {
        if (done(events[next].event, events[next].data)) {
          waiters.delete(check);
          resolve(events[next].data);
          return;
        }
      }
    };
    waiters.add(check);
    check();
  });
}

const isFinal = (id) => (event, data) => event === "newMessage" && data.message_id === id;

async function turn(socket, text) {
  const info = await socket.emitWithAck("joinRoom", { room });
  const accepted = await socket.emitWithAck("chat-message", { text });
  return { info: info.data, reply: accepted.data.message_id };
}

const scenarios = {
  async refused() {
    const socket = connect();
    socket.on("connect", () => print({ connected: true }));
    socket.on("connect_error", (error) => print({ message: error.message, data: error.data }));
  },
  async stranger() {
    const socket = connect();
    listen(socket);
    const ack = await socket.emitWithAck("joinRoom", { room });
    socket.disconnect();
    print({ ack });
  },
  async resume() {
    const first = connect();
    listen(first);
    const { info, reply } = await turn(first, "2027년 5월 15일 오후 1시");
    const chunk = await until((event) => event === "message-chunk");
    first.disconnect();
    const mark = events.length;
    const second = connect();
    listen(second);
    const resumed = await second.emitWithAck("resume", {
      session_id: info.session_id,
      cursor: chunk.cursor,
    });
    const final = await until(isFinal(reply), mark);
    second.disconnect();
    print({ reply, cursor: chunk.cursor, mark, resumed, final });
  },
  async cancel() {
    const socket = connect();
    listen(socket);
    const { reply } = await turn(socket, "길게 말해줘");
    await until((event) => event === "message-chunk");
    const ack = await socket.emitWithAck("cancel", { message_id: reply });
    const final = await until(isFinal(reply));
    socket.disconnect();
    print({ reply, ack: ack ?? null, final });
  },
};

await scenarios[scenario]();
