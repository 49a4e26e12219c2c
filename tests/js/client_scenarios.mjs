// The served chat client (mocheong-client.js) under node against a live server, over either
// transport: join, a streamed turn, a connection dropped after the first chunk and resumed,
// a first token the server refuses (the client asks for a fresh one), cancel, and a refused
// cancel crossing a message in flight.
// Usage: node client_scenarios.mjs <module path> <scenario> <base url> <token> <room> <transport>
// Prints one JSON line with what the client assembled.
import { io } from "socket.io-client";
import WebSocket from "ws";

const [modulePath, scenario, url, token, room, transport] = process.argv.slice(2);
const { connectChat } = await import(modulePath);
const print = (result) => {
  console.log(JSON.stringify({ scenario, ...result }));
  process.exit(0);
};
setTimeout(() => print({ error: "timed out" }), 30_000);

let tokens = 0;
const refused = []; // which calls of getToken said the last token was refused
const chat = connectChat({
  url,
  transport,
  io,
  WebSocket,
  reconnectDelay: 50,
  getToken: async (asked) => {
    tokens += 1;
    if (asked.refused) refused.push(tokens);
    return scenario === "expired" && tokens === 1 ? "an-expired-token" : token;
  },
});
const final = (id) =>
  new Promise((resolve) => {
    chat.on("newMessage", (data) => data.message_id === id && resolve(data));
  });
const firstChunk = () =>
  new Promise((resolve) => {
    const stop = chat.on("message-chunk", (data) => {
      stop();
      resolve(data);
    });
  });

const session = await chat.join(room);
if (scenario === "refused") {
  try {
    await chat.send("   ");
    print({ error: "accepted" });
  } catch (error) {
    print({ code: error.code });
  }
}
if (scenario === "crossed") {
  // A cancel the server refuses while a message waits for its answer: the refusal must not
  // be taken for the message's.
  const errors = [];
  chat.on("error", (data) => errors.push(data));
  const cancelled = chat.cancel("no-such-message");
  const sent = chat.send("안녕하세요", "crossed-1").then(
    (accepted) => ({ client_message_id: accepted.client_message_id }),
    (error) => ({ code: error.code }),
  );
  await cancelled;
  const answer = await sent;
  while (!errors.length) await new Promise((resolve) => setTimeout(resolve, 10));
  print({ answer, errors });
}
const chunk = firstChunk();
const { message_id: reply } = await chat.send(scenario === "cancel" ? "길게 말해줘" : "2027년 5월 15일 오후 1시");
const done = final(reply);
await chunk;
if (scenario === "resume") await chat.reconnect();
if (scenario === "cancel") await chat.cancel(reply);
const message = await done;
chat.close();
print({
  session,
  reply,
  streamed: chat.messages.get(reply).streamed,
  text: chat.text(reply),
  content: message.content,
  status: message.status,
  stats: chat.stats,
  tokens,
  refused,
});
