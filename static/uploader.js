// Portal's uploader: a progressive enhancement of the upload form.
//
// Without this file the form posts all chosen files at once and the page
// waits. With it, each file is uploaded on its own (so each has its own
// progress, speed, cancel button and error), three at a time. Files and whole
// folders can be dropped onto the file list; a folder's tree is sent along as
// each file's `directory`, and the server recreates it. No framework, no
// inline script.
//
// Where the form names a tus endpoint (data-tus-url: a signed-in user's pages,
// /files/tus/, and a drop link's page, /s/<token>/tus/), files go through
// resumable uploads (tus 1.0.0, README "Resumable uploads"): chunks of at most
// 64 MiB, a failed chunk retried with backoff, continued by itself when the
// connection comes back, and after a reload resumed when the same file is
// picked again (its upload URL is kept in localStorage under its name, size
// and modification time). The form's other fields (Replace / Keep both, a
// drop's "Your name") go along as Upload-Metadata. Without an endpoint, one
// request per file, as before.
(function () {
  "use strict";

  var CONCURRENCY = 3; // enough to fill a link, few enough that each file moves
  // At most 64 MiB per request: passes proxies and CDNs that cap a request at 100 MB.
  var TUS_CHUNK = 64 * 1024 * 1024;
  var RETRY_DELAYS = [1, 2, 4, 8, 15, 30, 60]; // seconds; then it gives up
  var STORE_PREFIX = "portal-tus:";

  var form = document.getElementById("upload-form");
  var queueList = document.getElementById("upload-queue");
  if (!form || !queueList || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var listing = document.getElementById("listing");
  var input = form.querySelector("input[type=file]");
  var url = form.getAttribute("action") || window.location.pathname;
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var maxSize = Number(form.getAttribute("data-max-size")) || Infinity;
  var tusUrl = form.getAttribute("data-tus-url");
  var tusFolder = form.getAttribute("data-tus-folder") || "";
  var tusMaxSize = Number(form.getAttribute("data-tus-max-size")) || Infinity;
  var chunkSize = Math.min(TUS_CHUNK, maxSize);
  var waitingForNetwork = [];

  var pending = [];
  var running = 0;
  var storedSinceRefresh = 0;

  function humanSize(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return (i === 0 ? String(Math.round(bytes)) : bytes.toFixed(1)) + "\u00a0" + units[i];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function enqueue(file, directory) {
    var shownName = directory ? directory + "/" + file.name : file.name;
    var item = {
      file: file,
      directory: directory || "",
      li: element("li", "queued"),
      name: element("span", "q-name", shownName),
      cancel: element("button", "", "Cancel"),
      progress: element("progress"),
      status: element("span", "q-status", "Waiting…"),
      xhr: null,
      state: "queued",
    };
    item.cancel.type = "button";
    item.cancel.setAttribute("aria-label", "Cancel " + shownName);
    item.progress.max = 100;
    item.progress.value = 0;
    item.progress.setAttribute("aria-label", "Progress of " + shownName);
    item.li.append(item.name, item.cancel, item.progress, item.status);
    item.cancel.addEventListener("click", function () {
      cancel(item);
    });
    queueList.append(item.li);
    // The server refuses it too; saying so now spares sending gigabytes first.
    var largest = tusUrl ? tusMaxSize : maxSize;
    if (file.size > largest) {
      finish(item, "failed", file.name + " is " + humanSize(file.size) +
        "; the largest file allowed is " + humanSize(largest) + ".");
      return;
    }
    forgetNotice(item);
    pending.push(item);
  }

  // The form's other fields, as [name, value] pairs, sent with every file: a
  // choice (Replace / Keep both) as the option chosen, a drop link's "Your name".
  function formFields() {
    var fields = [];
    form.querySelectorAll("input[name]:not([type=file]), select[name]").forEach(function (field) {
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) return;
      if (field.name !== "csrfmiddlewaretoken" && field.name !== "directory") {
        fields.push([field.name, field.value]);
      }
    });
    return fields;
  }

  function pump() {
    while (running < CONCURRENCY && pending.length > 0) {
      start(pending.shift());
    }
    if (running === 0 && pending.length === 0) {
      allDone();
    }
  }

  function start(item) {
    running += 1;
    item.state = "running";
    item.li.className = "running";
    item.status.textContent = "0%";
    if (tusUrl) {
      startTus(item);
      return;
    }
    var data = new FormData();
    data.append("file", item.file, item.file.name);
    if (item.directory) data.append("directory", item.directory);
    formFields().forEach(function (pair) {
      data.append(pair[0], pair[1]);
    });
    var xhr = new XMLHttpRequest();
    item.xhr = xhr;
    var startedAt = performance.now();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || item.state !== "running") return;
      var percent = Math.min(99, Math.floor((event.loaded / event.total) * 100));
      var seconds = (performance.now() - startedAt) / 1000;
      item.progress.value = percent;
      item.status.textContent = percent + "%" +
        (seconds > 0.2 ? " · " + humanSize(event.loaded / seconds) + "/s" : "");
    });
    xhr.addEventListener("load", function () {
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null; // nginx's 413 page, a proxy's 502: not ours
      }
      if (xhr.status === 201) {
        storedSinceRefresh += 1;
        item.progress.value = 100;
        // The name was taken there: the server kept both, under a new name.
        var stored = answer && answer.files && answer.files[0];
        var renamed = stored && stored.sent_name && stored.name !== stored.sent_name;
        finish(item, "done", renamed ? "Uploaded as " + stored.name : "Uploaded");
      } else {
        finish(item, "failed", errorMessage(xhr, answer));
      }
    });
    xhr.addEventListener("error", function () {
      finish(item, "failed", "The connection failed; try again.");
    });
    xhr.addEventListener("abort", function () {
      finish(item, "cancelled", "Cancelled");
    });
    xhr.send(data);
  }

  function errorMessage(xhr, answer) {
    if (answer && answer.errors && answer.errors.length) {
      return answer.errors.map(function (error) { return error.message; }).join(" ");
    }
    if (xhr.status === 413) return "Too large for the server.";
    // Signed out meanwhile: the login redirect was followed to the login page.
    var toLogin = xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1;
    if (xhr.status === 403 || toLogin) {
      return "Your session has ended: reload the page and log in again.";
    }
    return "The server answered " + xhr.status + " " + xhr.statusText + ".";
  }

  function cancel(item) {
    if (item.state === "queued") {
      pending.splice(pending.indexOf(item), 1);
      finish(item, "cancelled", "Cancelled");
    } else if (item.state === "running" && item.tus) {
      terminate(item);
    } else if (item.state === "running") {
      item.xhr.abort(); // its abort handler finishes it
    }
  }

  // Resumable uploads (tus 1.0.0).

  function storeKey(item) {
    return STORE_PREFIX + [tusUrl, tusFolder, item.directory, item.file.name,
      item.file.size, item.file.lastModified].join("|");
  }

  function remember(item) {
    try {
      localStorage.setItem(storeKey(item), JSON.stringify({
        url: item.tus.url, name: item.file.name, size: item.file.size, offset: item.tus.offset,
      }));
    } catch (error) {
      // Private mode or a full store: the upload goes on, only not across a reload.
    }
  }

  function forget(item) {
    try {
      localStorage.removeItem(storeKey(item));
    } catch (error) {
      // as above
    }
  }

  function recalled(item) {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey(item)) || "null");
      return saved && saved.url ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function base64(text) {
    return btoa(unescape(encodeURIComponent(text)));
  }

  function tusRequest(item, method, url, headers) {
    var xhr = new XMLHttpRequest();
    item.xhr = xhr;
    xhr.open(method, url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    Object.keys(headers || {}).forEach(function (name) {
      xhr.setRequestHeader(name, headers[name]);
    });
    return xhr;
  }

  function answerOf(xhr) {
    try {
      return JSON.parse(xhr.responseText);
    } catch (error) {
      return null;
    }
  }

  function startTus(item) {
    item.tus = { url: null, offset: 0, attempt: 0, sentAt: performance.now(), sentFrom: 0 };
    var saved = recalled(item);
    if (saved) {
      item.tus.url = saved.url;
      item.status.textContent = "Resuming…";
      resync(item, function () {
        forget(item); // expired or ended meanwhile: start afresh
        item.tus.url = null;
        create(item);
      });
    } else {
      create(item);
    }
  }

  function create(item) {
    var file = item.file;
    var metadata = [["filename", file.name], ["folder", tusFolder],
      ["directory", item.directory], ["filetype", file.type]].concat(formFields())
      .filter(function (pair) { return pair[1]; })
      .map(function (pair) { return pair[0] + " " + base64(pair[1]); }).join(",");
    // A file that fits one chunk goes with its creation (creation-with-upload).
    var whole = file.size <= chunkSize;
    var headers = { "Upload-Length": String(file.size), "Upload-Metadata": metadata };
    if (whole) headers["Content-Type"] = "application/offset+octet-stream";
    var xhr = tusRequest(item, "POST", tusUrl, headers);
    if (whole) watchProgress(item, xhr);
    xhr.addEventListener("load", function () {
      if (xhr.status !== 201) {
        chunkFailed(item, xhr, function () { create(item); });
        return;
      }
      item.tus.url = xhr.getResponseHeader("Location");
      item.tus.offset = Number(xhr.getResponseHeader("Upload-Offset") || 0);
      remember(item);
      advance(item, xhr);
    });
    xhr.addEventListener("error", function () {
      retryLater(item, function () { create(item); });
    });
    xhr.send(whole ? file : null);
  }

  function watchProgress(item, xhr) {
    var from = item.tus.offset;
    xhr.upload.addEventListener("progress", function (event) {
      if (item.state !== "running") return;
      var done = from + event.loaded;
      var size = item.file.size || 1;
      var percent = Math.min(99, Math.floor((done / size) * 100));
      var seconds = (performance.now() - item.tus.sentAt) / 1000;
      var sent = done - item.tus.sentFrom;
      item.progress.value = percent;
      item.status.textContent = percent + "%" +
        (seconds > 0.2 && sent > 0 ? " · " + humanSize(sent / seconds) + "/s" : "");
    });
  }

  function sendChunk(item) {
    var end = Math.min(item.tus.offset + chunkSize, item.file.size);
    var xhr = tusRequest(item, "PATCH", item.tus.url, {
      "Upload-Offset": String(item.tus.offset),
      "Content-Type": "application/offset+octet-stream",
    });
    watchProgress(item, xhr);
    xhr.addEventListener("load", function () {
      if (xhr.status === 204) {
        item.tus.offset = Number(xhr.getResponseHeader("Upload-Offset"));
        remember(item);
        advance(item, xhr);
      } else if (xhr.status === 409) {
        resync(item); // another tab or a lost answer moved it on: ask where it is
      } else if (xhr.status === 404 || xhr.status === 410) {
        forget(item);
        finish(item, "failed", "This upload has expired or was ended; pick the file again.");
      } else {
        chunkFailed(item, xhr, function () { resync(item); });
      }
    });
    xhr.addEventListener("error", function () {
      retryLater(item, function () { resync(item); });
    });
    xhr.send(item.file.slice(item.tus.offset, end));
  }

  // The answer of the last request says how far the upload got: go on, or done.
  // The request that brought the last byte answers with the stored file's name.
  function advance(item, xhr) {
    item.tus.attempt = 0;
    if (item.state !== "running") return;
    var stored = xhr.getResponseHeader("Portal-File-Name");
    if (stored === null) {
      sendChunk(item); // at the end already, an empty PATCH asks to complete it
      return;
    }
    forget(item);
    storedSinceRefresh += 1;
    item.progress.value = 100;
    var renamed = xhr.getResponseHeader("Portal-Sent-Name") !== null;
    finish(item, "done", renamed ? "Uploaded as " + decodeURIComponent(stored) : "Uploaded");
  }

  // HEAD: where the server has the upload; then go on from there.
  function resync(item, gone) {
    var xhr = tusRequest(item, "HEAD", item.tus.url);
    xhr.addEventListener("load", function () {
      if (xhr.status === 200 && Number(xhr.getResponseHeader("Upload-Length")) === item.file.size) {
        item.tus.offset = Number(xhr.getResponseHeader("Upload-Offset"));
        item.tus.sentAt = performance.now();
        item.tus.sentFrom = item.tus.offset;
        // At the end already (the answer to the last chunk was lost): an empty PATCH completes it.
        sendChunk(item);
      } else if (xhr.status === 404 || xhr.status === 410 || xhr.status === 200) {
        // Gone, or another file's upload (not the same length).
        if (gone) {
          gone();
        } else {
          forget(item);
          finish(item, "failed", "This upload has expired or was ended; pick the file again.");
        }
      } else {
        chunkFailed(item, xhr, function () { resync(item, gone); });
      }
    });
    xhr.addEventListener("error", function () {
      retryLater(item, function () { resync(item, gone); });
    });
    xhr.send();
  }

  // A 5xx, a proxy's error page, a 423: worth another try. A 4xx of ours: not.
  function chunkFailed(item, xhr, again) {
    if (xhr.status >= 500 || xhr.status === 0 || xhr.status === 423) {
      retryLater(item, again);
    } else {
      finish(item, "failed", errorMessage(xhr, answerOf(xhr)));
    }
  }

  function retryLater(item, again) {
    if (item.state !== "running") return;
    if (navigator.onLine === false) {
      item.status.textContent = "Offline: continues when the connection is back";
      waitingForNetwork.push({ item: item, again: again });
      return;
    }
    var delay = RETRY_DELAYS[item.tus.attempt];
    if (delay === undefined) {
      finish(item, "failed", "The connection keeps failing; pick the file again to resume.");
      return;
    }
    item.tus.attempt += 1;
    item.status.textContent = "Connection lost: trying again in " + delay + " s";
    item.tus.timer = setTimeout(function () {
      item.tus.timer = null;
      again();
    }, delay * 1000);
  }

  window.addEventListener("online", function () {
    var waiting = waitingForNetwork;
    waitingForNetwork = [];
    waiting.forEach(function (entry) {
      if (entry.item.state !== "running") return;
      entry.item.tus.attempt = 0;
      entry.item.status.textContent = "Back online: resuming…";
      if (entry.item.tus.url) {
        resync(entry.item);
      } else {
        entry.again();
      }
    });
  });

  // Cancel: the server forgets the upload and frees the space it held (termination).
  function terminate(item) {
    if (item.tus.timer) clearTimeout(item.tus.timer);
    if (item.xhr) item.xhr.abort();
    forget(item);
    var url = item.tus.url;
    finish(item, "cancelled", "Cancelled");
    if (url) {
      var xhr = new XMLHttpRequest();
      xhr.open("DELETE", url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("X-CSRFToken", csrfToken);
      xhr.send();
    }
  }

  // After a reload: the unfinished uploads this browser remembers, until their file is picked.
  var notices = {};

  function forgetNotice(item) {
    var notice = notices[storeKey(item)];
    if (notice) {
      notice.remove();
      delete notices[storeKey(item)];
    }
  }

  function showUnfinished() {
    if (!tusUrl) return;
    var prefix = STORE_PREFIX + tusUrl + "|" + tusFolder + "|";
    for (var i = 0; i < localStorage.length; i += 1) {
      var key = localStorage.key(i);
      if (!key || key.indexOf(prefix) !== 0) continue;
      var saved = null;
      try {
        saved = JSON.parse(localStorage.getItem(key));
      } catch (error) {
        saved = null;
      }
      if (!saved || !saved.size) continue;
      var percent = Math.floor((saved.offset / saved.size) * 100);
      var li = element("li", "paused");
      li.append(element("span", "q-name", saved.name),
        element("span", "q-status", "Unfinished (" + percent + "%): pick " + saved.name +
          " again to resume"));
      queueList.append(li);
      notices[key] = li;
    }
  }

  function finish(item, state, text) {
    var wasRunning = item.state === "running";
    if (item.state === "done" || item.state === "failed" || item.state === "cancelled") return;
    if (item.tus && item.tus.timer) clearTimeout(item.tus.timer);
    item.state = state;
    item.li.className = state;
    item.status.textContent = text;
    item.cancel.remove();
    if (state !== "done") item.progress.remove();
    if (wasRunning) {
      running -= 1;
      pump();
    }
  }

  // When the queue drains, show the new files: the list is fetched again and
  // swapped in, so sorting, paging and the usage line stay the server's.
  function allDone() {
    if (storedSinceRefresh === 0) return;
    storedSinceRefresh = 0;
    // A drop box has no listing, only the usage bar to bring up to date.
    if (!listing && !document.querySelector(".usage")) {
      return;
    }
    fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshListing = fresh.getElementById("listing");
        if (listing && freshListing) {
          listing.innerHTML = freshListing.innerHTML;
          // static/list.js makes the new rows' menus.
          document.dispatchEvent(new CustomEvent("portal:listing-replaced"));
        }
        var usage = document.querySelector(".usage");
        var freshUsage = fresh.querySelector(".usage");
        if (usage && freshUsage) usage.innerHTML = freshUsage.innerHTML;
      });
  }

  function addFiles(files) {
    for (var i = 0; i < files.length; i += 1) {
      var file = files[i];
      // A file from the folder picker knows its path inside the chosen folder.
      var relative = file.webkitRelativePath || "";
      enqueue(file, relative.split("/").slice(0, -1).join("/"));
    }
    pump();
  }

  // A dropped directory is read entry by entry; readEntries() returns at most
  // 100 children per call, so it is called until it returns none.
  function walk(entry, directory, done) {
    if (entry.isFile) {
      entry.file(function (file) {
        enqueue(file, directory);
        done();
      }, done);
      return;
    }
    var below = directory ? directory + "/" + entry.name : entry.name;
    var reader = entry.createReader();
    var children = [];
    (function readBatch() {
      reader.readEntries(function (batch) {
        if (batch.length > 0) {
          children = children.concat(Array.prototype.slice.call(batch));
          readBatch();
          return;
        }
        var left = children.length;
        if (left === 0) done();
        children.forEach(function (child) {
          walk(child, below, function () {
            left -= 1;
            if (left === 0) done();
          });
        });
      }, done);
    })();
  }

  function dropped(event) {
    var items = event.dataTransfer.items;
    var entries = [];
    if (items && items.length && items[0].webkitGetAsEntry) {
      // Entries must be taken during the event; reading them can wait.
      for (var i = 0; i < items.length; i += 1) {
        var entry = items[i].kind === "file" ? items[i].webkitGetAsEntry() : null;
        if (entry) entries.push(entry);
      }
    }
    if (entries.length === 0) {
      addFiles(event.dataTransfer.files);
      return;
    }
    var left = entries.length;
    entries.forEach(function (entry) {
      walk(entry, "", function () {
        left -= 1;
        pump();
      });
    });
  }

  // Through tus a file may be larger than one request: say the larger limit.
  if (tusUrl && tusMaxSize !== Infinity) {
    form.querySelectorAll(".upload-limit").forEach(function (limit) {
      limit.textContent = "up to " + humanSize(tusMaxSize) + " each";
    });
  }

  try {
    showUnfinished();
  } catch (error) {
    // localStorage unavailable: nothing to offer
  }

  // Choosing files starts them: the form's own button has nothing left to do.
  input.removeAttribute("required");
  form.querySelector("button[type=submit]").hidden = true;
  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    addFiles(input.files);
    input.value = "";
  });

  // A whole folder by picking, where the browser can (webkitdirectory).
  if ("webkitdirectory" in input) {
    var folderInput = element("input");
    folderInput.type = "file";
    folderInput.id = "upload-folder";
    folderInput.webkitdirectory = true;
    folderInput.className = "visually-hidden";
    var folderLabel = element("label", "button", "Upload a folder");
    folderLabel.htmlFor = "upload-folder";
    folderInput.addEventListener("change", function () {
      addFiles(folderInput.files);
      folderInput.value = "";
    });
    // After the "Upload files" button where the input is hidden behind one (the list).
    var button = input.nextElementSibling;
    var after = button && button.htmlFor === input.id ? button : input;
    after.after(folderInput, folderLabel);
  }

  if (listing && listing.classList.contains("dropzone")) {
    var depth = 0; // dragenter/dragleave fire for every child crossed
    listing.addEventListener("dragenter", function (event) {
      event.preventDefault();
      depth += 1;
      listing.classList.add("dragging");
    });
    listing.addEventListener("dragover", function (event) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    listing.addEventListener("dragleave", function () {
      depth -= 1;
      if (depth <= 0) {
        depth = 0;
        listing.classList.remove("dragging");
      }
    });
    listing.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      listing.classList.remove("dragging");
      dropped(event);
    });
  }
})();
