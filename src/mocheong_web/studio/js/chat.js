// The chat's WebSocket (docs/chat.md): signs in with a first `auth` frame (the token never
// goes in the URL), joins the page's room, and after a dropped connection comes back with
// `resume` from the last cursor it saw, so nothing is missed or repeated.
import {accessToken, refresh} from './api.js';

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];

export class ChatConnection {
  constructor(pageId, sessionId, onEvent, onState) {
    this.pageId = pageId;
    this.sessionId = sessionId;
    this.onEvent = onEvent;
    this.onState = onState;
    this.cursor = null;
    this.joined = false;
    this.everJoined = false;
    this.closed = false;
    this.failures = 0;
    this.outbox = [];
    this.socket = null;
    this.open();
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws/chat`;
  }

  open() {
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.joined = false;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({event: 'auth', data: {token: accessToken() || ''}}));
      if (!this.everJoined) {
        socket.send(JSON.stringify({event: 'joinRoom', data: {room: `page-${this.pageId}`}}));
      } else {
        // A null cursor asks for a snapshot of the stored messages.
        socket.send(JSON.stringify({event: 'resume', data: {session_id: this.sessionId, cursor: this.cursor}}));
      }
    });
    socket.addEventListener('message', (message) => {
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      this.receive(frame);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket || this.closed) return;
      this.joined = false;
      this.onState('reconnecting');
      this.retry(event.code === 4401);
    });
  }

  async retry(unauthorized) {
    if (unauthorized) await refresh().catch(() => false);
    const wait = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures += 1;
    setTimeout(() => {
      if (!this.closed) this.open();
    }, wait);
  }

  receive({event, data}) {
    if (event === 'session-info') {
      this.sessionId = data.session_id;
      this.joined = true;
      this.everJoined = true;
      this.failures = 0;
      this.onState('connected');
      for (const frame of this.outbox.splice(0)) this.socket.send(frame);
      return;
    }
    if (data && typeof data.cursor === 'string' && data.cursor !== 'resync') this.cursor = data.cursor;
    this.onEvent(event, data || {});
  }

  send(event, data) {
    const frame = JSON.stringify({event, data});
    if (this.joined && this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
    else this.outbox.push(frame);
  }

  close() {
    this.closed = true;
    if (this.socket) this.socket.close(1000);
  }
}
