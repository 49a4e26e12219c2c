// The seed's front-end code (seed 000, "WebSocket Communication (Socket.IO)"), unchanged but
// for the URL, the token and the room, then one chat turn as the seed's sequence diagram
// shows it: joinRoom -> session-info, chat-message -> message-accepted, newMessage.
// Usage: node seed_client.mjs <base url> <access token> <room>
// Prints one JSON line per event received and ends with the line {"done": true, ...}.
import { io } from "socket.io-client";

const [baseUrl, yourJwtToken, pageRoom] = process.argv.slice(2);

// --- the seed's code ---
const socket = io(`${baseUrl}/chat`, {
  auth: { token: yourJwtToken }
});

socket.on('connect', () => {
  socket.emit('joinRoom', { room: pageRoom, userId: 'user-123' });
});

socket.on('newMessage', (message) => {
  console.log('New message:', message);
});
// --- end of the seed's code ---

const record = (event, data) => console.log(JSON.stringify({ event, data }));
const finish = (result) => {
  console.log(JSON.stringify({ done: true, transport: socket.io.engine?.transport?.name, ...result }));
  socket.disconnect();
};
const guard = setTimeout(() => finish({ error: "timed out" }), 30_000);

socket.onAny((event, data) => record(event, data));
socket.on("connect_error", (error) => {
  clearTimeout(guard);
  finish({ error: error.message });
});
socket.on("session-info", () => socket.emit("chat-message", { text: "Hello" }));
socket.on("newMessage", (message) => {
  if (message.role === "assistant" && message.status !== "streaming") {
    clearTimeout(guard);
    finish({ status: message.status });
  }
});
