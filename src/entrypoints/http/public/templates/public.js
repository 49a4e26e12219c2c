(function () {
  "use strict";
  var api = document.body.getAttribute("data-api");
  var guestPath = document.body.getAttribute("data-guest");
  var params = new URLSearchParams(location.search);
  var token = params.get("g");

  function show(el, text) {
    if (!el) return;
    el.textContent = text;
    el.classList.add("show");
  }

  function problemText(body, fallback) {
    if (body && body.errors && body.errors.length) {
      return body.errors.map(function (e) { return e.field + ": " + e.message; }).join("\n");
    }
    return (body && (body.detail || body.title)) || fallback;
  }

  function send(method, url, data) {
    return fetch(url, {
      method: method,
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: data === undefined ? undefined : JSON.stringify(data)
    }).then(function (response) {
      if (response.status === 204) return {ok: true, status: 204, body: null};
      return response.json().catch(function () { return null; }).then(function (body) {
        return {ok: response.ok, status: response.status, body: body};
      });
    });
  }

  var rsvp = document.getElementById("rsvp-form");
  if (rsvp && token && guestPath) {
    rsvp.elements.guest_token.value = token;
    fetch(guestPath + "?g=" + encodeURIComponent(token), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (guest) {
        if (!guest) return;
        if (!rsvp.elements.name.value) rsvp.elements.name.value = guest.name;
        var side = rsvp.querySelector('input[name="side"][value="' + guest.side + '"]');
        if (side) side.checked = true;
        show(document.getElementById("guest-hello"), guest.name + "님, 반갑습니다.");
      })
      .catch(function () {});
  }
  if (rsvp) {
    rsvp.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = rsvp.elements;
      var data = {
        name: f.name.value,
        side: (rsvp.querySelector('input[name="side"]:checked') || {}).value,
        attending: (rsvp.querySelector('input[name="attending"]:checked') || {}).value === "yes",
        party_size: parseInt(f.party_size.value || "1", 10),
        note: f.note.value || null
      };
      if (f.meal) data.meal = f.meal.value || null;
      if (f.guest_token.value) data.guest_token = f.guest_token.value;
      var error = document.getElementById("rsvp-error");
      error.textContent = "";
      send("POST", api + "/rsvps", data).then(function (res) {
        if (res.ok) {
          rsvp.classList.add("hidden");
          show(document.getElementById("rsvp-done"), "참석 여부가 전달되었습니다. 감사합니다.");
        } else {
          error.textContent = problemText(res.body, "전달하지 못했습니다. 다시 시도해 주세요.");
        }
      }).catch(function () { error.textContent = "연결이 끊겼습니다. 다시 시도해 주세요."; });
    });
  }

  var list = document.getElementById("entries");

  function bindDelete(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var item = form.closest("li");
      var error = form.querySelector(".error");
      send("DELETE", api + "/guestbook/" + encodeURIComponent(item.getAttribute("data-id")),
           {password: form.elements.password.value})
        .then(function (res) {
          if (res.ok) { item.remove(); return; }
          error.textContent = res.status === 403 ? "비밀번호가 맞지 않습니다."
            : problemText(res.body, "삭제하지 못했습니다.");
        }).catch(function () { error.textContent = "연결이 끊겼습니다."; });
    });
  }

  function entryItem(entry) {
    var template = document.getElementById("entry-template");
    var item = template.content.firstElementChild.cloneNode(true);
    item.setAttribute("data-id", entry.id);
    item.querySelector("strong").textContent = entry.name;
    var at = new Date(entry.created_at);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    item.querySelector("time").textContent =
      at.getFullYear() + "." + two(at.getMonth() + 1) + "." + two(at.getDate());
    item.querySelector(".pre").textContent = entry.message;
    item.querySelector("form").setAttribute("action", location.pathname + "/guestbook/" + entry.id + "/delete");
    bindDelete(item.querySelector("form"));
    return item;
  }

  if (list) list.querySelectorAll("form").forEach(bindDelete);

  var book = document.getElementById("guestbook-form");
  if (book && list) {
    book.addEventListener("submit", function (event) {
      event.preventDefault();
      var f = book.elements;
      var error = document.getElementById("guestbook-error");
      error.textContent = "";
      send("POST", api + "/guestbook", {name: f.name.value, message: f.message.value, password: f.password.value})
        .then(function (res) {
          if (!res.ok) {
            error.textContent = problemText(res.body, "남기지 못했습니다. 다시 시도해 주세요.");
            return;
          }
          list.insertBefore(entryItem(res.body), list.firstChild);
          book.reset();
        }).catch(function () { error.textContent = "연결이 끊겼습니다. 다시 시도해 주세요."; });
    });
  }

  var more = document.getElementById("entries-more");
  if (more && list) {
    more.classList.remove("hidden");
    more.addEventListener("click", function () {
      var cursor = more.getAttribute("data-cursor");
      send("GET", api + "/guestbook?cursor=" + encodeURIComponent(cursor)).then(function (res) {
        if (!res.ok) return;
        res.body.items.forEach(function (entry) { list.appendChild(entryItem(entry)); });
        if (res.body.next_cursor) more.setAttribute("data-cursor", res.body.next_cursor);
        else more.remove();
      });
    });
  }

  var audio = document.getElementById("music");
  var toggle = document.getElementById("music-toggle");
  if (audio && toggle) {
    toggle.classList.remove("hidden");
    var label = function () { toggle.textContent = audio.paused ? "♪" : "❚❚"; };
    toggle.addEventListener("click", function () {
      if (audio.paused) audio.play().catch(function () {}); else audio.pause();
    });
    audio.addEventListener("play", label);
    audio.addEventListener("pause", label);
    label();
  }
})();
